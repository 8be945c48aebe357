"""amprig.pytest_plugin, run on small generated test files through pytester.

References: the closed-form plant of each generated configuration (a resistive load of I A on a
phase carries I A), the generated files themselves (which config each test was given), and /proc
and waitpid for the rigs' processes."""
import json
import re
import textwrap

pytest_plugins = ["pytester"]

PLUGIN = ("-p", "amprig.pytest_plugin", "-p", "no:cacheprovider")


def load(phase, current_a):
    return {"plant": {"loads": [{"name": "h", "phases": [phase], "current_a": current_a, "power_factor": 1.0}]}}


def run(pytester, *args):
    return pytester.runpytest(*PLUGIN, *args)


def test_config_dict_of_the_module_builds_the_rig(pytester):
    pytester.makepyfile(test_cfg=f"""
        import pytest
        CONFIG = {load("L2", 6)!r}

        def test_it(rig, rig_config):
            assert rig_config == CONFIG
            rig.run(0.3)
            assert rig["plant.L2.current_a"] == pytest.approx(6, rel=1e-9)
            assert rig["plant.L1.current_a"] == pytest.approx(0, abs=1e-9)
    """)
    run(pytester).assert_outcomes(passed=1)


def test_config_string_is_a_yaml_file_next_to_the_test(pytester, repo_dir):
    sub = pytester.mkdir("sub")
    (sub / "six.yaml").write_text(textwrap.dedent(f"""\
        base: {repo_dir / "scenarios/regression/base_ag63.yaml"}
        plant:
          loads:
            - {{ name: h, phases: [L3], current_a: 6.5, power_factor: 1.0 }}
        """))
    (sub / "test_yaml_cfg.py").write_text(textwrap.dedent("""\
        import pytest
        CONFIG = "six.yaml"

        def test_it(rig):
            rig.run(0.3)
            assert rig["plant.L3.current_a"] == pytest.approx(6.5, rel=1e-9)
        """))
    # Run from the parent folder: the path is relative to the test file, not the working directory.
    run(pytester, "sub/test_yaml_cfg.py").assert_outcomes(passed=1)


def test_rig_marker_overrides_config(pytester, repo_dir):
    base = repo_dir / "scenarios/regression/base_ag63.yaml"
    pytester.makefile(".yaml", seven=f"base: {base}\nplant:\n  loads:\n"
                                     "    - { name: h, phases: [L1], current_a: 7 }\n")
    pytester.makepyfile(test_marker=f"""
        import pytest
        CONFIG = {load("L1", 3)!r}

        @pytest.mark.rig({load("L1", 9)!r})
        def test_dict(rig, rig_config):
            assert rig_config == {load("L1", 9)!r}
            rig.run(0.3)
            assert rig["plant.L1.current_a"] == pytest.approx(9, rel=1e-9)

        @pytest.mark.rig("seven.yaml")
        def test_yaml(rig):
            rig.run(0.3)
            assert rig["plant.L1.current_a"] == pytest.approx(7, rel=1e-9)

        def test_module_config(rig):
            rig.run(0.3)
            assert rig["plant.L1.current_a"] == pytest.approx(3, rel=1e-9)

        @pytest.mark.rig({load("L1", 9)!r}, "extra")
        def test_two_arguments(rig):
            pass
    """)
    result = run(pytester)
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*TypeError: @pytest.mark.rig takes one argument*"])


def test_default_config_is_the_default_ag63_rig(pytester):
    pytester.makepyfile(test_default="""
        import pytest
        import amprig

        def test_it(rig, rig_config):
            assert rig_config == {}
            rig.run(0.5)
            for phase in ("L1", "L2", "L3"):
                assert rig["plant." + phase + ".voltage_v"] == pytest.approx(230, rel=1e-9)
                assert rig["plant." + phase + ".current_a"] == pytest.approx(0, abs=1e-9)
            assert rig["mains.frequency_hz"] == 50
            with amprig.Rig({"device": {"variant": "ag63"}}) as ag63:
                assert rig.signals() == ag63.signals()
                ag63.run(0.5)
                assert {n: rig[n] for n in rig.signals()} == {n: ag63[n] for n in ag63.signals()}
    """)
    run(pytester).assert_outcomes(passed=1)


def test_rigs_are_closed_after_each_test_pass_or_fail(pytester, process_gone):
    pids = pytester.path / "pids.json"
    pytester.makepyfile(test_close=f"""
        import json, os, pytest

        def note(*rigs):
            path = {str(pids)!r}
            seen = json.load(open(path)) if os.path.exists(path) else []
            json.dump(seen + [r._process.pid for r in rigs], open(path, "w"))

        def test_rig_passes(rig):
            note(rig)

        def test_rig_fails(rig):
            note(rig)
            assert False

        def test_make_rig(make_rig):
            a = make_rig()
            b = make_rig({load("L2", 4)!r})
            c = make_rig({load("L3", 5)!r})
            note(a, b, c)
            for r in (a, b, c):
                r.run(0.3)
            assert a["plant.L2.current_a"] == pytest.approx(0, abs=1e-9)
            assert b["plant.L2.current_a"] == pytest.approx(4, rel=1e-9)
            assert c["plant.L3.current_a"] == pytest.approx(5, rel=1e-9)
            assert len({{a._process.pid, b._process.pid, c._process.pid}}) == 3

        def test_make_rig_fails(make_rig):
            note(make_rig(), make_rig())
            raise RuntimeError("boom")
    """)
    run(pytester).assert_outcomes(passed=2, failed=2)
    noted = json.loads(pids.read_text())
    assert len(noted) == 7 and len(set(noted)) == 7
    assert all(process_gone(p) for p in noted)


def test_report_dir_follows_the_environment(pytester, monkeypatch, tmp_path):
    pytester.makepyfile(test_report="""
        def test_it(report_dir):
            assert report_dir.is_dir()
            (report_dir / "plot.txt").write_text("made")
    """)
    target = tmp_path / "somewhere" / "reports"
    monkeypatch.setenv("AMPRIG_REPORT_DIR", str(target))
    run(pytester).assert_outcomes(passed=1)
    assert (target / "plot.txt").read_text() == "made"
    assert not (pytester.path / "reports").exists()

    monkeypatch.delenv("AMPRIG_REPORT_DIR")
    run(pytester).assert_outcomes(passed=1)
    assert (pytester.path / "reports" / "qa" / "plot.txt").read_text() == "made"


def test_a_module_scenario_function_is_collected(pytester):
    pytester.makepyfile(test_one=f"""
        import pytest
        CONFIG = {load("L1", 5)!r}

        def scenario(rig):
            rig.run(0.5)
            rig.expect("plant.L1.current_a", value=5, tolerance_pct=0.1)
    """, scenario_failing=f"""
        CONFIG = {load("L1", 5)!r}

        def scenario(rig):
            rig.run(0.5)
            rig.expect("plant.L1.current_a", value=8, tolerance_pct=1)
    """, test_not_a_function="""
        scenario = "a string, not a scenario"

        class TestThings:
            def scenario(self):
                raise AssertionError("methods named scenario are not scenarios")
    """)
    result = run(pytester, "-v", "test_one.py", "scenario_failing.py", "test_not_a_function.py")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*test_one.py::scenario PASSED*",
        "*scenario_failing.py::scenario FAILED*",
    ])
    # The failure reads as in YAML: file, line, signal, expected, actual.
    path = pytester.path / "scenario_failing.py"
    line = next(i for i, t in enumerate(path.read_text().splitlines(), start=1) if "value=8" in t)
    result.stdout.re_match_lines([".*" + re.escape(f"{path}:{line}: plant.L1.current_a at 0.500 s: "
                                                   "expected 8 ±1 % [7.92, 8.08], actual 5 (-37.5 %)") + "$"])


def test_slow_marker_is_registered_and_deselectable(pytester):
    pytester.makepyfile(test_speed="""
        import pytest

        @pytest.mark.slow
        def test_slow(rig):
            rig.run(1.0)

        def test_fast(rig):
            rig.run(0.1)

        @pytest.mark.slow
        def scenario(rig):
            rig.run(1.0)
    """)
    result = run(pytester, "--strict-markers", "-m", "not slow", "-v")
    result.assert_outcomes(passed=1, deselected=2)
    result.stdout.fnmatch_lines(["*test_fast PASSED*"])
    result = run(pytester, "--strict-markers", "-m", "slow", "-v")
    result.assert_outcomes(passed=2, deselected=1)
    result = run(pytester, "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.slow:*", "@pytest.mark.rig(config):*"])


def test_a_bad_configuration_is_an_error_at_setup_naming_file_and_key(pytester):
    pytester.makepyfile(test_bad="""
        import pytest

        @pytest.mark.rig({"plant": {"lodas": []}})
        def test_it(rig):
            pass
    """)
    result = run(pytester)
    result.assert_outcomes(errors=1)
    path = pytester.path / "test_bad.py"
    line = next(i for i, t in enumerate(path.read_text().splitlines(), start=1) if "mark.rig" in t)
    result.stdout.fnmatch_lines([f"*ScenarioError: {path}:{line}: key 'plant.lodas': unknown key*"])


def test_a_bad_module_config_names_its_line(pytester):
    pytester.makepyfile(test_bad_config="""
        import pytest

        CONFIG = {"device": {"variant": "ag64"}}

        def test_it(rig):
            pass
    """)
    result = run(pytester)
    result.assert_outcomes(errors=1)
    path = pytester.path / "test_bad_config.py"
    line = next(i for i, t in enumerate(path.read_text().splitlines(), start=1) if t.startswith("CONFIG"))
    result.stdout.fnmatch_lines([f"*ScenarioError: {path}:{line}: key 'device.variant'*"])


def test_the_plugin_works_from_an_ini_file(pytester):
    pytester.makeini("[pytest]\naddopts = -p amprig.pytest_plugin\n")
    pytester.makepyfile(test_ini=f"""
        import pytest
        CONFIG = {load("L2", 2)!r}

        def test_it(rig):
            rig.run(0.2)
            assert rig["plant.L2.current_a"] == pytest.approx(2, rel=1e-9)
    """)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_make_rig_names_the_line_of_its_call_in_errors(pytester):
    pytester.makepyfile(test_make_bad="""
        def test_it(make_rig):
            make_rig()
            make_rig({"plant": {"lodas": []}})  # the bad one
    """)
    result = run(pytester)
    result.assert_outcomes(failed=1)
    path = pytester.path / "test_make_bad.py"
    line = next(i for i, t in enumerate(path.read_text().splitlines(), start=1) if "the bad one" in t)
    result.stdout.fnmatch_lines([f"*ScenarioError: {path}:{line}: key 'plant.lodas': unknown key*"])
