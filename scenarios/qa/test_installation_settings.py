"""The admin interface's Installation and Wi-Fi tabs: invalid values are rejected with a reason
that names the setting, and nothing is stored; valid ones are applied, stored and survive a power
cut.

References: device.md ("Connectivity and local administration"): supply voltage within the
variant's range (ag63: 85-256 V AC; home100: 0-390 V), the network type IT is an ag63 feature, a
current scheme maps each CT input to a different grid phase, Wi-Fi credentials at most 30 ASCII
characters (older generation: letters, digits, '_' and '-' only; the ag63 "Measurement Device":
letters and digits only), "rejected with a clear message, never stored truncated".
"""
import pytest

AG63 = "../regression/base_ag63.yaml"
HOME100 = "../regression/base_home100.yaml"
VARIANT = {AG63: "ag63", HOME100: "home100"}

REJECTED = [
    # (base, setting, value, words the reason must contain)
    (AG63, "settings.fuse_a", 0, "fuse_a"),
    (AG63, "settings.fuse_a", -16, "fuse_a"),
    (AG63, "settings.supply_voltage_v", 84, "supply_voltage_v must be between 85 and 256 V"),
    (AG63, "settings.supply_voltage_v", 257, "supply_voltage_v must be between 85 and 256 V"),
    (AG63, "settings.supply_voltage_v", 400, "supply_voltage_v must be between 85 and 256 V"),
    (AG63, "settings.current_scheme", "L1,L1,L3", "scheme"),
    (AG63, "settings.current_scheme", "L2,-L2,L3", "scheme"),
    (HOME100, "settings.supply_voltage_v", 391, "supply_voltage_v"),
    (HOME100, "settings.network", "IT", "network"),
]

ACCEPTED = [
    (AG63, "settings.supply_voltage_v", 85),
    (AG63, "settings.supply_voltage_v", 256),
    (AG63, "settings.fuse_a", 35),
    (AG63, "settings.network", "IT"),
    (AG63, "settings.current_scheme", "-L3,L1,L2"),
    (HOME100, "settings.supply_voltage_v", 390),
]


def house(base):
    return {"base": base, "plant": {"loads": [
        {"name": "house", "phases": ["L1", "L2", "L3"], "current_a": 5}]}}


def power_cycle(rig):
    rig["device.power"] = "off"
    rig.run(1.0)
    rig["device.power"] = "on"
    rig.run(1.0)


def setting_id(base, setting, value, *_):
    return f"{VARIANT[base]}-{setting.split('.')[-1]}={value}"


@pytest.mark.parametrize("base,setting,value,reason",
                         [pytest.param(*case, id=setting_id(*case)) for case in REJECTED])
def test_invalid_setting_is_rejected_with_a_reason(make_rig, base, setting, value, reason):
    rig = make_rig(house(base))
    rig.run(1.0)
    before = rig[setting]
    rig[setting] = value
    rig.run(0.01)
    rig.expect("settings.last_result", contains="rejected: ")
    rig.expect("settings.last_result", contains=reason)
    rig.expect(setting, before)
    # Nothing of it reached the NVM either.
    power_cycle(rig)
    rig.expect(setting, before)


@pytest.mark.parametrize("base,setting,value",
                         [pytest.param(*case, id=setting_id(*case)) for case in ACCEPTED])
def test_valid_setting_is_applied_and_survives_a_power_cut(make_rig, base, setting, value):
    rig = make_rig(house(base))
    rig.run(1.0)
    rig[setting] = value
    rig.run(0.01)
    rig.expect("settings.last_result", "applied")
    rig.expect(setting, value)
    power_cycle(rig)
    rig.expect(setting, value)


WIFI = {
    # id: (base, ssid, password, accepted, reason)
    "ag63-ssid_30_chars": (AG63, "A" * 30, "abc123", True, None),
    "ag63-ssid_31_chars": (AG63, "A" * 31, "abc123", False, "ssid: at most 30 characters"),
    "ag63-password_31_chars": (AG63, "Home", "p" * 31, False, "password: at most 30 characters"),
    "ag63-ssid_blank": (AG63, "My Home", "abc123", False, "ssid: only letters and digits"),
    "ag63-password_dash": (AG63, "Home", "abc-123", False, "password: only letters and digits"),
    "home100-underscore_dash": (HOME100, "My_Home-2", "pass_word-1", True, None),
    "home100-ssid_bang": (HOME100, "Home!", "abc123", False,
                          "ssid: only letters a-z A-Z, digits, _ and -"),
    "home100-password_blank": (HOME100, "Home", "secret word", False,
                               "password: only letters a-z A-Z, digits, _ and -"),
}


@pytest.mark.parametrize("base,ssid,password,accepted,reason",
                         [pytest.param(*case, id=name) for name, case in WIFI.items()])
def test_wifi_credentials(make_rig, base, ssid, password, accepted, reason):
    rig = make_rig({"base": base, "device": {"wifi": {"ssid": "Old", "password": "old123"}}})
    rig.run(1.0)
    rig["settings.wifi.ssid"] = ssid
    rig["settings.wifi.password"] = password
    rig["settings.wifi.update"] = True
    rig.run(0.01)
    if accepted:
        rig.expect("settings.last_result", "applied")
        stored = (ssid, password)
    else:
        rig.expect("settings.last_result", contains="rejected: " + reason)
        stored = ("Old", "old123")  # never stored, never truncated
    power_cycle(rig)
    rig.expect("settings.wifi.ssid", stored[0])
    rig.expect("settings.wifi.password", stored[1])
