"""What a rig costs from Python: building one (a fork and an elaboration), one signal read (a
round trip to the rig's process), short and long runs, and rigs side by side in threads.

    /usr/bin/python3 bindings/bench/rig_cost.py [SCENARIO.yaml]
"""
import os
import sys
import threading
import time

import amprig

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "scenarios", "regression", "base_ag63.yaml")


def timed(what, count, work):
    start = time.perf_counter()
    work()
    return (time.perf_counter() - start) / count


def main():
    print(f"scenario: {os.path.relpath(CONFIG)}")
    build = timed("build", 50, lambda: [amprig.Rig.from_yaml(CONFIG).close() for _ in range(50)])
    print(f"build a rig and close it      {build * 1e3:8.2f} ms")
    rig = amprig.Rig.from_yaml(CONFIG)
    read = timed("read", 10000, lambda: [rig["meter.L1.current_a"] for _ in range(10000)])
    print(f"rig[name]                     {read * 1e6:8.1f} us")
    short = timed("run", 1000, lambda: [rig.run(0.01) for _ in range(1000)])
    print(f"rig.run(0.01)                 {short * 1e6:8.1f} us   ({0.01 / short:.0f}x real time)")
    long = timed("run", 1, lambda: rig.run(60))
    print(f"rig.run(60)                   {long:8.3f} s    ({60 / long:.0f}x real time)")
    rig.close()
    rigs = [amprig.Rig.from_yaml(CONFIG) for _ in range(4)]
    threads = [threading.Thread(target=r.run, args=(60,)) for r in rigs]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    print(f"4 rigs x 60 s in threads      {wall:8.3f} s    ({4 * 60 / wall:.0f}x real time in all)")
    for r in rigs:
        r.close()


if __name__ == "__main__":
    main()
