"""The meter's energy registers against the numerical integral of the true power.

A minute of a changing house: an oven switching on L1, a heat pump cycling on L3, a 3 A base load
at PF 0.8 on every phase, and a single-phase PV inverter on L2 ramping from 1 kW to 3 kW (L2
exports all along). plant.Lx.power_w is traced every 0.1 s and integrated with numpy (np.trapz,
positive part for import, negative part for export); the meter's registers must grow by that much
between t0 = 2 s and t1 = 62 s within class 2 (2 % of the true energy, IEC 62053-21) plus the
integration bound below.

Integration bound, stated per phase:
- Steps: every switching happens at the midpoint of a trace interval (k * 0.1 s + 0.05 s, on the
  rig's 10 ms block grid, so exactly there); the trapezoid over a step at the midpoint is exact.
- Ramps: the trapezoid is exact for a linear ramp; the rig moves the PV power once per 10 ms
  block, which differs from the line by at most |dP/dt| * 5 ms at any instant:
  bound |dP/dt| * 0.005 s * ramp duration.
- The meter books energy once per measurement window (whole cycles closest to 0.2 s), so each
  register lags its true value by at most one window plus one 5 ms poll, at t0 and at t1:
  bound (|P(t0)| + |P(t1)|) * 0.205 s.
And the numpy integral is cross-checked against the rig's own ground-truth registers
(plant.Lx.energy_*_wh, integrated from the sampled waveforms: a second, independent
implementation) within the step and ramp bounds alone.
"""
import numpy as np

PERIOD_S = 0.1
T0_S, T1_S = 2.0, 62.0
BLOCK_S = 0.010
WINDOW_LAG_S = 0.2 + 0.005
SOLAR_FROM_W, SOLAR_TO_W = 1000.0, 3000.0
RAMP_START_S, RAMP_DURATION_S = 10.0, 40.0

CONFIG = {
    "base": "../regression/base_ag63.yaml",
    "plant": {
        "loads": [
            {"name": "base", "phases": ["L1", "L2", "L3"], "current_a": 3, "power_factor": 0.8},
            {"name": "oven", "phases": ["L1"], "current_a": 0},
            {"name": "heatpump", "phases": ["L3"], "current_a": 0, "power_factor": 0.85},
        ],
        "solar": {"power_w": SOLAR_TO_W, "phases": ["L2"], "profile": "ramp",
                  "ramp_from_w": SOLAR_FROM_W, "ramp_start": f"{RAMP_START_S}s",
                  "ramp_duration": f"{RAMP_DURATION_S}s"},
    },
}

# (time, signal, value): each at the midpoint of a 0.1 s trace interval.
SWITCHING = sorted(
    [(t + 0.05, "loads.oven.current_a", 10 if k % 2 == 0 else 0)
     for k, t in enumerate(np.arange(4.0, 60.0, 6.0))]
    + [(t + 0.05, "loads.heatpump.current_a", 7 if k % 2 == 0 else 0)
       for k, t in enumerate(np.arange(8.3, 60.0, 9.5))])


def run_to(rig, t_s):
    rig.run(max(0.0, t_s - rig.time_s))


def test_energy_registers_match_the_integral_of_true_power(rig):
    phases = ("L1", "L2", "L3")
    names = ([f"plant.{p}.power_w" for p in phases]
             + [f"{src}.{p}.energy_{d}_wh" for src in ("meter", "plant") for p in phases
                for d in ("import", "export")])
    tr = rig.trace(names, period_s=PERIOD_S)
    for t_s, name, value in SWITCHING:
        run_to(rig, t_s)
        rig[name] = value
    run_to(rig, T1_S + 1.0)

    t = tr.time_s
    i0, i1 = (int(np.argmin(np.abs(t - x))) for x in (T0_S, T1_S))
    assert abs(t[i0] - T0_S) < 1e-9 and abs(t[i1] - T1_S) < 1e-9
    span = slice(i0, i1 + 1)
    ramp_slope_w_per_s = (SOLAR_TO_W - SOLAR_FROM_W) / RAMP_DURATION_S

    checked = 0
    for p in phases:
        power_w = tr[f"plant.{p}.power_w"]
        ramp_bound_wh = (ramp_slope_w_per_s * BLOCK_S / 2 * RAMP_DURATION_S / 3600
                         if p == "L2" else 0.0)
        lag_bound_wh = (abs(power_w[i0]) + abs(power_w[i1])) * WINDOW_LAG_S / 3600
        for direction, part in (("import", np.clip(power_w, 0, None)),
                                ("export", np.clip(-power_w, 0, None))):
            reference_wh = np.trapz(part[span], t[span]) / 3600
            meter = tr[f"meter.{p}.energy_{direction}_wh"]
            truth = tr[f"plant.{p}.energy_{direction}_wh"]
            meter_wh = meter[i1] - meter[i0]
            truth_wh = truth[i1] - truth[i0]
            allowed_wh = 0.02 * reference_wh + ramp_bound_wh + lag_bound_wh
            print(f"{p} {direction}: meter {meter_wh:.4f} Wh, np.trapz {reference_wh:.4f} Wh,"
                  f" plant register {truth_wh:.4f} Wh, allowed +-{allowed_wh:.4f} Wh")
            assert abs(meter_wh - reference_wh) <= allowed_wh, (
                f"meter.{p}.energy_{direction}_wh grew {meter_wh:.4f} Wh from {T0_S} s to {T1_S} s;"
                f" the integral of plant.{p}.power_w is {reference_wh:.4f} Wh"
                f" (allowed +-{allowed_wh:.4f} Wh)")
            # Two implementations of the truth agree to the integration bound (+ 1 mWh of
            # rounding).
            assert abs(truth_wh - reference_wh) <= ramp_bound_wh + 0.001, (
                f"plant.{p}.energy_{direction}_wh grew {truth_wh:.4f} Wh, np.trapz says"
                f" {reference_wh:.4f} Wh")
            checked += reference_wh > 0
    # L1 and L3 import, L2 exports all along: three registers with real energy in them, and the
    # other three book nothing.
    assert checked == 3
    assert np.all(tr["plant.L2.power_w"][span] < 0)
    assert tr["meter.L2.energy_import_wh"][i1] == tr["meter.L2.energy_import_wh"][i0]
    assert tr["meter.L1.energy_export_wh"][i1] == tr["meter.L1.energy_export_wh"][i0]
    assert tr["meter.L3.energy_export_wh"][i1] == tr["meter.L3.energy_export_wh"][i0]


def test_the_switching_schedule_is_on_interval_midpoints():
    """The exactness argument above needs every switching time on k * 0.1 + 0.05 s."""
    for t_s, _, _ in SWITCHING:
        assert abs((t_s / PERIOD_S) % 1.0 - 0.5) < 1e-6
        assert abs(round(t_s / BLOCK_S) * BLOCK_S - t_s) < 1e-9
