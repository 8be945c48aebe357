"""Passes: a 10 A resistive load on each 230 V phase, checked three times over 1.5 s."""
CONFIG = {"plant": {"loads": [{"name": "heater", "phases": ["L1", "L2", "L3"], "current_a": 10,
                               "power_factor": 1.0}]}}


def scenario(rig):
    """Ten amperes on each phase."""
    rig.run(1.0)
    rig.expect("plant.L1.current_a", value=10, tolerance_pct=0.1)
    rig.expect("plant.L2.power_w", value=2300, tolerance_pct=0.1)
    rig.run(0.5)
    rig.expect("led.logo", "on")
