"""Two tests in one file: two results."""
import pytest

CONFIG = {"plant": {"loads": [{"name": "pump", "phases": ["L2"], "current_a": 4, "power_factor": 1.0}]}}


def test_first(rig):
    rig.run(0.5)
    rig.expect("plant.L2.current_a", value=4, tolerance_pct=0.1)


@pytest.mark.rig({"plant": {"loads": [{"name": "pump", "phases": ["L3"], "current_a": 6}]}})
def test_second(rig):
    rig.run(0.75)
    rig.expect("plant.L3.current_a", value=6, tolerance_pct=0.1)
    rig.expect("plant.L2.current_a", max=0.001)
