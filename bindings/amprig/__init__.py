"""AmpRig from Python: build a rig from a scenario file or a dict, run it, read and set signals,
trace them into numpy arrays or VCD, and check expectations with the same messages as YAML.

    import amprig
    rig = amprig.Rig.from_yaml("scenarios/regression/base_ag63.yaml")
    rig.run(2.0)
    rig.expect("led.current", "green")
    rig["ct2.reversed"] = True

Every Rig lives in a child process of its own (SystemC elaborates once per process), so a Python
process may build as many rigs as it likes, one after another or side by side.
"""
from .errors import ExpectationError, RigProcessError, ScenarioError, TimeoutError
from .rig import Rig, stats
from .trace import Trace

__all__ = ["Rig", "Trace", "ExpectationError", "ScenarioError", "RigProcessError", "TimeoutError",
           "stats"]
