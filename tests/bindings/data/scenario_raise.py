"""Raises: a Python exception in a helper the scenario calls."""


def ratio(a, b):
    return a / b  # <- raises


def scenario(rig):
    rig.run(0.5)
    ratio(rig["plant.L1.current_a"], 0.0)  # <- calls
