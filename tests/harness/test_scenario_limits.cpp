// What the rig refuses, and how it says so: times beyond the kernel's range, files that are not
// small regular files, YAML that would silently lose half a scenario, counts beyond the limits,
// and a scenario that checks nothing.
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <systemc>

#include "report/reports.h"
#include "scenario/limits.h"
#include "scenario/run.h"
#include "scenario/scenario.h"
#include "temp_file.h"

using namespace amprig;

namespace {

ScenarioError load_error(const std::string& path) {
  try {
    load_scenario(path);
  } catch (const ScenarioError& e) {
    return e;
  }
  BOOST_FAIL("no error for " + path);
  throw std::logic_error("unreachable");
}

// `text` as a scenario file: its error must be at `line` (0: none), name `key`, and say `fragment`.
void check_refused(const std::string& text, int line, const std::string& key,
                   const std::string& fragment) {
  TempFile file("limits.yaml", text);
  const ScenarioError e = load_error(file.path());
  const std::string what = e.what();
  BOOST_TEST_INFO("message: " << what);
  BOOST_TEST(e.where().line == line);
  BOOST_TEST(e.key() == key);
  BOOST_TEST(what.find(fragment) != std::string::npos);
  const std::string prefix = file.path() + (line > 0 ? ":" + std::to_string(line) : "") + ": ";
  BOOST_TEST(what.rfind(prefix, 0) == 0u);
}

std::string repeated(const std::string& line, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out += line;
  return out;
}

const char* kChecked = R"(scenario: checked
seed: 3
steps:
  - at: 200ms
    expect: { led.logo: on }
)";

}  // namespace

BOOST_AUTO_TEST_CASE(max_sim_time_ns_is_the_kernels_last_instant_in_whole_ns) {
  const auto ticks_per_ns = sc_core::sc_time(1, sc_core::SC_NS).value();
  BOOST_TEST(static_cast<std::uint64_t>(kMaxSimTimeNs) ==
             sc_core::sc_max_time().value() / ticks_per_ns);
  BOOST_TEST(max_sim_time_text() == "18446744.073709551 s (about 213 days)");
}

BOOST_AUTO_TEST_CASE(durations_beyond_the_kernels_range_are_refused_not_wrapped) {
  BOOST_TEST(parse_duration_ns("5124h") == 5124 * 3'600'000'000'000LL);
  for (const char* text : {"1e10", "1e12s", "1e308", "5125h", "1e300ns", "307445734min"}) {
    BOOST_TEST_INFO(text);
    try {
      parse_duration_ns(text);
      BOOST_FAIL("accepted");
    } catch (const std::invalid_argument& e) {
      BOOST_TEST(std::string(e.what()) == "'" + std::string(text) +
                                              "' is beyond the simulator's range: at most "
                                              "18446744.073709551 s (about 213 days)");
    }
  }
  BOOST_CHECK_THROW(parse_duration_ns("1e400s"), std::invalid_argument);
  BOOST_CHECK_THROW(parse_duration_ns("nan"), std::invalid_argument);
  BOOST_CHECK_THROW(parse_duration_ns("inf"), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(every_time_key_beyond_the_range_names_file_line_and_key) {
  check_refused("steps:\n  - at: 1e10\n    expect: { led.logo: on }\n", 2, "steps[0].at",
                "'1e10' is beyond the simulator's range");
  check_refused("steps:\n  - during: [1e308, 33s]\n    expect: { led.logo: on }\n", 2,
                "steps[0].during", "'1e308' is beyond the simulator's range");
  check_refused("duration: 1e12s\n", 1, "duration", "'1e12s' is beyond the simulator's range");
  check_refused("check_period: 6000h\n", 1, "check_period", "beyond the simulator's range");
  check_refused("faults:\n  - { name: ct1.connected, value: false, at: 1e11 }\n", 2, "faults[0].at",
                "beyond the simulator's range");
}

BOOST_AUTO_TEST_CASE(a_sum_of_times_beyond_the_range_is_refused) {
  check_refused("steps:\n  - at: 5000h\n    within: 200h\n    expect: { led.logo: on }\n", 3,
                "steps[0].within", "at + within ends beyond the simulator's range");
  check_refused(
      "faults:\n  - name: ct1.connected\n    value: false\n    at: 5000h\n"
      "    duration: 200h\n",
      5, "faults[0].duration", "at + duration ends beyond the simulator's range");
}

BOOST_AUTO_TEST_CASE(yaml_that_would_lose_part_of_the_file_is_an_error) {
  check_refused("  scenario: x\nsteps:\n  - at: 1s\n    expect: { led.logo: on }\n", 1, "",
                "the first line is indented (2 columns)");
  check_refused("scenario: \"x\nsteps:\n  - at: 1s\n    expect: { led.logo: on }\n", 1, "",
                "the quote (\") opened here is never closed");
  check_refused("description: 'it''s open\n", 1, "", "the quote (') opened here is never closed");
  check_refused("scenario: x\n---\nsteps: []\n", 3, "", "a second YAML document starts here");
  // A quoted value that is closed, on one line or over two, is fine.
  TempFile fine("fine.yaml", "description: \"two\n  lines\"\nscenario: 'it''s'\n");
  BOOST_TEST(load_scenario(fine.path()).description == "two lines");
  BOOST_TEST(load_scenario(fine.path()).id == "it's");
}

BOOST_AUTO_TEST_CASE(only_small_regular_files_are_read) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("amprig-limits-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string fifo = (dir / "p.yaml").string();
  BOOST_REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  // Refused before it is opened: opening a FIFO with no writer would block this test forever.
  BOOST_TEST(
      std::string(load_error(fifo).what()) ==
      fifo + ": cannot read a named pipe: a scenario, base or sweep file must be a regular file");
  BOOST_TEST(std::string(load_error(dir.string()).what()) ==
             dir.string() +
                 ": cannot read a directory: a scenario, base or sweep file must be a "
                 "regular file");
  BOOST_TEST(std::string(load_error("/dev/zero").what()) ==
             "/dev/zero: cannot read a character device: a scenario, base or sweep file must be a "
             "regular file");
  const std::string big = (dir / "big.yaml").string();
  std::ofstream(big) << std::string(kMaxConfigFileBytes + 1, '#');
  BOOST_TEST(std::string(load_error(big).what()) ==
             big + ": the file is 1048577 bytes; the limit is 1048576 bytes");
  // Exactly at the limit is read (and is then empty of keys).
  std::ofstream(big, std::ios::trunc) << "seed: 2\n" << std::string(kMaxConfigFileBytes - 8, '#');
  BOOST_TEST(load_scenario(big).seed == 2u);
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(aliases_and_nesting_are_bounded) {
  // Nine levels of ten aliases: a billion nodes if expanded.
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 9; ++i) {
    const std::string p = "*a" + std::to_string(i - 1);
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + p;
    for (int k = 1; k < 10; ++k) bomb += ", " + p;
    bomb += "]\n";
  }
  TempFile file("bomb.yaml", bomb);
  const std::string what = load_error(file.path()).what();
  BOOST_TEST(what.find("more than 100000 YAML nodes (is an alias expanding without end?)") !=
                 std::string::npos,
             what);
  std::string deep = "a: ";
  for (std::size_t i = 0; i < kMaxConfigDepth; ++i) deep += "[";
  deep += "1";
  for (std::size_t i = 0; i < kMaxConfigDepth; ++i) deep += "]";
  check_refused(deep + "\n", 1, "", "lists and maps nested more than 32 deep");
}

BOOST_AUTO_TEST_CASE(counts_beyond_their_limits_name_the_key_and_the_limit) {
  std::string loads = "plant:\n  loads:\n";
  for (std::size_t i = 0; i <= kMaxLoads; ++i) {
    loads += "    - { name: l" + std::to_string(i) + ", phases: [L1], current_a: 1 }\n";
  }
  check_refused(loads, 3, "plant.loads", "65 loads; the limit is 64");
  check_refused("steps:\n" + repeated("  - { at: 1s, expect: { led.logo: on } }\n", kMaxSteps + 1),
                2, "steps", "10001 steps; the limit is 10000");
  check_refused(
      "faults:\n" + repeated("  - { name: ct1.connected, value: false, at: 1s }\n", kMaxFaults + 1),
      2, "faults", "1001 faults; the limit is 1000");
  std::string expects = "steps:\n  - at: 1s\n    expect:\n";
  for (std::size_t i = 0; i <= kMaxExpectationsPerStep; ++i) {
    expects += "      s" + std::to_string(i) + ": 1\n";
  }
  check_refused(expects, 4, "steps[0].expect", "257 expectations; the limit is 256");
}

BOOST_AUTO_TEST_CASE(a_seed_must_be_whole_and_in_range) {
  check_refused("seed: 1.5\n", 1, "seed", "a seed is a whole number");
  check_refused("seed: 1e16\n", 1, "seed", "1e+16 is out of range [0, 9e+15]");
}

BOOST_AUTO_TEST_CASE(a_scenario_that_checks_nothing_is_no_checks_not_a_pass) {
  TempFile empty_steps("nothing.yaml",
                       "scenario: nothing\nsteps:\n  - { at: 1s, set: { ct1.reversed: true } }\n");
  const auto r = run_scenarios({empty_steps.path()}, RunOptions{}, {});
  BOOST_REQUIRE(r.size() == 1u);
  BOOST_TEST_INFO(r[0].error << r[0].output);
  BOOST_TEST(to_string(r[0].outcome) == std::string("NO CHECKS"));
  BOOST_TEST(r[0].expectations == 0);
  BOOST_TEST(r[0].error == empty_steps.path() +
                               ": no expectation was checked (add an 'expect:' to a step; "
                               "--allow-no-checks accepts this for a smoke run)");
  // Its expectations may come from a base.
  TempFile base("base_checked.yaml", kChecked);
  TempFile child("child.yaml", "base: " + base.path() + "\nscenario: child\n");
  const auto c = run_scenarios({child.path()}, RunOptions{}, {});
  BOOST_REQUIRE(c.size() == 1u);
  BOOST_TEST(to_string(c[0].outcome) == std::string("PASS"));
  BOOST_TEST(c[0].expectations == 1);
}

BOOST_AUTO_TEST_CASE(seeds_run_as_rows_of_their_own_with_a_rerun_command) {
  TempFile file("seeded.yaml", kChecked);
  RunOptions options;
  options.seeds = 3;
  options.seed_offset = 1;
  options.jobs = 2;
  const auto r = run_scenarios({file.path()}, options, {});
  BOOST_REQUIRE(r.size() == 3u);
  for (std::size_t k = 0; k < 3; ++k) {
    BOOST_TEST_INFO(r[k].error);
    BOOST_TEST(r[k].id == "checked@seed=" + std::to_string(4 + k));
    BOOST_TEST(to_string(r[k].outcome) == std::string("PASS"));
    BOOST_TEST(r[k].rerun == "amprig run " + file.path() + " --seed " + std::to_string(4 + k));
  }
  // The file's own seed, once: the plain id, as without the options.
  RunOptions same;
  same.seed = 3;
  const auto plain = run_scenarios({file.path()}, same, {});
  BOOST_REQUIRE(plain.size() == 1u);
  BOOST_TEST(plain[0].id == "checked");
  // A seed past kMaxSeed could not be rerun with --seed: refused before anything runs.
  RunOptions past;
  past.seed = kMaxSeed;
  past.seeds = 2;
  BOOST_CHECK_EXCEPTION(run_scenarios({file.path()}, past, {}), std::invalid_argument,
                        [&](const std::invalid_argument& e) {
                          return std::string(e.what()) ==
                                 file.path() +
                                     ": its seeds would run to 9000000000000001, past "
                                     "the largest seed, 9000000000000000";
                        });
}

BOOST_AUTO_TEST_CASE(a_sub_second_timeout_stops_the_run_in_time) {
  TempFile slow("slow.yaml", "duration: 10h\nsteps:\n  - { at: 9h, expect: { led.logo: on } }\n");
  RunOptions options;
  options.timeout_s = 0.3;
  const auto r = run_scenarios({slow.path()}, options, {});
  BOOST_REQUIRE(r.size() == 1u);
  BOOST_TEST(r[0].error == "timed out after 0.3 s");
  BOOST_TEST(r[0].wall_s < 0.9);
}

BOOST_AUTO_TEST_CASE(reports_say_why_they_could_not_be_written) {
  ScenarioResult r;
  r.id = "s";
  r.file = "s.yaml";
  r.outcome = ScenarioResult::Outcome::no_checks;
  r.error = "s.yaml: no expectation was checked";
  BOOST_TEST(write_junit("/dev/full", {r}) == "No space left on device");
  BOOST_TEST(write_markdown_report("/dev/full", {r}, "amprig run") == "No space left on device");
  const auto dir = std::filesystem::temp_directory_path() /
                   ("amprig-reports-" + std::to_string(getpid())) / "missing";
  const std::string junit = (dir / "junit.xml").string();
  BOOST_TEST(write_junit(junit, {r}) == "");
  const std::string xml = slurp(junit);
  BOOST_TEST(xml.find("failures=\"1\"") != std::string::npos, xml);
  BOOST_TEST(xml.find("<failure message=\"NO CHECKS: s.yaml: no expectation was checked\"/>") !=
                 std::string::npos,
             xml);
  BOOST_TEST(write_junit(junit, {r}, true) == "");
  BOOST_TEST(slurp(junit).find("<skipped message=\"NO CHECKS: ") != std::string::npos);
  const std::string md = (dir / "report.md").string();
  BOOST_TEST(write_markdown_report(md, {r}, "amprig run") == "");
  BOOST_TEST(slurp(md).find("| s | NO CHECKS | 0 | 0 |") != std::string::npos, slurp(md));
  std::filesystem::remove_all(dir.parent_path());
}

BOOST_AUTO_TEST_CASE(expectations_that_would_hold_for_any_value_are_refused) {
  check_refused("steps:\n  - at: 1s\n    expect: { settings.last_result: { contains: \"\" } }\n", 3,
                "steps[0].expect.settings.last_result.contains", "an empty text is in every text");
  check_refused("steps:\n  - at: 1s\n    expect: { meter.L1.current_a: { not_between: [5, 5] } }\n",
                3, "steps[0].expect.meter.L1.current_a.not_between",
                "low equals high: no value is between them");
}

BOOST_AUTO_TEST_CASE(a_seeded_failure_says_how_to_rerun_it_in_every_report) {
  ScenarioResult r;
  r.id = "s@seed=7";
  r.file = "s.yaml";
  r.outcome = ScenarioResult::Outcome::failed;
  r.failed = 1;
  r.failures.push_back(Failure{"s.yaml:4", "led.logo", "off", "on", 1.0, "s.yaml:4: led.logo"});
  r.rerun = "amprig run s.yaml --seed 7";
  std::ostringstream summary;
  print_summary(summary, {r}, 1.0);
  BOOST_TEST(summary.str().find("FAIL s@seed=7 (s.yaml)\n  s.yaml:4: led.logo\n  rerun: amprig run "
                                "s.yaml --seed 7\n") != std::string::npos,
             summary.str());
  const auto dir =
      std::filesystem::temp_directory_path() / ("amprig-rerun-" + std::to_string(getpid()));
  const std::string junit = (dir / "junit.xml").string();
  BOOST_TEST(write_junit(junit, {r}) == "");
  BOOST_TEST(slurp(junit).find("name=\"s@seed=7\"") != std::string::npos);
  BOOST_TEST(
      slurp(junit).find("s.yaml:4: led.logo\nrerun: amprig run s.yaml --seed 7\n</failure>") !=
          std::string::npos,
      slurp(junit));
  const std::string md = (dir / "report.md").string();
  BOOST_TEST(write_markdown_report(md, {r}, "amprig run") == "");
  BOOST_TEST(slurp(md).find("Replay: `amprig run s.yaml --seed 7 --vcd s@seed=7.vcd`") !=
                 std::string::npos,
             slurp(md));
  std::filesystem::remove_all(dir);
}
