#!/usr/bin/python3
"""Host instructions per 6-channel sample frame of the firmware's metering path (the CTest test
target.metering_instructions), a proxy for its cycle budget on a 64 MHz Cortex-M4F.

Runs metering_cost under callgrind twice, with --toggle-collect on Metering::process (so that only
the pipeline is counted: not the signal's generation, not the program's start-up), for two frame
counts; the difference in instructions divided by the difference in frames is the cost of a frame
in steady state, the window's end (publish, once per 1280 frames) shared among its frames. The
same difference per function, from callgrind_annotate, says where the instructions go.
Instruction counts are deterministic: this is not a timed test.

  metering_cost.py --program build/bin/metering_cost [--frames 64000 128000] [--target 400]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

TOGGLE = "amprig::fw::Metering::process*"


def callgrind(args, frames, network, out_dir):
    out = os.path.join(out_dir, f"callgrind.{network}.{frames}.out")
    cmd = [args.valgrind, "--tool=callgrind", "--callgrind-out-file=" + out,
           "--toggle-collect=" + TOGGLE, args.program, str(frames), network]
    result = subprocess.run(cmd, check=False, text=True, capture_output=True)
    if result.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited with {result.returncode}\n"
                 f"{result.stdout}{result.stderr}")
    total = None
    with open(out, encoding="utf-8") as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                total = int(line.split()[1])
    if total is None:
        sys.exit(f"FAIL: no instruction total in {out}")
    annotate = subprocess.run(
        [args.annotate, "--inclusive=no", "--threshold=100", "--auto=no", out],
        check=False, text=True, capture_output=True).stdout
    per_function = {}
    for line in annotate.splitlines():
        m = re.match(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.+?)(?: \[[^\]]*\])?$", line)
        if m and "PROGRAM TOTALS" not in m.group(2):
            name = m.group(2).split(":", 1)[-1]
            per_function[name] = per_function.get(name, 0) + int(m.group(1).replace(",", ""))
    return total, per_function, result.stdout


def short(name):
    name = re.sub(r"\(.*$", "", name)
    name = re.sub(r"^(unsigned long |void |amprig::fw::)+", "", name)
    return name.replace("amprig::fw::", "")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--program", required=True)
    parser.add_argument("--frames", type=int, nargs=2, default=[64000, 128000],
                        help="the two frame counts (multiples of 64; default 10 s and 20 s)")
    parser.add_argument("--target", type=float, default=400.0)
    parser.add_argument("--networks", nargs="+", default=["tn", "it"])
    parser.add_argument("--valgrind", default=shutil.which("valgrind") or "valgrind")
    parser.add_argument("--annotate", default=shutil.which("callgrind_annotate") or
                        "callgrind_annotate")
    args = parser.parse_args()
    for exe in (args.valgrind, args.annotate):
        if not shutil.which(exe):
            sys.exit(f"FAIL: {exe} not found: install Debian's valgrind (harness/dev does)")
    low, high = sorted(args.frames)
    frames = high - low

    failures = []
    with tempfile.TemporaryDirectory(prefix="amprig-callgrind-") as out_dir:
        for network in args.networks:
            total_low, functions_low, _ = callgrind(args, low, network, out_dir)
            total_high, functions_high, measured = callgrind(args, high, network, out_dir)
            per_frame = (total_high - total_low) / frames
            ok = per_frame <= args.target
            print(f"metering path, {network.upper()}: {per_frame:.1f} instructions per 6-channel "
                  f"sample frame (target <= {args.target:.0f})  {'ok' if ok else 'OVER'}")
            print(f"  callgrind, {high} - {low} frames at 6400 Hz: {total_high} - {total_low} "
                  f"instructions in Metering::process")
            diffs = sorted(((functions_high.get(n, 0) - functions_low.get(n, 0)) / frames, n)
                           for n in set(functions_high) | set(functions_low))
            for cost, name in reversed(diffs):
                if cost >= 0.05:
                    print(f"  {cost:7.2f}  {short(name)}")
            print("  last window: " + measured.splitlines()[0])
            if not ok:
                failures.append(f"{network.upper()}: {per_frame:.1f} instructions per frame is "
                                f"over the target of {args.target:.0f}")
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
