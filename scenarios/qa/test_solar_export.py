"""Solar export: a three-phase PV inverter over a 3 A per phase house, at three output levels.
The meter must report export as negative power within class 2, count it in the export registers
only, and keep the current LED green (generation is installed, so export is no wiring fault);
when a cloud takes the PV away the phases import again without a flicker of the LED.

Reference (closed form, 230 V, house and inverter at unity power factor, the inverter's power
split evenly over its phases):
    P_phase = 230 * 3 - PV / 3            I_phase = |P_phase| / 230
    export register over 30 s = -P_phase * 30 s / 3600
class 2 (2 % of the true value) plus, for the registers, the booking lag of one 0.2 s
measurement window and a 5 ms poll at each end of the interval.
"""
import pytest

BASE = "../regression/base_ag63.yaml"
PHASES = ("L1", "L2", "L3")
U_V = 230.0
HOUSE_A = 3.0
WINDOW_LAG_S = 0.205


def house_with_pv(pv_w):
    return {
        "base": BASE,
        "plant": {
            "loads": [{"name": "house", "phases": list(PHASES), "current_a": HOUSE_A}],
            "solar": {"power_w": pv_w, "phases": list(PHASES)},
        },
    }


@pytest.mark.parametrize("pv_w", [6000, 9000, 15000])
def test_export_is_negative_counted_and_green(make_rig, pv_w):
    rig = make_rig(house_with_pv(pv_w))
    p_w = U_V * HOUSE_A - pv_w / 3
    i_a = abs(p_w) / U_V
    assert p_w < 0

    rig.run(3.0)
    rig.expect("led.voltage", "green")
    rig.expect("led.current", "green")
    rig.expect("status.current_reason", "ok")
    for p in PHASES:
        rig.expect(f"plant.{p}.power_w", value=p_w, tolerance_pct=0.01)
        rig.expect(f"meter.{p}.power_w", value=p_w, tolerance_pct=2)
        rig.expect(f"meter.{p}.current_a", value=i_a, tolerance_pct=2)
        rig.expect(f"meter.{p}.power_factor", value=-1.0, tolerance_abs=0.02)
    rig.expect("meter.total.power_w", value=3 * p_w, tolerance_pct=2)

    start = {p: (rig[f"meter.{p}.energy_export_wh"], rig[f"meter.{p}.energy_import_wh"])
             for p in PHASES}
    rig.run(30.0)
    expected_wh = -p_w * 30.0 / 3600
    lag_wh = 2 * abs(p_w) * WINDOW_LAG_S / 3600
    for p in PHASES:
        exported_wh = rig[f"meter.{p}.energy_export_wh"] - start[p][0]
        assert abs(exported_wh - expected_wh) <= 0.02 * expected_wh + lag_wh, (
            f"{p} exported {exported_wh:.4f} Wh in 30 s, expected {expected_wh:.4f} Wh")
        assert rig[f"meter.{p}.energy_import_wh"] == start[p][1], f"{p} booked import"

    # A cloud: the PV stops, the house imports 690 W per phase again.
    changes = rig["led.current.changes"]
    rig["solar.power_w"] = 0
    rig.expect("meter.L1.power_w", value=U_V * HOUSE_A, tolerance_pct=2, within=1.0)
    rig.expect("led.current", "green", during=5.0)
    rig.expect("led.current.changes", changes)
    before = rig["meter.L1.energy_import_wh"]
    rig.run(10.0)
    imported_wh = rig["meter.L1.energy_import_wh"] - before
    expected_wh = U_V * HOUSE_A * 10.0 / 3600
    lag_wh = 2 * U_V * HOUSE_A * WINDOW_LAG_S / 3600
    assert abs(imported_wh - expected_wh) <= 0.02 * expected_wh + lag_wh


@pytest.mark.rig({
    "base": BASE,
    "plant": {
        "loads": [{"name": "house", "phases": list(PHASES), "current_a": HOUSE_A}],
        "solar": {"power_w": 3680, "phases": ["L2"]},
    },
})
def test_single_phase_pv_on_l2(rig):
    """3.68 kW on L2 only: L2 exports 3680 - 690 = 2990 W, L1 and L3 keep importing 690 W, the
    total is the sum, every LED green."""
    rig.run(3.0)
    rig.expect("led.current", "green")
    rig.expect("meter.L1.power_w", value=U_V * HOUSE_A, tolerance_pct=2)
    rig.expect("meter.L2.power_w", value=U_V * HOUSE_A - 3680, tolerance_pct=2)
    rig.expect("meter.L3.power_w", value=U_V * HOUSE_A, tolerance_pct=2)
    rig.expect("meter.L2.current_a", value=(3680 - U_V * HOUSE_A) / U_V, tolerance_pct=2)
    rig.expect("meter.total.power_w", value=3 * U_V * HOUSE_A - 3680, tolerance_pct=2)
