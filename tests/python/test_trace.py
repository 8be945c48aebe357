"""amprig.Trace: signals sampled at a fixed period into numpy arrays, and into VCD.

References: the sample grid t0 + k*period in integer nanoseconds; a twin rig (same configuration
and seed) stepped one period at a time and read with rig[name] at each instant; closed-form plant
values; and a small VCD reader written here, independent of the rig's VCD writer."""
import re

import numpy as np
import pytest

import amprig

V = 230.0
CONFIG = {
    "seed": 4,
    "plant": {"loads": [
        {"name": "oven", "phases": ["L1"], "current_a": 8, "power_factor": 1.0},
        {"name": "pump", "phases": ["L1", "L2", "L3"], "current_a": 4, "power_factor": 0.8},
    ]},
}
# Numbers (plant and noisy measurements), a bool, choices.
NAMES = ["plant.L1.current_a", "plant.L1.power_w", "meter.L1.current_a", "meter.L1.power_w",
         "meter.frequency_hz", "loads.oven.current_a", "fuse.L1.tripped", "ct2.reversed",
         "led.current", "led.logo", "ct1.phase"]
NS = 1_000_000_000


def ns(seconds):
    return np.rint(np.asarray(seconds) * 1e9).astype(np.int64)


def test_arrays_have_the_dtype_and_length_of_the_samples():
    with amprig.Rig(CONFIG) as rig:
        rig.run(0.2)
        tr = rig.trace(NAMES, period_s=0.02)
        rig.run(0.5)
        t = tr.time_s
        assert isinstance(t, np.ndarray) and t.dtype == np.float64 and t.ndim == 1
        assert len(t) == 26  # 0.2 s, 0.22 s, ... 0.7 s: 0.5 / 0.02 + 1
        for name in NAMES:
            kind = rig.describe(name)["kind"]
            values = tr[name]
            assert isinstance(values, np.ndarray) and values.shape == t.shape, name
            expected_kind = {"number": "f", "bool": "b", "choice": "U"}[kind]
            assert values.dtype.kind == expected_kind, name
        assert tr["plant.L1.current_a"].dtype == np.float64
        assert tr["fuse.L1.tripped"].dtype == np.bool_
        times, values = tr.arrays()
        assert np.array_equal(times, t) and set(values) == set(NAMES)
        with pytest.raises(KeyError, match="plant.L1.current_a"):
            tr["plant.L1.curent_a"]
        with pytest.raises(KeyError, match="in this trace"):
            tr["plant.L2.current_a"]
        # A single name is a list of one.
        one = rig.trace("led.logo", period_s=0.1)
        rig.run(0.3)
        assert one.names == ["led.logo"] and list(one["led.logo"]) == ["on"] * 4


def test_sample_times_are_start_plus_k_periods_exactly():
    config = dict(CONFIG, steps=[{"at": "0.333s", "set": {"loads.oven.current_a": 30}}])
    with amprig.Rig(config) as rig:
        rig.run(0.0123)
        t0 = ns(rig.time_s)
        a = rig.trace(["plant.L1.current_a"], period_s=0.02)
        b = rig.trace(["plant.L1.current_a"], period_s=0.007)
        # Runs that end between samples, and an expectation that stops time when it holds.
        rig.run(0.055)
        rig.expect("plant.L1.current_a", min=25, within=1.0)
        stopped = ns(rig.time_s)
        rig.run(0.0301)
        rig.run(0.1)
        end = ns(rig.time_s)
        for trace, period in ((a, 20_000_000), (b, 7_000_000)):
            got = ns(trace.time_s)
            expected = t0 + period * np.arange((end - t0) // period + 1)
            assert np.array_equal(got, expected)
            assert np.all(np.abs(trace.time_s - expected / 1e9) < 1e-15 * (1 + expected / 1e9) + 1e-12)
        assert (stopped - t0) % 20_000_000 != 0, "the expectation stopped time between samples"


def test_values_are_what_rig_reads_at_the_same_instants():
    period = 0.05
    with amprig.Rig(CONFIG) as rig, amprig.Rig(CONFIG) as twin:
        tr = rig.trace(NAMES, period_s=period)
        rig.run(0.6)
        rig["loads.oven.current_a"] = 20
        rig["ct2.reversed"] = True
        rig["ct1.phase"] = "L2"
        rig.run(1.4)
        # The twin: one period at a time, reading each signal, with the same sets at 0.6 s.
        read = {name: [] for name in NAMES}
        for k in range(41):
            if k:
                twin.run(period)
            for name in NAMES:
                read[name].append(twin[name])
            if k == 12:
                twin["loads.oven.current_a"] = 20
                twin["ct2.reversed"] = True
                twin["ct1.phase"] = "L2"
        assert len(tr.time_s) == 41
        for name in NAMES:
            assert tr[name].tolist() == read[name], name
        # And against the plant's closed form: 8 + 4 (0.8 - 0.6j) A, then 20 + 4 (0.8 - 0.6j) A.
        before = abs(8 + 4 * (0.8 - 0.6j))
        after = abs(20 + 4 * (0.8 - 0.6j))
        i = tr["plant.L1.current_a"]
        np.testing.assert_allclose(i[:13], before, rtol=1e-9)
        np.testing.assert_allclose(i[13:], after, rtol=1e-9)
        np.testing.assert_allclose(tr["plant.L1.power_w"][13:], V * (20 + 3.2), rtol=1e-9)
        assert tr["loads.oven.current_a"].tolist() == [8.0] * 13 + [20.0] * 28
        assert tr["ct1.phase"].tolist() == ["L1"] * 13 + ["L2"] * 28


def test_reading_a_trace_as_it_runs_gives_the_samples_so_far():
    with amprig.Rig(CONFIG) as rig:
        tr = rig.trace(["loads.oven.current_a", "led.logo"], period_s=0.1)
        assert ns(tr.time_s).tolist() == [0]
        assert tr["loads.oven.current_a"].tolist() == [8.0]
        rig.run(0.3)
        assert ns(tr.time_s).tolist() == [0, 100_000_000, 200_000_000, 300_000_000]
        rig["loads.oven.current_a"] = 3
        rig.run(0.2)
        assert tr["loads.oven.current_a"].tolist() == [8.0, 8.0, 8.0, 8.0, 3.0, 3.0]
        assert len(tr["led.logo"]) == 6
        rig.expect("plant.L1.current_a", max=1000, during=0.1)  # time runs in expect() too
        assert len(tr.time_s) == 7


def test_stop_ends_the_sampling():
    with amprig.Rig(CONFIG) as rig:
        tr = rig.trace(["plant.L1.current_a"], period_s=0.01)
        rig.run(0.1)
        tr.stop()
        rig.run(0.2)
        assert len(tr.time_s) == 11 and ns(tr.time_s[-1]) == ns(0.1)


def test_what_cannot_be_traced():
    with amprig.Rig(CONFIG) as rig:
        with pytest.raises(ValueError, match="is text"):
            rig.trace(["settings.wifi.ssid"])
        with pytest.raises(ValueError, match="at least one"):
            rig.trace([])
        with pytest.raises(ValueError, match="at least 1 us"):
            rig.trace(["led.logo"], period_s=1e-7)


# ---- VCD ------------------------------------------------------------------------------------

def read_vcd(path):
    """A minimal VCD reader: the timescale, the variables by dotted name (scope path + name) with
    their type and width, $comment texts, and each variable's value changes [(time, value)]."""
    tokens = path.read_text().split()
    timescale, variables, comments, ids = None, {}, [], {}
    scopes = []
    i = 0
    while tokens[i] != "$enddefinitions":
        tok = tokens[i]
        end = tokens.index("$end", i)
        body = tokens[i + 1:end]
        if tok == "$timescale":
            timescale = " ".join(body)
        elif tok == "$scope":
            assert body[0] == "module"
            scopes.append(body[1])
        elif tok == "$upscope":
            scopes.pop()
        elif tok == "$var":
            vtype, width, code, ref = body[0], int(body[1]), body[2], body[3]
            name = ".".join(scopes + [ref])
            assert name not in variables
            variables[name] = {"type": vtype, "width": width, "changes": []}
            ids[code] = name
        elif tok == "$comment":
            comments.append(" ".join(body))
        i = end + 1
    assert not scopes, "every $scope has its $upscope"
    i = tokens.index("$end", i) + 1
    now = None
    while i < len(tokens):
        tok = tokens[i]
        if tok.startswith("#"):
            t = int(tok[1:])
            assert now is None or t > now, "time only moves forward"
            now = t
        elif tok[0] in "rb":
            value, code = tok[1:], tokens[i + 1]
            i += 1
            variables[ids[code]]["changes"].append((now, float(value) if tok[0] == "r" else int(value, 2)))
        elif tok[0] in "01xz":
            variables[ids[tok[1:]]]["changes"].append((now, int(tok[0])))
        else:
            raise AssertionError(f"unexpected VCD token {tok!r}")
        i += 1
    return timescale, variables, comments


def value_at(changes, t):
    """The value of a variable at time t: its last change at or before t."""
    last = None
    for when, value in changes:
        if when > t:
            break
        last = value
    return last


def test_vcd_is_written_and_holds_the_samples(tmp_path):
    path = tmp_path / "trace.vcd"
    with amprig.Rig(CONFIG) as rig:
        rig.run(0.3)
        tr = rig.trace(NAMES, period_s=0.02, vcd=path)
        rig.run(0.4)
        rig["loads.oven.current_a"] = 25
        rig["ct2.reversed"] = True
        rig["ct1.phase"] = "L3"
        rig.run(0.6)
        tr.stop()
        timescale, variables, comments = read_vcd(path)
        assert timescale == "1 us"
        assert set(variables) == set(NAMES), "one variable per name, scoped by its dots"
        for name in NAMES:
            d = rig.describe(name)
            vtype = {"number": ("real", 64), "bool": ("wire", 1), "choice": ("integer", 8)}[d["kind"]]
            assert (variables[name]["type"], variables[name]["width"]) == vtype, name
        # Choices are their index, with the mapping in a comment.
        mapping = {}
        for text in comments:
            m = re.fullmatch(r"(\S+): (.*)", text)
            if m:
                mapping[m.group(1)] = dict(pair.split("=")[::-1] for pair in m.group(2).split())
        assert set(mapping) == {"led.current", "led.logo", "ct1.phase"}
        for name in mapping:
            assert set(mapping[name]) == set(rig.describe(name)["choices"])
        # The value of every variable at every sample time is the sample.
        times_us = np.rint(tr.time_s * 1e6).astype(np.int64)
        assert variables["plant.L1.current_a"]["changes"][0][0] == times_us[0] == 300_000
        for name in NAMES:
            kind = rig.describe(name)["kind"]
            for t_us, sample in zip(times_us, tr[name].tolist()):
                got = value_at(variables[name]["changes"], t_us)
                if kind == "number":
                    assert got == pytest.approx(sample, rel=1e-8, abs=1e-12), (name, t_us)
                elif kind == "bool":
                    assert got == int(sample), (name, t_us)
                else:
                    assert got == int(mapping[name][sample]), (name, t_us)
            # Only changes are written, all at sample times.
            whens = [w for w, _ in variables[name]["changes"]]
            assert set(whens) <= set(times_us.tolist())
        # What changed at 0.7 s shows at the first sample after it.
        assert value_at(variables["loads.oven.current_a"]["changes"], 700_000) == 8
        assert value_at(variables["loads.oven.current_a"]["changes"], 720_000) == 25
        assert value_at(variables["ct1.phase"]["changes"], 720_000) == int(mapping["ct1.phase"]["L3"])
        assert value_at(variables["ct2.reversed"]["changes"], 720_000) == 1
        # And from the plant's closed form.
        assert value_at(variables["plant.L1.current_a"]["changes"], 1_300_000) == pytest.approx(
            abs(25 + 4 * (0.8 - 0.6j)), rel=1e-8)


def test_vcd_path_must_be_writable(tmp_path):
    with amprig.Rig(CONFIG) as rig:
        with pytest.raises(ValueError, match="cannot write"):
            rig.trace(["led.logo"], vcd=tmp_path / "no" / "such" / "dir.vcd")


@pytest.mark.parametrize("period_s", [0.01, 0.005, 0.003, 0.0025, 0.007])
def test_a_trace_does_not_change_the_run(period_s):
    # Sampling wakes the rig at instants of its own. Within an instant the firmware's poll always
    # runs after the plant's block and before any observer, so a trace at any period leaves every
    # value exactly as a run without it. (A 10 ms trace used to move the poll before the ADC's
    # block at the instants they share: the voltage LED then turned green 5 ms later.)
    with amprig.Rig(CONFIG) as plain, amprig.Rig(CONFIG) as traced:
        traced.trace(["meter.L1.current_a", "led.voltage"], period_s=period_s)
        plain.run(3.0)
        traced.run(3.0)
        names = [n for n in plain.signals() if plain.describe(n)["kind"] != "text"]
        differ = [n for n in names if plain[n] != traced[n]]
        assert differ == []
        assert plain["led.voltage.last_change_s"] == traced["led.voltage.last_change_s"]
