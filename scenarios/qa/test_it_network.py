"""IT networks (230 V between lines, no neutral): the meter against phasors computed with numpy.

Reference: the source's star voltages V_k = 230/sqrt(3) at 0, -120, +120 degrees; a load between
two lines a, b draws I = I_set at its power factor relative to U_ab = V_a - V_b, into a and out
of b; a balanced three-phase load draws I_set on each line at its power factor relative to that
line's star voltage. Per line: the RMS current |I_k|, the power Re(V_k conj(I_k)) against the star
point (so that the lines sum to the total), and the current's angle relative to U12 (the meter's
reference on IT). Class 2 for currents, voltages and power; 1 degree for angles.
"""
import cmath
import math

import numpy as np
import pytest

BASE = "../regression/base_ag63_it.yaml"
U_LL_V = 230.0
LINES = ("L1", "L2", "L3")
INDEX = {p: k for k, p in enumerate(LINES)}
STAR_V = np.array([cmath.rect(U_LL_V / math.sqrt(3), math.radians(a)) for a in (0, -120, 120)])


def phasor_currents(loads):
    """The line currents (RMS phasors) of a list of loads, as in the scenario keys."""
    currents = np.zeros(3, dtype=complex)
    for load in loads:
        phi = math.acos(load.get("power_factor", 1.0)) * (1 if load.get("leading") else -1)
        if len(load["phases"]) == 2:
            a, b = (INDEX[p] for p in load["phases"])
            u = STAR_V[a] - STAR_V[b]
            i = cmath.rect(load["current_a"], cmath.phase(u) + phi)
            currents[a] += i
            currents[b] -= i
        else:
            for p in load["phases"]:
                k = INDEX[p]
                currents[k] += cmath.rect(load["current_a"], cmath.phase(STAR_V[k]) + phi)
    return currents


def wrap_deg(a):
    return (a + 180.0) % 360.0 - 180.0


HOUSES = {
    "heater_l1l2_and_heatpump": [
        {"name": "heater", "phases": ["L1", "L2"], "current_a": 10},
        {"name": "heatpump", "phases": ["L1", "L2", "L3"], "current_a": 6, "power_factor": 0.9},
    ],
    "three_line_to_line_loads": [
        {"name": "oven", "phases": ["L1", "L2"], "current_a": 12},
        {"name": "dryer", "phases": ["L2", "L3"], "current_a": 7, "power_factor": 0.95},
        {"name": "boiler", "phases": ["L3", "L1"], "current_a": 4},
    ],
    "motor_lagging": [
        {"name": "motor", "phases": ["L1", "L2", "L3"], "current_a": 16, "power_factor": 0.7},
    ],
}


@pytest.mark.parametrize("wiring", ["L1,L2", "L1,L2,L3"])
@pytest.mark.parametrize("house", list(HOUSES))
def test_it_measurements_against_phasors(make_rig, house, wiring):
    loads = HOUSES[house]
    voltage_inputs = wiring.split(",")
    rig = make_rig({"base": BASE, "device": {"voltage_inputs": voltage_inputs},
                    "plant": {"loads": loads}})
    currents = phasor_currents(loads)
    power_w = (STAR_V * np.conj(currents)).real
    u12_deg = math.degrees(cmath.phase(STAR_V[0] - STAR_V[1]))

    rig.run(4.0)
    rig.expect("led.voltage", "green")
    rig.expect("led.current", "green")
    rig.expect("status.current_reason", "ok")
    # U12 is measured with either wiring; U23 and U31 only with all three lines (else 0).
    rig.expect("meter.L1.voltage_v", value=U_LL_V, tolerance_pct=2)
    for p in ("L2", "L3"):
        if "L3" in voltage_inputs:
            rig.expect(f"meter.{p}.voltage_v", value=U_LL_V, tolerance_pct=2)
        else:
            rig.expect(f"meter.{p}.voltage_v", max=1.0)
    for p in LINES:
        k = INDEX[p]
        rig.expect(f"plant.{p}.current_a", value=abs(currents[k]), tolerance_pct=0.01)
        rig.expect(f"meter.{p}.current_a", value=abs(currents[k]), tolerance_pct=2)
        rig.expect(f"plant.{p}.power_w", value=power_w[k], tolerance_pct=0.01)
        rig.expect(f"meter.{p}.power_w", value=power_w[k], tolerance_pct=2)
        angle = math.degrees(cmath.phase(currents[k])) - u12_deg
        measured = rig[f"meter.{p}.current_angle_deg"]
        assert abs(wrap_deg(measured - angle)) <= 1.0, (
            f"meter.{p}.current_angle_deg = {measured:.2f}, phasors say {wrap_deg(angle):.2f}")
    rig.expect("meter.total.power_w", value=power_w.sum(), tolerance_pct=2)
    # Without a neutral the line currents sum to zero: a check on the reference itself.
    assert abs(currents.sum()) < 1e-9


def test_single_line_load_is_rejected_on_it(make_rig):
    """A load from one line to a neutral cannot exist on IT: the configuration names the key."""
    import amprig

    with pytest.raises(amprig.ScenarioError, match=r"plant.loads\[0\].phases.*no neutral"):
        make_rig({"base": BASE, "plant": {"loads": [
            {"name": "kettle", "phases": ["L1"], "current_a": 8}]}})
