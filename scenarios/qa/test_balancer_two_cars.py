"""Two 3-phase cars share a 25 A main fuse with a 3 A house; a 5 A heater on L1 from 60.3 s to
120.3 s. The charger setpoints, the cars' currents and the phase currents are traced and plotted
(balancer_two_cars.png in the report folder); the balancer's decisions are checked against the
closed form below and against the device spec's list of what every balancing decision must honour.

Derivation (230 V, unity power factor; balancing/base_balancing.yaml: fuse and supply max 25 A,
online cap 25 A, offline cap 10 A, min 6 A, ramp 1 A/s, 0.1 A step, chargers in the measurements):
- Capacity per phase for the group: min(online cap 25, fuse 25 - other loads 3) = 22 A; two cars
  fill it together: 11 A each, below their 16 A maximum -> limited_by_fuse. Truth: 3 + 22 = 25 A
  per phase.
- Heater 5 A on L1 at 60.3 s: other loads on L1 8 A -> 25 - 8 = 17 A, 8.5 A each (a multiple of
  the 0.1 A step), limited_by_fuse. Decided within one telemetry period (1 s) + one window
  (0.2 s) + link (0.05 s) + one cycle (1 s) = 2.25 s; the cars follow 50 ms + 3 s after the
  decision: within 5.3 s. Until then L1 carries 3 + 5 + 22 = 30 A = 1.2 In, below the gG
  non-fusing current 1.25 In = 31.25 A: the fuse does not even start to heat.
- Heater off at 120.3 s: the share is 11 A again, reached by ramping at 1 A/s (8.5 -> 9.5 ->
  10.5 -> 11), never faster.
"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

CONFIG = {
    "base": "../regression/balancing/base_balancing.yaml",
    "plant": {
        "loads": [
            {"name": "house", "phases": ["L1", "L2", "L3"], "current_a": 3},
            {"name": "heater", "phases": ["L1"], "current_a": 0},
        ],
        "chargers": [
            {"id": "CH1", "offline_current_a": 6, "offline_phase": "L1",
             "car": {"phases": 3, "max_current_a": 16, "plugged_at": "0s"}},
            {"id": "CH2", "offline_current_a": 6, "offline_phase": "L2",
             "car": {"phases": 3, "max_current_a": 16, "plugged_at": "0s"}},
        ],
    },
}
FUSE_A = 25.0
HOUSE_A = 3.0
HEATER_A = 5.0
MIN_A = 6.0
RAMP_A_PER_S = 1.0
STEP_A = 0.1
HEATER_ON_S, HEATER_OFF_S, END_S = 60.3, 120.3, 150.0
DECIDE_WITHIN_S, FOLLOW_WITHIN_S = 2.25, 5.3
CHARGERS = ("CH1", "CH2")
PERIOD_S = 0.1


def share_a(other_loads_a):
    """Each car's share of what the fuse leaves, floored to the setpoint step."""
    per_car = (FUSE_A - other_loads_a) / len(CHARGERS)
    return np.floor(per_car / STEP_A + 1e-9) * STEP_A


def test_two_cars_share_and_follow_a_heater(rig, report_dir):
    names = ([f"charger.{c}.{s}" for c in CHARGERS
              for s in ("decided_setpoint_a", "setpoint_a", "current_a", "reason")]
             + [f"meter.{p}.current_a" for p in ("L1", "L2", "L3")]
             + ["plant.L1.current_a", "fuse.L1.load_pct", "fuse.L1.tripped",
                "balancer.device_online"])
    tr = rig.trace(names, period_s=PERIOD_S)

    before, during = share_a(HOUSE_A), share_a(HOUSE_A + HEATER_A)
    assert (before, during) == (11.0, 8.5)

    # Shared fairly, limited by the fuse, with the other loads taken into account.
    rig.run(55.0)
    rig.expect("balancer.device_online", True)
    for c in CHARGERS:
        rig.expect(f"charger.{c}.decided_setpoint_a", value=before, tolerance_abs=0.01)
        rig.expect(f"charger.{c}.current_a", value=before, tolerance_abs=0.01)
        rig.expect(f"charger.{c}.reason", "limited_by_fuse")
    for p in ("L1", "L2", "L3"):
        rig.expect(f"plant.{p}.current_a", value=HOUSE_A + 2 * before, tolerance_pct=0.1)
        rig.expect(f"meter.{p}.current_a", value=f"plant.{p}.current_a", tolerance_pct=2)

    # The heater: cut at once (no ramp down), the cars follow.
    rig.run(HEATER_ON_S - rig.time_s)
    rig["loads.heater.current_a"] = HEATER_A
    for c in CHARGERS:
        rig.expect(f"charger.{c}.decided_setpoint_a", value=during, tolerance_abs=0.01,
                   within=HEATER_ON_S + DECIDE_WITHIN_S - rig.time_s)
    for c in CHARGERS:
        rig.expect(f"charger.{c}.current_a", value=during, tolerance_abs=0.01,
                   within=HEATER_ON_S + FOLLOW_WITHIN_S - rig.time_s)
    rig.run(1.0)
    for c in CHARGERS:
        rig.expect(f"charger.{c}.reason", "limited_by_fuse")
    # L1 full again, within the meter's class 2 (the meter reading is the balancer's input).
    rig.expect("plant.L1.current_a", value=FUSE_A, tolerance_pct=2)

    # Heater off: back to 11 A, by the ramp.
    rig.run(HEATER_OFF_S - rig.time_s)
    rig["loads.heater.current_a"] = 0
    rig.run(END_S - rig.time_s)
    for c in CHARGERS:
        rig.expect(f"charger.{c}.decided_setpoint_a", value=before, tolerance_abs=0.01)
        rig.expect(f"charger.{c}.reason", "limited_by_fuse")
        rig.expect(f"charger.{c}.pauses", 0)

    t = tr.time_s
    decided = {c: tr[f"charger.{c}.decided_setpoint_a"] for c in CHARGERS}
    received = {c: tr[f"charger.{c}.setpoint_a"] for c in CHARGERS}
    _plot(report_dir / "balancer_two_cars.png", t, tr, decided, received)

    # Never between 0 and the minimum, decided or received.
    for c in CHARGERS:
        for s in (decided[c], received[c]):
            assert not np.any((s > 1e-6) & (s < MIN_A - 1e-6)), f"{c} set inside (0, {MIN_A}) A"
    # Fair: once both cars charge, both get the same.
    both = t >= 10.0
    assert np.array_equal(decided["CH1"][both], decided["CH2"][both])
    # Rising never faster than the ramp: at most 1 A over any 1 s (10 trace periods) while the
    # car charges (a start goes straight to the minimum).
    lag = int(round(1.0 / PERIOD_S))
    for c in CHARGERS:
        charging = (decided[c][lag:] > 0) & (decided[c][:-lag] > 0)
        rise = (decided[c][lag:] - decided[c][:-lag])[charging]
        assert rise.max() <= RAMP_A_PER_S + 1e-6, f"{c} rose {rise.max():.2f} A in 1 s"
    # No oscillation: after the start-up the setpoint moves only for the two heater edges: one cut
    # and one rise (made of ramp steps), i.e. exactly one change of direction.
    steady = decided["CH1"][t >= 10.0]
    moves = np.sign(np.diff(steady))
    moves = moves[moves != 0]
    assert np.count_nonzero(np.diff(moves)) == 1, f"setpoint direction changes: {moves}"
    assert steady.min() == during and steady.max() == before
    # The reasons seen after start-up are the fuse bound and the ramp, nothing else.
    assert set(tr["charger.CH1.reason"][both]) == {"limited_by_fuse", "ramping_up"}
    # The fuse: never tripped, never heated (30 A is below the 31.25 A non-fusing current).
    assert not tr["fuse.L1.tripped"].any()
    assert np.all(tr["fuse.L1.load_pct"] == 0)
    # Truth at the fuse: at most 30 A during the cut, within the meter's class 2 of 25 A otherwise.
    l1 = tr["plant.L1.current_a"]
    transient = (t >= HEATER_ON_S) & (t < HEATER_ON_S + FOLLOW_WITHIN_S)
    assert l1[transient].max() <= HOUSE_A + HEATER_A + 2 * before + 1e-6
    assert l1[~transient].max() <= FUSE_A * 1.02
    # Spare capacity used: from 15 s on, except while the cars follow a change, L1 is at the fuse
    # rating within class 2.
    settled = (t >= 15.0) & ~transient & ~((t >= HEATER_OFF_S) & (t < HEATER_OFF_S + 9.0))
    assert np.all(np.abs(l1[settled] - FUSE_A) <= 0.02 * FUSE_A)


def _plot(path, t, tr, decided, received):
    fig, axes = plt.subplots(3, 1, figsize=(10, 9), sharex=True)
    for c, colour in zip(CHARGERS, ("tab:blue", "tab:orange")):
        axes[0].step(t, decided[c], where="post", color=colour, label=f"{c} decided")
        axes[0].step(t, received[c], where="post", color=colour, linestyle="--",
                     label=f"{c} received")
        axes[1].plot(t, tr[f"charger.{c}.current_a"], color=colour, label=f"{c} car current")
    axes[0].axhline(MIN_A, color="grey", linewidth=0.8, linestyle=":", label="min per charger")
    axes[0].set_ylabel("setpoint [A]")
    axes[1].set_ylabel("car current [A]")
    for p, colour in zip(("L1", "L2", "L3"), ("tab:brown", "tab:grey", "tab:purple")):
        axes[2].plot(t, tr[f"meter.{p}.current_a"], color=colour, label=f"meter {p}")
    axes[2].plot(t, tr["plant.L1.current_a"], color="black", linestyle=":", label="truth L1")
    axes[2].axhline(FUSE_A, color="red", linewidth=0.8, label="main fuse 25 A")
    axes[2].axhline(1.25 * FUSE_A, color="red", linewidth=0.8, linestyle="--",
                    label="non-fusing 31.25 A")
    axes[2].set_ylabel("phase current [A]")
    axes[2].set_xlabel("simulated time [s]")
    for ax in axes:
        ax.axvspan(HEATER_ON_S, HEATER_OFF_S, color="yellow", alpha=0.15)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="lower right", fontsize=7)
    fig.suptitle("Two cars on a 25 A fuse; 5 A heater on L1 from 60.3 s to 120.3 s")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
