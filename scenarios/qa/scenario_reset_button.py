"""Reset button, written as one scenario (`def scenario(rig)`): the installer changes the main
fuse setting and a current scheme, then presses the reset button for 100 ms. Every LED goes dark
briefly and lights again, the measurements restart, and the configuration is kept (device.md,
"Status LEDs": "Pressing the reset button restarts the device: every LED goes dark briefly and then
lights again. Measurements restart; configuration is kept").

Reference timing (README, "The device's judgement": dark for 1 s while the device restarts; the
verdicts settle 1 s after the first windows; the network comes back in DHCP 2 s + cloud 1 s):
dark from the press until 1 s later, voltage and current green within 1 s + 2 windows + 1 s
settle after that, communication green 3 s after the restart.
"""

CONFIG = {
    "base": "../regression/base_ag63.yaml",
    "plant": {"loads": [{"name": "house", "phases": ["L1", "L2", "L3"], "current_a": 6}]},
}
LEDS = ("led.logo", "led.voltage", "led.current", "led.comm")
POLL_S = 0.005


def scenario(rig):
    rig.run(4.0)
    for led, lit in zip(LEDS, ("on", "green", "green", "green")):
        rig.expect(led, lit)
    rig["settings.fuse_a"] = 35
    rig["settings.current_scheme"] = "L1,L2,L3"
    rig.run(0.5)
    rig.expect("settings.last_result", "applied")

    pressed_at = rig.time_s
    rig["button.reset"] = True
    dark_at = rig.run_until(lambda r: all(r[led] == "off" for led in LEDS), timeout_s=0.2,
                            poll_s=POLL_S)
    rig.run(0.1 - (rig.time_s - pressed_at))
    rig["button.reset"] = False
    lit_at = rig.run_until(lambda r: r["led.logo"] == "on", timeout_s=2.0, poll_s=POLL_S)
    dark_s = lit_at - dark_at
    assert 0.9 <= dark_s <= 1.1, f"dark for {dark_s:.3f} s"

    # Verdicts and measurements restart from nothing: green within 1 s + 2 windows + a poll.
    rig.expect("led.voltage", "green", within=1.405)
    rig.expect("led.current", "green", within=1.405 - (rig.time_s - lit_at))
    rig.expect("led.comm", "green", within=lit_at + 3.0 + 2 * POLL_S - rig.time_s)
    rig.run(1.0)
    for p in ("L1", "L2", "L3"):
        rig.expect(f"meter.{p}.current_a", value=6.0, tolerance_pct=2)
        rig.expect(f"meter.{p}.power_w", value=230 * 6.0, tolerance_pct=2)
    # Configuration kept.
    rig.expect("settings.fuse_a", 35)
    rig.expect("settings.current_scheme", "L1,L2,L3")
    # And no LED flickers afterwards.
    changes = {led: rig[f"{led}.changes"] for led in LEDS}
    rig.run(10.0)
    for led in LEDS:
        rig.expect(f"{led}.changes", changes[led])
