"""Fails: expects 20 A where the load draws 10 A."""
CONFIG = {"plant": {"loads": [{"name": "heater", "phases": ["L1", "L2", "L3"], "current_a": 10,
                               "power_factor": 1.0}]}}


def scenario(rig):
    rig.run(1.0)
    rig.expect("plant.L1.current_a", value=10, tolerance_pct=0.1)
    rig.expect("plant.L1.current_a", value=20, tolerance_pct=1)  # <- fails
    rig.expect("led.logo", "on")
