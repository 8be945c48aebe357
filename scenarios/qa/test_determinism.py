"""Determinism (house style: "the same scenario and seed give bit-identical traces on the same
build"): two rigs built from the same configuration and seed, driven by the same Python steps,
give traces equal bit for bit in every signal, and VCD files equal byte for byte. A third rig with
another seed differs, which shows that the traces really carry the seeded ADC noise (and that the
comparison would see a difference).
"""
import filecmp

import numpy as np

CONFIG = {
    "base": "../regression/base_ag63.yaml",
    "plant": {
        "adc": {"noise_lsb_rms": 3},
        "loads": [
            {"name": "house", "phases": ["L1", "L2", "L3"], "current_a": 7, "power_factor": 0.9},
            {"name": "fridge", "phases": ["L2"], "current_a": 0, "power_factor": 0.7},
        ],
    },
}


def drive(rig, names, vcd):
    """The same steps for every rig: a fridge cycling, two CTs swapped and put back."""
    tr = rig.trace(names, period_s=0.02, vcd=vcd)
    for k in range(6):
        rig["loads.fridge.current_a"] = 2.5 if k % 2 == 0 else 0.0
        rig.run(0.73)
    rig["ct1.phase"], rig["ct2.phase"] = "L2", "L1"
    rig.run(3.0)
    rig["ct1.phase"], rig["ct2.phase"] = "L1", "L2"
    rig.run(1.5)
    return tr


def traced_signals(rig):
    # Everything a trace can hold (numbers, booleans, choices; not free text) except the ground
    # truth per phase, which is closed form anyway and costly to sample (the totals stand in).
    return [n for n in rig.signals() if rig.describe(n)["kind"] != "text"
            and not n.startswith(("plant.L1", "plant.L2", "plant.L3"))]


def bit_identical(a, b):
    if a.dtype.kind == "f":
        return a.shape == b.shape and a.tobytes() == b.tobytes()
    return np.array_equal(a, b)


def test_same_seed_bit_identical_other_seed_differs(make_rig, report_dir):
    rigs = {name: make_rig(dict(CONFIG, seed=seed))
            for name, seed in (("first", 7), ("again", 7), ("other", 8))}
    names = traced_signals(rigs["first"])
    assert len(names) > 100
    vcd = {name: report_dir / f"determinism_{name}.vcd" for name in rigs}
    traces = {name: drive(rig, names, vcd[name]) for name, rig in rigs.items()}

    first, again, other = traces["first"], traces["again"], traces["other"]
    assert bit_identical(first.time_s, again.time_s)
    assert len(first.time_s) == len(again.time_s) > 300
    different = [n for n in names if not bit_identical(first[n], again[n])]
    assert different == [], f"same seed, different traces: {different}"
    assert filecmp.cmp(vcd["first"], vcd["again"], shallow=False)

    # The other seed: the noisy measurements differ, the plant and the verdicts do not.
    noisy = [n for n in names if not bit_identical(first[n], other[n])]
    assert "meter.L1.current_a" in noisy and "meter.L2.power_w" in noisy
    assert all(n.startswith("meter.") for n in noisy), noisy
    for n in ("plant.total.power_w", "led.current", "status.current_reason", "status.L1.ct_phase"):
        assert bit_identical(first[n], other[n]), n
    assert not filecmp.cmp(vcd["first"], vcd["other"], shallow=False)
    # And the fault was seen at all (otherwise the verdicts above say nothing).
    assert "red" in first["led.current"] and "L2" in first["status.L1.ct_phase"]
