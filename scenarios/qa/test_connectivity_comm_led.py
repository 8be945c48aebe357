"""The communication LED (device.md: green = cloud, blue = local network only, off = no network)
through the device's connection steps, timed with run_until.

Reference timing (the site network's defaults, README "Connectivity"): the firmware polls every
5 ms, the first poll at 5 ms; a DHCP lease takes 2 s, a cloud session 1 s to connect; once
connected the device sends one telemetry datagram per second, the first at once. So from a
carrier seen at poll time t: blue at t + 2 s, green at t + 3 s. run_until polls every 5 ms too,
so it sees each change at most 5 ms late.
"""
import pytest

CONFIG = "../regression/base_ag63.yaml"
POLL_S = 0.005
DHCP_S, CLOUD_S = 2.0, 1.0


def time_until(rig, colour, timeout_s=10.0):
    return rig.run_until(lambda r: r["led.comm"] == colour, timeout_s=timeout_s, poll_s=POLL_S)


def test_power_on_off_blue_green(rig):
    rig.expect("led.comm", "off")
    blue_s = time_until(rig, "blue")
    assert blue_s == pytest.approx(POLL_S + DHCP_S, abs=POLL_S + 1e-9)
    rig.expect("device.link_state", "local_network")
    rig.expect("device.uplink", "lan")
    green_s = time_until(rig, "green")
    assert green_s == pytest.approx(POLL_S + DHCP_S + CLOUD_S, abs=POLL_S + 1e-9)
    rig.expect("device.link_state", "cloud")
    # One datagram per second from the moment the session is up: 3.005, 4.005, ... 59.005 s.
    rig.run(60.0 - rig.time_s)
    rig.expect("device.telemetry_sent", 57)
    rig.expect("led.comm.changes", 2)  # off -> blue -> green, nothing else


def test_cloud_outage_turns_blue_and_back(rig):
    """Cloud unreachable from 30 s to 60 s: blue at the next poll; the retry in progress when it
    returns connects 1 s later (backoff ladder: attempt 1 at 31.005 s times out after 20 s, wait
    2 s, attempt 2 at 53.005 s is waiting at 60 s), so green at 61.0 s. No telemetry meanwhile."""
    rig.run(30.0)
    sent = rig["device.telemetry_sent"]
    rig["network.cloud.reachable"] = False
    blue_s = time_until(rig, "blue", timeout_s=1.0)
    assert blue_s - 30.0 <= 2 * POLL_S
    rig.expect("device.uplink", "lan")
    rig.expect("led.comm", "blue", during=60.0 - rig.time_s)
    rig.expect("device.telemetry_sent", sent)
    rig["network.cloud.reachable"] = True
    green_s = time_until(rig, "green", timeout_s=5.0)
    assert green_s == pytest.approx(60.0 + CLOUD_S, abs=2 * POLL_S)
    rig.run(10.0)
    assert rig["device.telemetry_sent"] - sent == pytest.approx(10, abs=1)


def test_lan_pulled_without_wifi_goes_dark_and_comes_back(rig):
    """No Wi-Fi configured: pulling the cable leaves no network (off) at the next poll; plugging
    it back starts over: DHCP 2 s, cloud 1 s."""
    time_until(rig, "green")
    rig.run(20.0 - rig.time_s)
    rig["network.lan.connected"] = False
    off_s = time_until(rig, "off", timeout_s=1.0)
    assert off_s - 20.0 <= 2 * POLL_S
    rig.expect("device.link_state", "no_link")
    rig.expect("device.uplink", "none")
    rig.expect("led.comm", "off", during=10.0)
    rig["network.lan.connected"] = True
    plugged_s = rig.time_s
    assert time_until(rig, "blue") - plugged_s == pytest.approx(DHCP_S, abs=2 * POLL_S)
    assert time_until(rig, "green") - plugged_s == pytest.approx(DHCP_S + CLOUD_S, abs=2 * POLL_S)
