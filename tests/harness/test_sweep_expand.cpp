// A sweep file's expansion into runs: the grid's count in closed form, a sample reproducible from
// its seed, ids and seeds stable and unique, every run an ordinary scenario, and malformed
// sweep files reported with their file, line and key.
#include <boost/test/unit_test.hpp>
#include <algorithm>
#include <cctype>
#include <set>

#include "scenario/config_tree.h"
#include "scenario/scenario_config.h"
#include "sweep/hash.h"
#include "sweep/runner.h"
#include "sweep/sweep.h"
#include "sweep_fixture.h"

using namespace amprig;
using namespace amprig::sweep;
using sweep_test::SweepFolder;

BOOST_TEST_DONT_PRINT_LOG_VALUE(amprig::Step::Kind)

namespace {

// b1 and b2 crossed with three dimensions, one of them for b2 only.
const char* kGrid = R"(sweep: grid
seed: 11
bases: bases
dimensions:
  - { fault: ct2.reversed, values: [true, false], at: [2s, 4s], durations: [1s, forever] }
  - { fault: mains.level, values: [0, 0.5, 1.1], at: 3s }
  - { fault: adc.offset_lsb, values: 300, at: [1s, 6s], durations: 2s, bases: [b2] }
invariants:
  fuse.L1.tripped: false
recovery:
  within: 5s
  expect: { led.current: green }
)";

std::size_t closed_form(const Sweep& sweep) {
  std::size_t count = 0;
  for (const auto& g : sweep.groups) {
    for (const std::size_t b : g.bases) {
      ++count;  // the fault-free run
      for (const auto& d : g.dimensions) {
        if (g.applies(d, sweep.bases[b])) {
          count += d.values.size() * d.at.size() * d.durations.size();
        }
      }
    }
  }
  return count;
}

ScenarioError load_error(const std::string& text) {
  SweepFolder folder("bad");
  const std::string file = folder.write("bad_sweep.yaml", text);
  try {
    const Sweep sweep = load_sweep(file);
    expand(sweep);
    check_dimensions(sweep, 2, {});
  } catch (const ScenarioError& e) {
    return e;
  }
  BOOST_FAIL("no error for:\n" << text);
  throw std::logic_error("unreachable");
}

void check_error(const std::string& text, int line, const std::string& key,
                 const std::string& fragment) {
  const ScenarioError e = load_error(text);
  const std::string what = e.what();
  BOOST_TEST_INFO("message: " << what);
  BOOST_TEST(what.find("bad_sweep.yaml:" + std::to_string(line) + ": ") != std::string::npos);
  BOOST_TEST(what.find("key '" + key + "'") != std::string::npos);
  BOOST_TEST(what.find(fragment) != std::string::npos);
}

}  // namespace

BOOST_AUTO_TEST_CASE(stable_hashes_match_their_reference_values) {
  // FNV-1a and splitmix64 as published: the same numbers on every machine.
  BOOST_TEST(fnv1a64("") == 0xcbf29ce484222325ULL);
  BOOST_TEST(fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
  BOOST_TEST(fnv1a64("foobar") == 0x85944171f73967e8ULL);
  BOOST_TEST(splitmix64(0) == 0xe220a8397b1dcdafULL);
  StableRandom random(0);
  BOOST_TEST(random.next() == 0xe220a8397b1dcdafULL);
  BOOST_TEST(random.next() == 0x6e789e6aa1b965f4ULL);
}

BOOST_AUTO_TEST_CASE(the_grid_is_every_point_of_every_dimension_plus_a_fault_free_run) {
  SweepFolder folder("grid");
  const Sweep sweep = load_sweep(folder.write("grid.yaml", kGrid));
  const auto runs = expand(sweep);
  // b1: 1 + 2*2*2 + 3 = 12; b2: 12 + 1*2*1 = 14.
  BOOST_TEST(runs.size() == 26u);
  BOOST_TEST(runs.size() == closed_form(sweep));
  std::size_t fault_free = 0;
  for (const auto& r : runs) {
    BOOST_TEST(r.faults.size() <= 1u);
    fault_free += r.faults.empty();
    BOOST_TEST(!r.sampled);
  }
  BOOST_TEST(fault_free == 2u);
  BOOST_TEST(runs.front().id == "b1");
  BOOST_TEST(runs[1].id == "b1~ct2.reversed=true@2s+1s");
  BOOST_TEST(runs[2].id == "b1~ct2.reversed=true@2s");
  BOOST_TEST(runs.back().id == "b2~adc.offset_lsb=300@6s+2s");
  BOOST_TEST(sweep.bases[0].relative == "bases/b1.yaml");
}

BOOST_AUTO_TEST_CASE(ids_and_seeds_are_stable_unique_and_safe_as_file_names) {
  SweepFolder folder("ids");
  const std::string file = folder.write("ids.yaml", kGrid);
  const auto runs = expand(load_sweep(file));
  const auto again = expand(load_sweep(file));
  BOOST_REQUIRE(runs.size() == again.size());
  std::set<std::string> ids;
  std::set<std::uint64_t> seeds;
  // Filesystem-safe: 1 to 200 characters of [A-Za-z0-9._=@+,~-]. (No <regex>: GCC 12 warns inside
  // it under the sanitizers, and warnings are errors.)
  const auto safe = [](const std::string& id) {
    const std::string allowed = "._=@+,~-";
    return !id.empty() && id.size() <= 200 &&
           std::all_of(id.begin(), id.end(), [&](char c) {
             return std::isalnum(static_cast<unsigned char>(c)) || allowed.find(c) != std::string::npos;
           });
  };
  for (std::size_t i = 0; i < runs.size(); ++i) {
    BOOST_TEST(runs[i].id == again[i].id);
    BOOST_TEST(runs[i].seed == again[i].seed);
    BOOST_TEST(safe(runs[i].id), runs[i].id);
    BOOST_TEST(runs[i].seed == run_seed(11, runs[i].id));
    BOOST_TEST(runs[i].seed < (std::uint64_t{1} << 52));
    ids.insert(runs[i].id);
    seeds.insert(runs[i].seed);
  }
  BOOST_TEST(ids.size() == runs.size());
  BOOST_TEST(seeds.size() == runs.size());
  // The seed is a function of the sweep's seed and the id alone: these numbers hold on every
  // machine and never change without a reason.
  BOOST_TEST(run_seed(11, "b1~ct2.reversed=true@2s+1s") ==
             (splitmix64(11 ^ fnv1a64("b1~ct2.reversed=true@2s+1s")) & ((1ULL << 52) - 1)));
  BOOST_TEST(run_seed(11, "b1") == 2387919479060229ULL);
  BOOST_TEST(run_seed(20240611, "wiring_right_all_green~ct2.reversed=true@10s+3s") ==
             3947763733617704ULL);
}

BOOST_AUTO_TEST_CASE(unsafe_characters_are_replaced_and_the_exact_content_hashed) {
  FaultPoint a;
  a.name = "settings.wifi.ssid";
  a.value = "my net/1";
  a.at_ns = 2'000'000'000;
  FaultPoint b = a;
  b.value = "my_net_1";
  FaultPoint c = a;
  c.value = "my net_1";
  const std::string ida = run_id("base", {a});
  const std::string idb = run_id("base", {b});
  const std::string idc = run_id("base", {c});
  BOOST_TEST(idb == "base~settings.wifi.ssid=my_net_1@2s");
  BOOST_TEST(ida.rfind("base~settings.wifi.ssid=my_net_1@2s-", 0) == 0u);
  BOOST_TEST(ida != idb);
  BOOST_TEST(ida != idc);
  BOOST_TEST(ida.find('/') == std::string::npos);
  BOOST_TEST(ida.find(' ') == std::string::npos);
  // Long ids are cut, and stay unique by their hash.
  std::vector<FaultPoint> many(12, b);
  for (std::size_t i = 0; i < many.size(); ++i) {
    many[i].at_ns = static_cast<SimTimeNs>(i) * 1'000'000'000;
  }
  const std::string long_id = run_id("base", many);
  BOOST_TEST(long_id.size() <= 200u);
  many.back().value = "other";
  BOOST_TEST(run_id("base", many) != long_id);
}

BOOST_AUTO_TEST_CASE(a_sample_is_reproducible_from_the_sweep_seed) {
  SweepFolder folder("sample");
  const auto text = [](int seed, const char* mode) {
    return std::string("sweep: s\nseed: ") + std::to_string(seed) + "\nmode: " + mode +
           "\nsample: { runs: 15, faults: [1, 2] }\nbases: bases\ndimensions:\n"
           "  - { fault: ct2.reversed, values: [true], at: [2s, 4s], durations: [1s, 2s] }\n"
           "  - { fault: mains.level, values: [0, 0.5, 1.1], at: [3s, 5s] }\n"
           "  - { fault: adc.offset_lsb, values: [100, 300], at: [1s, 6s], durations: 2s }\n";
  };
  const auto a = expand(load_sweep(folder.write("a.yaml", text(5, "sample"))));
  const auto b = expand(load_sweep(folder.write("b.yaml", text(5, "sample"))));
  const auto c = expand(load_sweep(folder.write("c.yaml", text(6, "sample"))));
  BOOST_REQUIRE(a.size() == 15u);
  BOOST_REQUIRE(c.size() == 15u);
  std::set<std::string> ids_a, ids_c;
  bool two = false, one = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    BOOST_TEST(a[i].id == b[i].id);
    BOOST_TEST(a[i].seed == b[i].seed);
    BOOST_TEST(a[i].sampled);
    BOOST_TEST(a[i].faults.size() >= 1u);
    BOOST_TEST(a[i].faults.size() <= 2u);
    two = two || a[i].faults.size() == 2;
    one = one || a[i].faults.size() == 1;
    if (a[i].faults.size() == 2) {
      // Two different dimensions, in order of their start.
      BOOST_TEST(a[i].faults[0].name != a[i].faults[1].name);
      BOOST_TEST(a[i].faults[0].at_ns <= a[i].faults[1].at_ns);
    }
    ids_a.insert(a[i].id);
    ids_c.insert(c[i].id);
  }
  BOOST_TEST(one);
  BOOST_TEST(two);
  BOOST_TEST(ids_a.size() == 15u);
  BOOST_TEST(ids_a != ids_c);  // another seed, another sample
  // Both: the grid, then as many sampled runs again that the grid does not have.
  const Sweep both = load_sweep(folder.write("d.yaml", text(5, "both")));
  const auto d = expand(both);
  BOOST_TEST(d.size() == closed_form(both) + 15);
  std::set<std::string> ids_d;
  for (const auto& r : d) ids_d.insert(r.id);
  BOOST_TEST(ids_d.size() == d.size());
}

BOOST_AUTO_TEST_CASE(a_run_is_its_base_with_faults_seed_invariants_and_recovery) {
  SweepFolder folder("tree");
  const Sweep sweep = load_sweep(folder.write("tree.yaml", kGrid));
  const auto runs = expand(sweep);
  const Run& run = runs[1];  // b1~ct2.reversed=true@2s+1s
  BOOST_REQUIRE(run.id == "b1~ct2.reversed=true@2s+1s");
  const Scenario s = run_scenario(sweep, run);
  BOOST_TEST(s.id == run.id);
  BOOST_TEST(s.seed == run.seed);
  BOOST_TEST(s.duration_ns == 20'000'000'000);  // the base's own length
  // Steps: the fault's set and restore, the base's set at 5 s (its expectations dropped), the
  // invariant over the whole run, the recovery from the fault's end.
  BOOST_REQUIRE(s.steps.size() == 5u);
  BOOST_TEST(s.steps[0].start_ns == 0);
  BOOST_TEST(s.steps[0].kind == Step::Kind::during);
  BOOST_TEST(s.steps[0].end_ns == 20'000'000'000);
  BOOST_TEST(s.steps[0].expects.at(0).signal == "fuse.L1.tripped");
  BOOST_TEST(s.steps[0].expects.at(0).where.file == folder.path("tree.yaml"));
  BOOST_TEST(s.steps[0].expects.at(0).where.line == 9);
  BOOST_TEST(s.steps[1].start_ns == 2'000'000'000);
  BOOST_TEST(s.steps[1].sets.at(0).signal == "ct2.reversed");
  BOOST_TEST(s.steps[1].sets.at(0).where.line == 5);
  BOOST_TEST(s.steps[2].start_ns == 3'000'000'000);
  BOOST_TEST(s.steps[2].sets.at(0).restore_from == "faults[0]");
  BOOST_TEST(s.steps[2].kind == Step::Kind::at);
  BOOST_TEST(s.steps[3].kind == Step::Kind::within);
  BOOST_TEST(s.steps[3].start_ns == 3'000'000'000);
  BOOST_TEST(s.steps[3].end_ns == 8'000'000'000);
  BOOST_TEST(s.steps[4].start_ns == 5'000'000'000);
  BOOST_TEST(s.steps[4].expects.empty());
  BOOST_TEST(s.steps[4].sets.at(0).signal == "loads.heater.current_a");
  // A fault to the end of the run has no recovery to check.
  const Scenario forever = run_scenario(sweep, runs[2]);
  for (const auto& st : forever.steps) {
    BOOST_TEST(static_cast<int>(st.kind) != static_cast<int>(Step::Kind::within));
  }
  BOOST_TEST(!recovery_start_ns(sweep, runs[2]).has_value());
  // The standalone file decodes to the same scenario.
  const std::string text = run_yaml(sweep, run);
  const Scenario again =
      scenario_from_merged(parse_config_text(text, "emitted.yaml"), "emitted.yaml", run.id);
  BOOST_TEST(again.seed == s.seed);
  BOOST_TEST(again.duration_ns == s.duration_ns);
  BOOST_REQUIRE(again.steps.size() == s.steps.size());
  for (std::size_t i = 0; i < s.steps.size(); ++i) {
    BOOST_TEST(again.steps[i].start_ns == s.steps[i].start_ns);
    BOOST_TEST(again.steps[i].end_ns == s.steps[i].end_ns);
    BOOST_TEST(again.steps[i].sets.size() == s.steps[i].sets.size());
    BOOST_TEST(again.steps[i].expects.size() == s.steps[i].expects.size());
  }
  BOOST_TEST(again.loads.at(0).current_a == 10.0);
  BOOST_TEST(run_digest(sweep, run) == run_digest(sweep, run));
  BOOST_TEST(run_digest(sweep, run) != run_digest(sweep, runs[2]));
}

BOOST_AUTO_TEST_CASE(kept_expectations_and_a_fixed_run_length) {
  SweepFolder folder("keep");
  const Sweep sweep = load_sweep(folder.write("keep.yaml", R"(sweep: keep
bases: bases/b1.yaml
base_expectations: keep
duration: 10s
dimensions:
  - { fault: mains.level, values: [0.5], at: 4s, durations: 1s }
)"));
  const auto runs = expand(sweep);
  BOOST_REQUIRE(runs.size() == 2u);
  const Scenario s = run_scenario(sweep, runs[1]);
  BOOST_TEST(s.duration_ns == 10'000'000'000);
  // The base's steps up to 10 s stay as they are, with their lines; the one at 20 s is cut.
  std::size_t expects = 0;
  for (const auto& st : s.steps) {
    BOOST_TEST(st.end_ns <= 10'000'000'000);
    for (const auto& e : st.expects) {
      ++expects;
      BOOST_TEST(e.where.file == folder.path("bases/b1.yaml"));
      BOOST_TEST(e.where.line == 9);
    }
  }
  BOOST_TEST(expects == 2u);
}

BOOST_AUTO_TEST_CASE(a_fixed_run_length_cuts_the_base_s_own_faults) {
  SweepFolder folder("own_faults");
  folder.write("bases/faulty.yaml", R"(plant:
  loads:
    - { name: heater, phases: [L1], current_a: 5 }
faults:
  - { name: mains.level, value: 0.8, at: 2s, duration: 20s }
  - { name: ct1.reversed, value: true, at: 15s, duration: 1s }
)");
  const Sweep sweep = load_sweep(folder.write("cut.yaml", R"(bases: bases/faulty.yaml
duration: 10s
recovery: { within: 2s, expect: { led.logo: on } }
)"));
  const auto runs = expand(sweep);
  BOOST_REQUIRE(runs.size() == 1u);
  const Scenario s = run_scenario(sweep, runs[0]);
  // The sag outlasts the run (no restore, so the run stays 10 s long, and no recovery to
  // check); the CT fault would start after the end.
  BOOST_TEST(s.duration_ns == 10'000'000'000);
  BOOST_REQUIRE(s.steps.size() == 1u);
  BOOST_TEST(s.steps[0].sets.at(0).signal == "mains.level");
  BOOST_TEST(!recovery_start_ns(sweep, runs[0]).has_value());
}

BOOST_AUTO_TEST_CASE(groups_take_the_sweep_s_dimensions_and_add_their_own) {
  SweepFolder folder("groups");
  const Sweep sweep = load_sweep(folder.write("groups.yaml", R"(sweep: groups
dimensions:
  - { fault: mains.level, values: [0.5], at: 4s, durations: 1s }
invariants:
  fuse.L1.tripped: false
groups:
  - name: one
    bases: bases/b1.yaml
    dimensions:
      - { fault: ct1.reversed, values: [true], at: [2s, 3s], durations: 1s }
    invariants:
      - { from: 2s, expect: { led.logo: on } }
  - name: two
    bases: bases/b2*.yaml
    base_expectations: keep
)"));
  BOOST_REQUIRE(sweep.groups.size() == 2u);
  BOOST_TEST(sweep.groups[0].dimensions.size() == 2u);
  BOOST_TEST(sweep.groups[0].invariants.size() == 2u);
  BOOST_TEST(sweep.groups[0].invariants[1].from_ns == 2'000'000'000);
  BOOST_TEST(sweep.groups[1].dimensions.size() == 1u);
  BOOST_TEST(sweep.groups[1].keep_base_expectations);
  // one: b1 alone, with the sweep's dimension and its own two points; two: b2 and the sweep's.
  BOOST_TEST(expand(sweep).size() == (1u + 1u + 2u) + (1u + 1u));
}

BOOST_AUTO_TEST_CASE(malformed_sweep_files_name_file_line_and_key) {
  const std::string dims = "dimensions:\n  - { fault: ct2.reversed, values: [true], at: 2s }\n";
  check_error("sweep: x\nbases: bases\n" + dims + "bogus: 1\n", 5, "bogus", "unknown key");
  check_error("bases: bases\ndimensions:\n  - { fault: ct2.reversed, at: 2s }\n", 3,
              "dimensions[0].values", "values to try");
  check_error(
      "bases: bases\ndimensions:\n  - { fault: ct2.reversed, values: [true], at: 2parsecs }\n", 3,
      "dimensions[0].at", "unknown unit");
  check_error(
      "bases: bases\ndimensions:\n  - { fault: ct2.reversed, values: [true, true], at: 2s }\n", 3,
      "dimensions[0].values", "listed twice");
  check_error("bases: bases\n" + dims + "mode: sample\n", 4, "sample", "needs sample:");
  check_error("bases: bases\n" + dims + "mode: all\n", 4, "mode", "grid, sample or both");
  check_error("bases: nowhere/x.yaml\n" + dims, 1, "bases", "no such file");
  check_error("bases: bases/z*.yaml\n" + dims, 1, "bases", "no scenario file matches");
  check_error("bases: bases\n" + dims + "base_expectations: maybe\n", 4, "base_expectations",
              "keep or drop");
  check_error("bases: bases\n" + dims + "invariants:\n  meter.L1.current_a: { min: 5, max: 1 }\n",
              5, "invariants.meter.L1.current_a", "min is above max");
  check_error("bases: bases\n" + dims + "recovery:\n  expect: { led.logo: on }\n", 5,
              "recovery.within", "within");
  check_error(
      "bases: bases\nduration: 10s\ndimensions:\n  - { fault: ct2.reversed, values: [true], at: "
      "12s }\n",
      4, "dimensions[0].at", "not before the end of the run");
  check_error(
      "bases: bases\nduration: 10s\ndimensions:\n  - { fault: ct2.reversed, values: [true], at: "
      "4s, durations: 2s }\n"
      "recovery: { within: 5s, expect: { led.logo: on } }\n",
      4, "dimensions[0].durations", "after the end of the run");
  check_error("bases: bases\ngroups:\n  - { name: a, bases: bases }\n", 1, "bases",
              "each group lists its own bases");
  check_error("groups:\n  - { name: a, bases: bases/b1.yaml }\n  - { name: b, bases: bases }\n", 3,
              "groups[1].bases", "already a base of another group");
  check_error(
      "bases: bases\ndimensions:\n  - { fault: ct2.reversed, values: [true], at: 2s, bases: [b9] "
      "}\n",
      3, "dimensions[0].bases", "matches no base");
  // Checked against each base's rig: the name, that it is a fault, and every value.
  check_error("bases: bases\ndimensions:\n  - { fault: ct2.revrsed, values: [true], at: 2s }\n", 3,
              "dimensions[0].fault", "did you mean ct2.reversed");
  check_error("bases: bases\ndimensions:\n  - { fault: meter.L1.current_a, values: [1], at: 2s }\n",
              3, "dimensions[0].fault", "is not a fault");
  check_error(
      "bases: bases\ndimensions:\n  - fault: ct1.phase\n    values:\n      - L2\n      - L7\n    "
      "at: 2s\n",
      6, "dimensions[0].values", "L1|L2|L3");
  // The invariants' and the recovery's signals, checked in each base's rig before any run.
  check_error("bases: bases\ninvariants:\n  led.logoo: on\n", 3, "invariants.led.logoo",
              "no signal named 'led.logoo' (did you mean led.logo?) in the rig of ");
  check_error("bases: bases\ninvariants:\n  - { from: 1s, expect: { led.logo: purple } }\n", 3,
              "invariants[0].expect.led.logo", "led.logo takes one of on|off, not 'purple'");
  check_error(
      "bases: bases\nrecovery:\n  within: 1s\n  expect: { meter.L1.current_a: { value: "
      "plant.L1.currnt_a, tolerance_pct: 2 } }\n",
      4, "recovery.expect.meter.L1.current_a", "no signal named 'plant.L1.currnt_a'");
  // A YAML syntax error: the file and its line.
  const ScenarioError syntax = load_error("bases: bases\ndimensions: [\n");
  BOOST_TEST(std::string(syntax.what()).find("bad_sweep.yaml:") != std::string::npos);
  BOOST_TEST(std::string(syntax.what()).find("YAML syntax error") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_run_count_is_known_before_the_runs_are_made) {
  SweepFolder folder("count");
  const Sweep grid = load_sweep(folder.write("grid.yaml", kGrid));
  BOOST_TEST(run_count(grid) == expand(grid).size());
  BOOST_TEST(run_count(grid) == closed_form(grid));
  const Sweep both = load_sweep(folder.write(
      "both.yaml", std::string(kGrid) + "mode: both\nsample: { runs: 7, faults: 2 }\n"));
  BOOST_TEST(run_count(both) == closed_form(both) + 7);
  BOOST_TEST(run_count(both) == expand(both).size());
}

BOOST_AUTO_TEST_CASE(a_sweep_larger_than_its_limits_is_refused_before_it_runs) {
  // kMaxRuns: 50 values x 50 start times x 41 durations on two bases.
  std::string values, at, durations;
  for (int i = 0; i < 50; ++i) {
    values += (i ? ", " : "") + std::to_string(i * 10);
    at += (i ? ", " : "") + std::to_string(i + 1) + "s";
  }
  for (int i = 0; i < 41; ++i) durations += (i ? ", " : "") + std::to_string(i + 1) + "ms";
  const std::size_t dimension_runs = 2 * 50 * 50 * 41;
  static_assert(2 * 50 * 50 * 41 > kMaxRuns);
  check_error(
      "sweep: big\nbases: bases\ndimensions:\n  - { fault: ct2.reversed, values: [true], "
      "at: 2s }\n  - { fault: adc.offset_lsb, values: [" +
          values + "], at: [" + at + "], durations: [" + durations + "] }\n",
      5, "dimensions[1]",
      "the sweep expands to " + std::to_string(dimension_runs + 2 + 2) + " runs (grid " +
          std::to_string(dimension_runs + 4) + ", sample 0), more than the " +
          std::to_string(kMaxRuns) + " a sweep may have; this dimension alone gives " +
          std::to_string(dimension_runs) +
          " (50 values x 50 start times x 41 durations on 2 bases)");
  const std::string dims =
      "dimensions:\n  - { fault: ct2.reversed, values: [true, false], at: 2s }\n"
      "  - { fault: mains.level, values: [0, 0.5, 1.1], at: 3s }\n";
  check_error(
      "bases: bases/b2.yaml\n" + dims +
          "mode: sample\nsample: { runs: " + std::to_string(kMaxRuns + 1) + " }\n",
      6, "sample.runs",
      std::to_string(kMaxRuns + 1) + " is out of range [1, " + std::to_string(kMaxRuns) + "]");
  check_error("bases: bases/b2.yaml\n" + dims + "mode: sample\nsample: { runs: 2, faults: " +
                  std::to_string(kMaxSampleFaults + 1) + " }\n",
              6, "sample.faults",
              std::to_string(kMaxSampleFaults + 1) + " is out of range [1, " +
                  std::to_string(kMaxSampleFaults) + "]");
  // The sample cannot draw more distinct runs than the dimensions give: 2 x 3 of two faults,
  // and beside the grid's single faults the same six.
  check_error("bases: bases/b2.yaml\n" + dims + "mode: sample\nsample: { runs: 7, faults: 2 }\n", 6,
              "sample.runs",
              "7 sampled runs asked, but the dimensions offer only 6 distinct runs of 2 faults");
  check_error("bases: bases/b2.yaml\n" + dims + "mode: both\nsample: { runs: 7, faults: [1, 2] }\n",
              6, "sample.runs",
              "7 sampled runs asked, but the dimensions offer only 6 distinct runs of 1 to 2 "
              "faults beside the grid's");
  SweepFolder folder("capacity");
  const auto all_six = expand(load_sweep(folder.write(
      "six.yaml",
      "bases: bases/b2.yaml\n" + dims + "mode: both\nsample: { runs: 6, faults: [1, 2] }\n")));
  BOOST_TEST(all_six.size() == 1u + 2u + 3u + 6u);
  // Seeds: whole numbers up to kMaxSweepSeed.
  const std::string seeds = "a seed is a whole number from 0 to " + std::to_string(kMaxSweepSeed);
  check_error("bases: bases\n" + dims + "seed: 1.5\n", 5, "seed", seeds + ", got '1.5'");
  check_error("bases: bases\n" + dims + "seed: -1\n", 5, "seed", seeds + ", got '-1'");
  check_error("bases: bases\n" + dims + "seed: 1e300\n", 5, "seed", seeds + ", got '1e300'");
  check_error("bases: bases\n" + dims + "seed: " + std::to_string(kMaxSweepSeed + 2) + "\n", 5,
              "seed", seeds);
  BOOST_TEST(load_sweep(folder.write("top.yaml", "bases: bases\n" + dims + "seed: " +
                                                     std::to_string(kMaxSweepSeed) + "\n"))
                 .seed == kMaxSweepSeed);
  // A fault's end and its recovery window, each time within range, together beyond it.
  const std::string half = std::to_string(kMaxSimTimeNs / 2'000'000'000 + 1) + "s";
  check_error("bases: bases\ndimensions:\n  - { fault: ct2.reversed, values: [true], at: " + half +
                  ", durations: " + half + " }\n",
              3, "dimensions[0].durations",
              "a fault from " + half + " for " + half +
                  " ends beyond the simulator's latest time (" + format_duration(kMaxSimTimeNs) +
                  ")");
  check_error(
      "bases: bases\ndimensions:\n  - { fault: ct2.reversed, values: [true], at: 1s, "
      "durations: " +
          half + " }\nrecovery: { within: " + half + ", expect: { led.logo: on } }\n",
      3, "dimensions[0].durations", "and its recovery window (" + half + ")");
  check_error(
      "bases: bases\ndimensions:\n  - { fault: ct2.reversed, values: [true], at: 1s }\n"
      "recovery: { not_before: " +
          half + ", within: " + half + ", expect: { led.logo: on } }\n",
      4, "recovery.within", "not_before and within together end beyond the simulator's");
}
