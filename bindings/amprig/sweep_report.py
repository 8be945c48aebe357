"""The HTML report of a fault sweep: one self-contained index.html (inline CSS, no script) and a
few PNG plots per failed run, from a sweep's JSON-lines results file.

    python3 -m amprig.sweep_report build/reports/sweeps/smoke.jsonl --out build/reports/smoke-html

The page sums the runs up (passed, failed, with errors; by fault and by base scenario, as `amprig
sweep` prints them) and shows each run that did not pass: its faults, seed, the command that
replays it, its failed expectations or its error. Failed runs are simulated again to plot the
signals around the failure: runs are bit-exactly deterministic, so the plots show the run as it
failed. The scenario comes from `amprig sweep SWEEP_FILE --emit RUN_ID`, run where the sweep ran.

`amprig sweep FILE --html DIR` and `amprig report RESULTS --html DIR` run this module with
/usr/bin/python3, this build's package first on its path and AMPRIG_PROGRAM naming the program,
so that the replay commands and the re-simulations are that program's.
"""
import argparse
import html
import json
import math
import os
import pathlib
import re
import shlex
import stat
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np

from ._load import _core

OUTCOMES = ("passed", "failed", "error")
PHASES = ("L1", "L2", "L3")

# Simulated seconds plotted either side of the faults and failures of a run.
PLOT_MARGIN_S = 10.0
# Trace periods. Every plant.* sample computes the ground truth afresh from the models' closed
# forms (about 0.2 ms each, measured on the reference rig), the other signals cost almost nothing:
# 6 plant signals at 50 ms make about 0.6 s of wall time per 30 s run. Longer spans get coarser
# periods, so that no plot holds more than about this many points per line.
PLANT_PERIOD_S = 0.05
FAST_PERIOD_S = 0.01
MAX_PLANT_POINTS = 600
MAX_FAST_POINTS = 3000
OUTPUT_TAIL_LINES = 40
# Damaged lines of a results file named one by one on stderr before a count of the rest: the
# program's own limit (kMaxDamagedWarnings in harness/sweep/results.h).
MAX_DAMAGED_WARNINGS = _core.max_damaged_warnings
DPI = 90


class ResultsError(ValueError):
    """A results file that cannot be read, or that holds lines and not one run's record."""


class NoTraces(Exception):
    """Why a failed run cannot be simulated again (its text goes on the page)."""


# -- the results file ------------------------------------------------------------------------------

def _number(value, what, *, optional=False):
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"'{what}' is not a number: {value!r}")
    return float(value)


def _text(obj, key, default=""):
    value = obj.get(key, default)
    if value is None:
        return default
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise ValueError(f"'{key}' is not a text: {value!r}")
    return str(value)


def _record(obj):
    """A record of the results file with every field there and checked; raises ValueError."""
    if not isinstance(obj, dict):
        raise ValueError("not a run's record (a JSON object)")
    if not isinstance(obj.get("id"), str) or not obj["id"]:
        raise ValueError("not a run's record (no 'id')")
    outcome = obj.get("outcome")
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r} (passed, failed or error)")
    faults = obj.get("faults") or []
    failures = obj.get("failures") or []
    if not isinstance(faults, list) or not all(isinstance(f, dict) for f in faults):
        raise ValueError("'faults' is not a list of objects")
    if not isinstance(failures, list) or not all(isinstance(f, dict) for f in failures):
        raise ValueError("'failures' is not a list of objects")
    record = {key: _text(obj, key) for key in
              ("id", "sweep", "sweep_file", "cwd", "host", "group", "base", "digest", "error",
               "output")}
    record["outcome"] = outcome
    record["seed"] = obj.get("seed")
    record["sim_s"] = _number(obj.get("sim_s", 0), "sim_s")
    record["wall_s"] = _number(obj.get("wall_s", 0), "wall_s")
    record["faults"] = [{
        "name": _text(f, "name"),
        "value": _text(f, "value"),
        "at_s": _number(f.get("at_s", 0), f"faults[{i}].at_s"),
        "duration_s": _number(f.get("duration_s"), f"faults[{i}].duration_s", optional=True),
    } for i, f in enumerate(faults)]
    record["failures"] = [{
        "message": _text(f, "message"),
        "signal": _text(f, "signal"),
        "actual": _text(f, "actual"),
        "time_s": _number(f.get("time_s", 0), f"failures[{i}].time_s"),
    } for i, f in enumerate(failures)]
    return record


def read_results(path):
    """(records, notes): the last record of each run id, in the order the ids first appear, and
    what the page should say about the file. Raises ResultsError naming the file (and line)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as e:
        raise ResultsError(f"cannot read {path}: {e.strerror or e}") from None
    if not stat.S_ISREG(mode):
        # A pipe would block and a device such as /dev/zero never end: as amprig replay says.
        kind = ("a directory" if stat.S_ISDIR(mode) else "a named pipe" if stat.S_ISFIFO(mode)
                else "a socket" if stat.S_ISSOCK(mode) else "a device")
        raise ResultsError(f"{path} is {kind}, not a results file (a regular file)")
    try:
        data = pathlib.Path(path).read_bytes()
    except OSError as e:
        raise ResultsError(f"cannot read {path}: {e.strerror or e}") from None
    notes = []
    lines = data.split(b"\n")
    if lines and lines[-1]:
        # A record is written whole with its newline; without one the writer was killed. amprig
        # replay and --resume drop such a line too.
        notes.append(f"{path}:{len(lines)}: the last line has no newline at its end (a sweep "
                     "killed while writing it): left out, as amprig replay leaves it out")
    records, superseded, damaged, complete = {}, 0, [], 0
    for number, raw in enumerate(lines[:-1], start=1):
        if not raw.strip():
            continue
        complete += 1
        # A damaged line (half written, garbage, another program's) is skipped with a warning,
        # as amprig sweep --resume, replay and shrink skip it: the intact runs still count.
        try:
            text = raw.decode("utf-8")
            record = _record(json.loads(text))
        except UnicodeDecodeError as e:
            damaged.append(f"{path}:{number}: not UTF-8 text ({e.reason} at byte {e.start})")
            continue
        except json.JSONDecodeError as e:
            damaged.append(f"{path}:{number}: not JSON: {e.msg} (column {e.colno})")
            continue
        except (ValueError, RecursionError) as e:
            damaged.append(f"{path}:{number}: {e}")
            continue
        if record["id"] in records:
            superseded += 1
        records[record["id"]] = record
    if complete and not records:
        raise ResultsError(f"{path} is not a sweep's results file: not one of its {complete} lines "
                           f"is a run's record ({damaged[0]})")
    for line in damaged[:MAX_DAMAGED_WARNINGS]:
        print(f"amprig: warning: {line} (skipped)", file=sys.stderr)
    if len(damaged) > MAX_DAMAGED_WARNINGS:
        print(f"amprig: warning: and {len(damaged) - MAX_DAMAGED_WARNINGS} more lines that are "
              "not a run's record (skipped)", file=sys.stderr)
    if damaged:
        notes.append(f"{len(damaged)} damaged line(s) skipped, their runs not counted: "
                     + "; ".join(damaged[:MAX_DAMAGED_WARNINGS])
                     + ("; …" if len(damaged) > MAX_DAMAGED_WARNINGS else ""))
    if superseded:
        notes.append(f"{superseded} earlier record(s) of runs recorded again later: the last "
                     "record of each run counts")
    return list(records.values()), notes


# -- what the page says of a run ---------------------------------------------------------------------

def _seconds(value):
    """4 -> '4 s', 0.25 -> '250 ms'."""
    if value != 0 and abs(value) < 1:
        return f"{value * 1000:g} ms"
    return f"{value:g} s"


def fault_text(fault):
    """'ct1.connected=false at 4 s for 2 s' (or 'until the end')."""
    until = ("until the end" if fault["duration_s"] is None
             else f"for {_seconds(fault['duration_s'])}")
    return f"{fault['name']}={fault['value']} at {_seconds(fault['at_s'])} {until}"


def replay_command(program, results_path, run_id):
    return " ".join(shlex.quote(str(part)) for part in (program, "replay", results_path, run_id))


def _base_names(records):
    """Each base path -> the name the page shows: its file name without .yaml, or the path where
    two bases share a file name (as `amprig sweep` names them)."""
    paths = sorted({r["base"] for r in records})
    stems = {}
    for p in paths:
        stems.setdefault(pathlib.PurePath(p).name.removesuffix(".yaml"), []).append(p)
    names = {}
    for stem, same in stems.items():
        for p in same:
            names[p] = stem if len(same) == 1 else p
    return names


def tallies(records):
    """(total, by_fault, by_base): {outcome: count} with 'runs', and the same per fault signal
    name ('(no fault)' for runs without one; a run with two faults counts for both) and per
    base scenario, sorted by name."""
    def empty():
        return {"runs": 0, "passed": 0, "failed": 0, "error": 0}

    total, by_fault, by_base = empty(), {}, {}
    names = _base_names(records)
    for r in records:
        keys = sorted({f["name"] for f in r["faults"]}) or ["(no fault)"]
        for tally in [total, by_base.setdefault(names[r["base"]], empty())] + \
                     [by_fault.setdefault(k, empty()) for k in keys]:
            tally["runs"] += 1
            tally[r["outcome"]] += 1
    return total, dict(sorted(by_fault.items())), dict(sorted(by_base.items()))


# -- simulating a failed run again -------------------------------------------------------------------

def _emit(record, program, timeout_s):
    """The run's standalone scenario text (amprig sweep SWEEP_FILE --emit RUN_ID, from the cwd
    the sweep ran in)."""
    cwd = record["cwd"] or "."
    if not os.path.isdir(cwd):
        where = f" on {record['host']}" if record["host"] else ""
        raise NoTraces(f"the sweep ran in {cwd}{where}, which is not a folder here")
    if not record["sweep_file"]:
        raise NoTraces("the record names no sweep file")
    command = [os.path.abspath(program), "sweep", record["sweep_file"], "--emit", record["id"]]
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, errors="replace",
                              timeout=timeout_s, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise NoTraces(f"`{shlex.join(command)}` did not end within {timeout_s:g} s") from None
    except OSError as e:
        raise NoTraces(f"cannot run {program}: {e.strerror or e}") from None
    if done.returncode != 0 or not done.stdout.strip():
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        why = lines[-1] if lines else f"exit code {done.returncode}"
        raise NoTraces(f"the run's scenario cannot be made (`amprig sweep --emit` in {cwd}): {why}")
    return done.stdout


def _fuse_rating_a(scenario_text, rig):
    """The plant's main fuse: plant.fuse.rating_a, else the installer's device.fuse_a (which the
    device also holds as settings.fuse_a before any step changes it)."""
    try:
        import yaml
        tree = yaml.safe_load(scenario_text) or {}
        rating = ((tree.get("plant") or {}).get("fuse") or {}).get("rating_a")
        if rating is None:
            rating = (tree.get("device") or {}).get("fuse_a")
        if rating is not None:
            return float(rating)
    except Exception:  # no PyYAML, or an unusual tree: the rig's own setting says it
        pass
    try:
        return float(rig["settings.fuse_a"])
    except Exception:
        return float("nan")


def _events(record, end_s):
    """The fault windows [[start, end]] clipped to the run, and the failure times."""
    windows = []
    for f in record["faults"]:
        start = f["at_s"]
        stop = end_s if f["duration_s"] is None else min(start + f["duration_s"], end_s)
        windows.append([start, max(stop, start)])
    failures = [f["time_s"] for f in record["failures"]]
    return np.array(windows, dtype=float).reshape(-1, 2), np.array(failures, dtype=float)


def _span(record, end_s):
    """The simulated time the plots show: the faults and failures, with a margin either side."""
    windows, failures = _events(record, end_s)
    starts = list(windows[:, 0]) + list(failures)
    stops = list(failures) if len(failures) else list(windows[:, 1])
    t0 = max(0.0, min(starts) - PLOT_MARGIN_S) if starts else 0.0
    t1 = min(end_s, max(stops) + PLOT_MARGIN_S) if stops else end_s
    if t1 <= t0:
        t0, t1 = 0.0, end_s
    return t0, t1


def _period(span_s, base_s, max_points):
    return max(base_s, span_s / max_points)


def failure_traces(record, program=None, *, timeout_s=60.0):
    """Simulates a failed run again and returns what its plots show, a dict:

    - "time_s" and "plant_time_s": the sample times (s) of the signals and of the plant.* ones
      (which are traced at a coarser period: each sample computes the ground truth afresh);
    - each traced signal's name: its values (float, or str for LEDs);
    - "span_s": [start, end] of the plotted time; "fault_windows": [[start, end]] per fault of the
      record (one without duration to the end of the run), "fault_labels"; "failure_times_s";
    - "fuse_rating_a"; "leds": {name: its states}; "chargers": the charger ids;
    - "failures": the messages of the expectations that failed in this simulation.

    `record` is a record of the results file (as read_results gives it, or the raw JSON object).
    Raises NoTraces saying why when the run cannot be simulated (its sweep or rig cannot be had,
    the rig's process dies, or it takes longer than `timeout_s` of wall time)."""
    import amprig
    from ._paths import amprig_program

    record = _record(record)
    started = time.monotonic()
    if program is None:
        try:
            program = amprig_program()
        except FileNotFoundError as e:
            raise NoTraces(str(e)) from None
    text = _emit(record, program, timeout_s)
    with tempfile.TemporaryDirectory(prefix="amprig-report-") as folder:
        path = os.path.join(folder, "run.yaml")
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
        try:
            rig = amprig.Rig.from_yaml(path)
        except Exception as e:  # ScenarioError, RigProcessError: the note says which
            raise NoTraces(f"the run's rig cannot be built: {e}") from None
    try:
        return _simulate(rig, record, text, started, timeout_s, amprig)
    finally:
        rig.close()


def _simulate(rig, record, scenario_text, started, timeout_s, amprig):
    failures = []

    def run_to(t_s):
        # In pieces, so that a run slower than its budget is given up between two of them.
        while rig.time_s < t_s - 1e-9:
            if time.monotonic() - started > timeout_s:
                raise NoTraces(f"simulating it again took longer than {timeout_s:g} s "
                               f"(stopped at {rig.time_s:.3f} s of simulated time)")
            try:
                rig.run(min(5.0, t_s - rig.time_s))
            except amprig.ExpectationError as e:
                failures.extend(f["message"] for f in e.failures)
            except amprig.RigProcessError as e:
                raise NoTraces(f"the rig's process died near {rig.time_s:.3f} s: {e}") from None

    try:
        names = set(rig.signals())
        fuse_rating_a = _fuse_rating_a(scenario_text, rig)
        leds = {}
        for name in sorted(n for n in names if re.fullmatch(r"led\.[^.]+", n)):
            info = rig.describe(name)
            if info["kind"] == "choice":
                leds[name] = list(info["choices"])
    except amprig.RigProcessError as e:
        raise NoTraces(f"the rig's process died: {e}") from None
    chargers = sorted(m.group(1) for m in (re.fullmatch(r"charger\.([^.]+)\.setpoint_a", n)
                                           for n in names) if m)
    plant = [f"plant.{p}.{q}" for q in ("current_a", "voltage_v") for p in PHASES]
    fast = [f"meter.{p}.{q}" for q in ("current_a", "voltage_v") for p in PHASES]
    fast += [f"fuse.{p}.load_pct" for p in PHASES]
    fast += [f"charger.{c}.{q}" for c in chargers for q in ("setpoint_a", "current_a")]
    fast += list(leds)
    plant = [n for n in plant if n in names]
    fast = [n for n in fast if n in names]

    end_s = round(record["sim_s"], 9)
    if end_s <= 0:
        end_s = max([f["time_s"] for f in record["failures"]] + [0.0]) + PLOT_MARGIN_S
    t0, t1 = _span(record, end_s)
    run_to(t0)
    try:
        fast_trace = rig.trace(fast, _period(t1 - t0, FAST_PERIOD_S, MAX_FAST_POINTS)) if fast else None
        plant_trace = rig.trace(plant, _period(t1 - t0, PLANT_PERIOD_S, MAX_PLANT_POINTS)) if plant else None
    except amprig.RigProcessError as e:
        raise NoTraces(f"the rig's process died: {e}") from None
    run_to(t1)
    out = {"time_s": np.zeros(0), "plant_time_s": np.zeros(0)}
    try:
        if fast_trace is not None:
            out["time_s"], values = fast_trace.arrays()
            out.update(values)
        if plant_trace is not None:
            out["plant_time_s"], values = plant_trace.arrays()
            out.update(values)
    except amprig.RigProcessError as e:
        raise NoTraces(f"the rig's process died: {e}") from None
    windows, failure_times = _events(record, end_s)
    out.update({
        "span_s": np.array([t0, t1]),
        "fault_windows": windows,
        "fault_labels": [fault_text(f) for f in record["faults"]],
        "failure_times_s": failure_times,
        "fuse_rating_a": fuse_rating_a,
        "leds": leds,
        "chargers": chargers,
        "failures": failures,
    })
    return out


# -- plots ---------------------------------------------------------------------------------------------

FAULT_COLOUR = "#f4a742"
FAILURE_COLOUR = "#c0182a"
PHASE_COLOURS = {"L1": "#1f77b4", "L2": "#9467bd", "L3": "#2ca02c"}
# Equal currents on the three phases are common: dashes let the lines below show through.
PHASE_STYLES = {"L1": dict(ls="-", lw=2.4), "L2": dict(ls=(0, (5, 3)), lw=1.8), "L3": dict(ls=(0, (1.5, 2)), lw=1.8)}


def _figure(rows, height_in, ratios=None):
    from matplotlib.figure import Figure
    fig = Figure(figsize=(10, height_in), dpi=DPI, layout="constrained")
    axes = fig.subplots(rows, 1, sharex=True, squeeze=False,
                        gridspec_kw={"height_ratios": ratios} if ratios else None)[:, 0]
    return fig, list(axes)


def _mark(axes, traces):
    """Fault windows shaded, the failure times as vertical lines, the span as the x range."""
    t0, t1 = traces["span_s"]
    for i, ax in enumerate(axes):
        for k, (start, stop) in enumerate(traces["fault_windows"]):
            ax.axvspan(start, stop, color=FAULT_COLOUR, alpha=0.22, lw=0,
                       label="fault" if i == 0 and k == 0 else None, gid=f"fault{k}")
        for k, t in enumerate(traces["failure_times_s"]):
            ax.axvline(t, color=FAILURE_COLOUR, lw=1.4, ls="-",
                       label=f"failure at {t:.3f} s" if i == 0 and k == 0 else None,
                       gid=f"failure{k}")
        ax.set_xlim(t0, t1)
        ax.grid(True, alpha=0.3)
    axes[-1].set_xlabel("simulated time [s]")


def _legend(ax, **kw):
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False, **kw)


def _currents_figure(traces):
    fig, (ax, ax_fuse) = _figure(2, 4.6, ratios=[3, 1.3])
    time_p = traces.get("plant_time_s")
    for p in PHASES:
        name = f"plant.{p}.current_a"
        if name in traces:
            ax.plot(time_p, traces[name], color=PHASE_COLOURS[p], **PHASE_STYLES[p],
                    label=f"{p} true (plant.{p}.current_a)", gid=name)
    rating = traces["fuse_rating_a"]
    if math.isfinite(rating):
        ax.axhline(rating, color="#b22222", ls="--", lw=1.2, label=f"fuse rating {rating:g} A")
    ax.set_ylabel("current [A]")
    top = ax.get_ylim()[1]
    ax.set_ylim(0, max(top, rating * 1.15) if math.isfinite(rating) else top)
    ax.set_title("Phase currents, true, against the main fuse")
    for p in PHASES:
        name = f"fuse.{p}.load_pct"
        if name in traces:
            ax_fuse.plot(traces["time_s"], traces[name], color=PHASE_COLOURS[p], **PHASE_STYLES[p],
                         label=f"{p} fuse load", gid=name)
    ax_fuse.axhline(100, color="#b22222", ls=":", lw=1, label="100 % = melted")
    ax_fuse.set_ylabel("fuse load [%]")
    ax_fuse.set_ylim(bottom=0, top=max(105.0, ax_fuse.get_ylim()[1]))
    _mark([ax, ax_fuse], traces)
    _legend(ax)
    _legend(ax_fuse)
    return fig


def _chargers_figure(traces):
    from matplotlib import colormaps
    fig, (ax,) = _figure(1, 3.6)
    colours = colormaps["tab10"]
    count = len(traces["chargers"])
    for i, c in enumerate(traces["chargers"]):
        colour = colours(i % 10)
        # Chargers sharing equally draw the same lines: the earlier ones wider, to show below.
        wider = 1.0 * min(count - 1 - i, 4)
        ax.plot(traces["time_s"], traces[f"charger.{c}.setpoint_a"], color=colour, ls="--",
                lw=1.2 + wider, drawstyle="steps-post", label=f"{c} setpoint",
                gid=f"charger.{c}.setpoint_a")
        ax.plot(traces["time_s"], traces[f"charger.{c}.current_a"], color=colour, lw=1.6 + wider,
                label=f"{c} current", gid=f"charger.{c}.current_a")
    ax.set_ylabel("current per phase [A]")
    ax.set_ylim(bottom=0)
    ax.set_title("Chargers: setpoint received (dashed) and the car's current (solid)")
    _mark([ax], traces)
    _legend(ax)
    return fig


def _leds_figure(traces):
    leds = traces["leds"]
    fig, axes = _figure(len(leds), 0.9 + 0.75 * len(leds))
    for ax, (name, states) in zip(axes, leds.items()):
        values = traces[name]
        # "off" at the bottom: the LED dark is the lowest level.
        known = sorted(states, key=lambda s: s != "off") + sorted(set(values) - set(states))
        levels = np.array([known.index(v) for v in values], dtype=float)
        ax.plot(traces["time_s"], levels, drawstyle="steps-post", color="#333333", lw=1.6, gid=name)
        ax.set_yticks(range(len(known)), known, fontsize=8)
        ax.set_ylim(-0.5, len(known) - 0.5)
        ax.set_ylabel(name.removeprefix("led."), rotation=0, ha="right", va="center")
    axes[0].set_title("LEDs")
    _mark(axes, traces)
    _legend(axes[0])
    return fig


def _measured_figure(traces):
    fig, (ax_i, ax_v) = _figure(2, 5.2)
    for ax, quantity, unit in ((ax_i, "current_a", "current [A]"), (ax_v, "voltage_v", "voltage [V]")):
        for p in PHASES:
            true, measured = f"plant.{p}.{quantity}", f"meter.{p}.{quantity}"
            # The truth as a wide pale band, the measurement as a thin line on it.
            if true in traces:
                ax.plot(traces["plant_time_s"], traces[true], color=PHASE_COLOURS[p], lw=4,
                        alpha=0.3, solid_capstyle="butt", label=f"{p} true", gid=true)
            if measured in traces:
                ax.plot(traces["time_s"], traces[measured], color=PHASE_COLOURS[p],
                        **dict(PHASE_STYLES[p], lw=1.3), label=f"{p} measured", gid=measured)
        ax.set_ylabel(unit)
    ax_i.set_title("Measured (meter.*) against true (plant.*)")
    _mark([ax_i, ax_v], traces)
    _legend(ax_i)
    return fig


def failure_figures(traces):
    """[(kind, description, matplotlib Figure)] for the traces of failure_traces(): the true phase
    currents against the fuse, the chargers (with chargers in the plant), the LEDs, and measured
    against true values."""
    figures = []
    if any(f"plant.{p}.current_a" in traces for p in PHASES):
        figures.append(("currents", "true phase currents against the fuse rating, and the fuse's "
                        "thermal load", _currents_figure(traces)))
    if traces["chargers"]:
        figures.append(("chargers", "charger setpoints and currents", _chargers_figure(traces)))
    if traces["leds"]:
        figures.append(("leds", "LED states: " + ", ".join(traces["leds"]), _leds_figure(traces)))
    if any(f"meter.{p}.current_a" in traces for p in PHASES):
        figures.append(("measured", "measured against true current and voltage per phase",
                        _measured_figure(traces)))
    return figures


def _png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    return struct.unpack(">II", head[16:24])


def plot_failure(traces, out_dir, stem):
    """Writes the plots of one run as out_dir/<stem>-<kind>.png; returns [{file, kind, alt,
    width, height}]."""
    import matplotlib
    matplotlib.use("Agg")
    images = []
    for kind, description, fig in failure_figures(traces):
        name = f"{stem}-{kind}.png"
        fig.savefig(pathlib.Path(out_dir) / name, dpi=DPI)
        width, height = _png_size(pathlib.Path(out_dir) / name)
        images.append({"file": name, "kind": kind, "alt": description,
                       "width": width, "height": height})
    return images


# -- the page -----------------------------------------------------------------------------------------

CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5em auto; max-width: 1100px; color: #1a1a1a; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.05em; margin: 0 0 0.4em; word-break: break-all; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { padding: 0.2em 0.8em; text-align: left; border-bottom: 1px solid #e3e3e3; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.bad td { background: #fde8e8; }
tr.bad td.fail { color: #a00; font-weight: bold; }
table.facts th { font-weight: normal; color: #555; }
span.passed, td.passed { color: #176b1d; } span.failed, td.failed, span.error, td.error { color: #a00; }
section.run { border: 1px solid #ddd; border-left: 5px solid #c0182a; padding: 0.8em 1em; margin: 1.2em 0; }
section.run.error { border-left-color: #7a1fa2; }
pre { background: #f5f5f5; padding: 0.5em 0.7em; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
ul.failures li { margin: 0.3em 0; font-family: monospace; word-break: break-word; }
p.note { background: #fff7e0; border: 1px solid #f0d48a; padding: 0.4em 0.7em; }
figure { margin: 0.8em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; }
code { font-size: 0.95em; }
"""


def _e(value):
    return html.escape(str(value), quote=True)


def _tally_table(table_id, heading, rows):
    out = [f'<table id="{table_id}" class="tally"><thead><tr><th>{_e(heading)}</th>'
           '<th class="n">runs</th><th class="n">passed</th><th class="n">failed</th>'
           '<th class="n">errors</th></tr></thead><tbody>']
    for name, t in rows.items():
        row_class = ' class="bad"' if t["failed"] + t["error"] > 0 else ""
        out.append(f'<tr{row_class}><td>{_e(name)}</td>'
                   f'<td class="n">{t["runs"]}</td><td class="n">{t["passed"]}</td>'
                   f'<td class="n{" fail" if t["failed"] else ""}">{t["failed"]}</td>'
                   f'<td class="n{" fail" if t["error"] else ""}">{t["error"]}</td></tr>')
    out.append("</tbody></table>")
    return "\n".join(out)


def _output_tail(output):
    lines = output.rstrip("\n").splitlines()
    cut = len(lines) > OUTPUT_TAIL_LINES
    return ("…\n" if cut else "") + "\n".join(lines[-OUTPUT_TAIL_LINES:]), cut


def _run_section(index, record, base_name, command, plots, note):
    failed = record["outcome"] == "failed"
    verdict = "FAILED" if failed else "ERROR"
    out = [f'<section class="run {record["outcome"]}" id="run-{index}" data-run-id="{_e(record["id"])}">',
           f'<h3><span class="{record["outcome"]}">{verdict}</span> <code>{_e(record["id"])}</code></h3>',
           '<table class="facts">',
           f'<tr><th>base</th><td>{_e(base_name)} <code>({_e(record["base"])})</code></td></tr>']
    if record["group"]:
        out.append(f'<tr><th>group</th><td>{_e(record["group"])}</td></tr>')
    faults = "<br>".join(_e(fault_text(f)) for f in record["faults"]) or "(no fault)"
    out.append(f'<tr><th>faults</th><td class="faults">{faults}</td></tr>')
    out.append(f'<tr><th>seed</th><td class="seed">{_e(record["seed"])}</td></tr>')
    out.append(f'<tr><th>simulated</th><td>{record["sim_s"]:.3f} s in {record["wall_s"]:.3f} s</td></tr>')
    if record["host"]:
        out.append(f'<tr><th>host</th><td>{_e(record["host"])}</td></tr>')
    out.append("</table>")
    out.append(f'<p>Replay it:</p>\n<pre class="replay">{_e(command)}</pre>')
    if failed:
        out.append(f'<p>Failed expectations ({len(record["failures"])}):</p><ul class="failures">')
        out.extend(f'<li>{_e(f["message"])}</li>' for f in record["failures"])
        out.append("</ul>")
    else:
        out.append(f'<p>Error:</p>\n<pre class="error-text">{_e(record["error"] or "(no text)")}</pre>')
    if record["output"].strip():
        tail, cut = _output_tail(record["output"])
        what = f"the last {OUTPUT_TAIL_LINES} lines of its output" if cut else "its output"
        out.append(f'<p>{what.capitalize()}:</p>\n<pre class="output">{_e(tail)}</pre>')
    if note:
        out.append(f'<p class="note">{_e(note)}</p>')
    for image in plots:
        out.append(f'<figure><img src="{_e(image["file"])}" alt="{_e(image["alt"])}" '
                   f'width="{image["width"]}" height="{image["height"]}">'
                   f'<figcaption>{_e(image["alt"][:1].upper() + image["alt"][1:])}: fault windows shaded, '
                   f'failure times marked in red.</figcaption></figure>')
    out.append("</section>")
    return "\n".join(out)


def _plots_for(record, index, out_dir, program, plotted, max_plotted, timeout_s):
    """(images, note) for one run that did not pass."""
    if record["outcome"] == "error":
        return [], (f"No plots: the run ended in an error ({record['error'] or 'no text'}), so "
                    "there is no complete run to simulate again. The command above replays it.")
    if plotted >= max_plotted:
        return [], (f"No plots: only the first {max_plotted} failed runs are plotted "
                    "(--max-plotted).")
    try:
        traces = failure_traces(record, program, timeout_s=timeout_s)
    except NoTraces as e:
        return [], f"No plots: {e}."
    except Exception as e:  # never let one run's plots end the report
        return [], f"No plots: simulating it again failed: {type(e).__name__}: {e}."
    note = ""
    recorded = [f["message"] for f in record["failures"]]
    if len(traces["failures"]) != len(recorded) or any(
            not again.endswith(before.split(": ", 1)[-1])
            for again, before in zip(traces["failures"], recorded)):
        note = ("Simulated again, the run did not fail exactly as recorded (another build, or the "
                "sweep or a base file changed since?): the plots show the run as it is now.")
    try:
        return plot_failure(traces, out_dir, f"run{index:03d}"), note
    except Exception as e:
        return [], f"No plots: plotting failed: {type(e).__name__}: {e}."


def write_report(results_path, out_dir, *, program=None, max_plotted=40, timeout_s=60.0):
    """Writes out_dir/index.html (and the plots beside it) for a sweep's results file; returns
    its path. Raises ResultsError for a results file that cannot be read or has a malformed line,
    OSError when out_dir cannot be written. `program` (default: this build's amprig) makes each
    failed run's scenario and names the replay command; `timeout_s` bounds each run's
    re-simulation in wall time."""
    from ._paths import amprig_program

    records, notes = read_results(results_path)
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("run[0-9][0-9][0-9]-*.png"):  # a previous report's plots
        old.unlink()
    if program is None:
        try:
            program = amprig_program()
        except FileNotFoundError as e:
            program = "amprig"
            notes.append(f"{e}: no plots, and the replay commands name `amprig`")
    total, by_fault, by_base = tallies(records)
    base_names = _base_names(records)
    sweeps = sorted({r["sweep"] for r in records if r["sweep"]})
    sweep_files = sorted({r["sweep_file"] for r in records if r["sweep_file"]})
    cwds = sorted({r["cwd"] for r in records if r["cwd"]})
    title = "Fault sweep " + (", ".join(sweeps) if sweeps else "results")

    page = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{_e(title)}</title>", f"<style>{CSS}</style></head><body>",
            f"<h1>{_e(title)}</h1>", '<table class="facts" id="summary">',
            f'<tr><th>sweep</th><td id="sweep">{_e(", ".join(sweeps) or "-")}</td></tr>',
            f'<tr><th>sweep file</th><td><code>{_e(", ".join(sweep_files) or "-")}</code></td></tr>',
            f'<tr><th>ran in</th><td><code>{_e(", ".join(cwds) or "-")}</code></td></tr>',
            f'<tr><th>results file</th><td><code id="results-file">{_e(results_path)}</code></td></tr>',
            f'<tr><th>runs</th><td class="n" id="runs">{total["runs"]}</td></tr>',
            f'<tr><th>passed</th><td class="n passed" id="passed">{total["passed"]}</td></tr>',
            f'<tr><th>failed</th><td class="n failed" id="failed">{total["failed"]}</td></tr>',
            f'<tr><th>errors</th><td class="n error" id="errors">{total["error"]}</td></tr>',
            "</table>"]
    page.extend(f'<p class="note">{_e(n)}</p>' for n in notes)
    if not records:
        page.append('<p id="no-runs">No runs: the results file holds no records.</p>')
    else:
        page.append("<h2>By fault</h2>")
        page.append(_tally_table("by-fault", "fault", by_fault))
        page.append("<h2>By base scenario</h2>")
        page.append(_tally_table("by-base", "base scenario", by_base))
        bad = ([r for r in records if r["outcome"] == "failed"] +
               [r for r in records if r["outcome"] == "error"])
        page.append("<h2>Runs that did not pass</h2>")
        if not bad:
            page.append('<p id="all-passed">Every run passed.</p>')
        else:
            failed = total["failed"]
            plotted_note = (f"plots for the first {min(max_plotted, failed)} of {failed} failed runs"
                            if failed > max_plotted else "plots for every failed run")
            where = ("" if os.path.isabs(str(results_path))
                     else f" The replay commands are relative to {os.getcwd()}.")
            page.append(f"<p>Failed runs first, then runs with errors, each in the order of the "
                        f"results file; {_e(plotted_note)}.{_e(where)}</p>")
            page.append('<ul class="toc">' + "".join(
                f'<li><a href="#run-{i}"><span class="{r["outcome"]}">{r["outcome"]}</span> '
                f'<code>{_e(r["id"])}</code></a></li>' for i, r in enumerate(bad, start=1)) + "</ul>")
            plotted = 0
            for i, r in enumerate(bad, start=1):
                plots, note = _plots_for(r, i, out, program, plotted, max_plotted, timeout_s)
                if r["outcome"] == "failed":
                    plotted += 1
                command = replay_command(program, results_path, r["id"])
                page.append(_run_section(i, r, base_names[r["base"]], command, plots, note))
    page.append("</body></html>\n")
    index = out / "index.html"
    index.write_text("\n".join(page), encoding="utf-8")
    return index


# -- the command ----------------------------------------------------------------------------------------

def main(argv=None):
    """`amprig report RESULTS --html DIR`, `python3 -m amprig.sweep_report RESULTS --out DIR`.
    Returns the exit code: 0 written, 2 bad usage or a results file that cannot be read, 1 a
    report that cannot be written."""
    parser = argparse.ArgumentParser(
        prog="amprig report",
        description="Writes the HTML report of a fault sweep's results file: a summary, and each "
                    "failed run with its replay command and plots of the signals around its "
                    "failure (simulated again).")
    parser.add_argument("results", help="the sweep's JSON-lines results file")
    parser.add_argument("--out", "--html", dest="out", required=True, metavar="DIR",
                        help="the folder for index.html and its plots")
    parser.add_argument("--max-plotted", type=int, default=40, metavar="N",
                        help="plot only the first N failed runs (default 40)")
    parser.add_argument("--program", default=None, help=argparse.SUPPRESS)
    try:
        args = parser.parse_args(argv if argv is not None else getattr(sys, "argv", [""])[1:])
    except SystemExit as e:  # argparse has printed why; the embedded caller needs the code
        return e.code if isinstance(e.code, int) else 2
    if args.max_plotted < 0:
        print("amprig: --max-plotted takes a number of runs, 0 or more", file=sys.stderr)
        return 2
    try:
        index = write_report(args.results, args.out, program=args.program,
                             max_plotted=args.max_plotted)
    except ResultsError as e:
        print(f"amprig: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"amprig: cannot write the report in {args.out}: {e.strerror or e}", file=sys.stderr)
        return 1
    print(f"HTML report: {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
