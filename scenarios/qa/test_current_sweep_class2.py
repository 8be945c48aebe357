"""Accuracy sweep of the ag63: current and active power within class 2 from 2 % to 120 % of the
63 A rating, on each phase alone and on all three, at unity, 0.5 lagging and 0.8 leading power
factor, on a unit at the edge of its part tolerances and on a nominal one.

References (neither shares code with the rig):
- closed form of the configured load: I = I_set, P = U * I * PF with U = 230 V;
- the IEC 62053-21 class-2 limits (percentage error of the true value):
      PF 1            2 % In <= I < 5 % In: 2.5 %      5 % In <= I <= Imax: 2.0 %
      PF 0.5L / 0.8C  5 % In <= I < 10 % In: 2.5 %     10 % In <= I <= Imax: 2.0 %
  with In = 63 A and Imax = 75.6 A, the CT's 36 mA maximum secondary for 30 mA nominal (device.md).
  The same limits are applied to the RMS current (IEC 61557-12 class 2: 2 % of reading).

The plant's own ground truth (plant.*) is checked against the closed form first, so a wrong
reference cannot hide a wrong meter.
"""
import math

import pytest

BASE = "../regression/base_ag63.yaml"
NOMINAL_V = 230.0
RATED_A = 63.0
MAX_A = RATED_A * 36 / 30  # 75.6 A: the CT's maximum secondary

# A unit at the edge of its part tolerances (as scenarios/regression/ct_and_adc_tolerances.yaml).
EDGE_OF_TOLERANCE = {
    "cts": {"ct1": {"ratio_error_pct": 0.8}, "ct2": {"ratio_error_pct": -0.8},
            "ct3": {"phase_displacement_deg": 1.2}},
    "adc": {"gain_error_pct": -0.5, "offset_lsb": 40, "noise_lsb_rms": 3},
}
UNITS = {"nominal": {}, "edge_of_tolerance": EDGE_OF_TOLERANCE}

POWER_FACTORS = {  # id: (power factor, leading)
    "pf1": (1.0, False),
    "pf0.5L": (0.5, False),
    "pf0.8C": (0.8, True),
}
CURRENTS_PCT = [2, 5, 10, 20, 50, 100, 120]
WHERE = {"L1": ["L1"], "L2": ["L2"], "L3": ["L3"], "3ph": ["L1", "L2", "L3"]}


def class2_limit_pct(current_a, pf_id):
    """IEC 62053-21 class 2: the error limit at this current and power factor, or None below the
    standard's range."""
    share = current_a / RATED_A
    low, full = (0.02, 0.05) if pf_id == "pf1" else (0.05, 0.10)
    if share < low - 1e-9:
        return None
    return 2.5 if share < full - 1e-9 else 2.0


def cases():
    for unit in UNITS:
        for where in WHERE:
            if unit == "nominal" and where != "3ph":
                continue  # the nominal unit once, balanced; the tolerance corners per phase
            for pf_id in POWER_FACTORS:
                for pct in CURRENTS_PCT:
                    current_a = round(RATED_A * pct / 100, 4)
                    if class2_limit_pct(current_a, pf_id) is None:
                        continue
                    yield pytest.param(unit, where, pf_id, current_a,
                                       id=f"{unit}-{where}-{pf_id}-{pct}pct")


@pytest.mark.parametrize("unit,where,pf_id,current_a", list(cases()))
def test_current_and_power_class2(make_rig, unit, where, pf_id, current_a):
    pf, leading = POWER_FACTORS[pf_id]
    phases = WHERE[where]
    rig = make_rig({
        "base": BASE,
        "device": {"fuse_a": 80},  # the main fuse must carry 120 % of the CT rating
        "plant": dict(UNITS[unit], loads=[
            {"name": "load", "phases": phases, "current_a": current_a, "power_factor": pf,
             "leading": leading}]),
    })
    rig.run(2.0)  # ten 0.2 s windows: the measurement has settled

    limit = class2_limit_pct(current_a, pf_id)
    true_p_w = NOMINAL_V * current_a * pf
    for p in phases:
        # The reference first: the plant draws what was configured.
        rig.expect(f"plant.{p}.current_a", value=current_a, tolerance_pct=0.01)
        rig.expect(f"plant.{p}.power_w", value=true_p_w, tolerance_pct=0.01)
        rig.expect(f"meter.{p}.current_a", value=current_a, tolerance_pct=limit)
        rig.expect(f"meter.{p}.power_w", value=true_p_w, tolerance_pct=limit)
        rig.expect(f"meter.{p}.voltage_v", value=NOMINAL_V, tolerance_pct=2)
        # The sign of the reactive power says lagging (+, inductive) or leading (-).
        if pf < 1:
            q_var = NOMINAL_V * current_a * math.sin(math.acos(pf)) * (-1 if leading else 1)
            assert math.copysign(1, rig[f"meter.{p}.reactive_var"]) == math.copysign(1, q_var)
    for p in ("L1", "L2", "L3"):
        if p not in phases:
            # An unloaded phase reads next to nothing: below 0.1 % of In, and below the power
            # that 0.1 % of In would carry at unity power factor.
            rig.expect(f"meter.{p}.current_a", max=0.001 * RATED_A)
            no_load_w = NOMINAL_V * 0.001 * RATED_A
            rig.expect(f"meter.{p}.power_w", min=-no_load_w, max=no_load_w)
    expected_total_w = true_p_w * len(phases)
    rig.expect("meter.total.power_w", value=expected_total_w, tolerance_pct=limit)
    # Inside the range nothing clips or saturates, even at Imax.
    rig.expect("adc.clipped_samples", 0)
    for k in (1, 2, 3):
        rig.expect(f"ct{k}.saturated", False)
