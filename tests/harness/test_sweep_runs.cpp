// `amprig sweep` and `amprig replay` end to end, run as CI runs them: the results file written
// run by run and resumed after a SIGKILL, a crashing and a hanging run reported while the sweep
// completes, a replay identical to the original run, and the nightly sweep's size and coverage.
#include <signal.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "sweep/results.h"
#include "sweep/sweep.h"
#include "sweep_fixture.h"

using namespace amprig;
using namespace amprig::sweep;
using namespace sweep_test;

namespace {

std::map<std::string, RunRecord> by_id(const std::vector<RunRecord>& records) {
  std::map<std::string, RunRecord> out;
  for (const auto& r : records) out[r.id] = r;
  return out;
}

// 2 bases x (1 + 4 + 2 + 2) = 18 runs of 20 and 60 s, some of them failing: enough that a kill
// lands in the middle.
std::string resume_sweep(const SweepFolder& folder) {
  folder.write("bases/long.yaml", R"(plant:
  loads:
    - { name: heater, phases: [L1, L2, L3], current_a: 12 }
duration: 60s
)");
  return folder.write("resume.yaml", R"(sweep: resume
seed: 3
bases: [bases/b1.yaml, bases/long.yaml]
dimensions:
  - { fault: ct2.reversed, values: [true], at: [2s, 6s], durations: [1s, forever] }
  - { fault: mains.level, values: [0.5, 0], at: 5s, durations: 1s }
  - { fault: adc.noise_lsb_rms, values: [5, 30], at: 3s, durations: 3s }
invariants:
  - { from: 2s, expect: { led.logo: on } }
recovery:
  within: 3s
  expect: { led.current: green, meter.L1.current_a: { value: plant.L1.current_a, tolerance_pct: 2 } }
)");
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_killed_sweep_resumes_to_the_results_of_an_uninterrupted_one) {
  SweepFolder folder("resume");
  const std::string sweep = resume_sweep(folder);
  const std::string whole = folder.path("whole.jsonl");
  const std::string killed = folder.path("killed.jsonl");

  const ProgramResult full = run_program({"sweep", sweep, "-j", "2", "--results", whole});
  BOOST_TEST_INFO(full.output);
  const auto expected = read_results(whole);
  BOOST_REQUIRE(expected.size() == 18u);
  BOOST_TEST((full.code == 1) ==
             std::any_of(expected.begin(), expected.end(), [](const RunRecord& r) {
               return r.result.outcome != ScenarioResult::Outcome::passed;
             }));

  // One run at a time, killed once a few results are in.
  const pid_t pid =
      start_program({"sweep", sweep, "-j", "1", "--results", killed}, folder.path("killed.out"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::size_t lines = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    lines = lines_of(slurp(killed)).size();
    if (lines >= 4) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  BOOST_TEST(WIFSIGNALED(status));
  const auto partial = read_results(killed);
  BOOST_TEST_INFO(slurp(folder.path("killed.out")));
  BOOST_TEST(partial.size() >= 4u);
  BOOST_TEST(partial.size() < 18u);  // killed in the middle, not after the end

  const ProgramResult resumed = run_program({"sweep", sweep, "--resume", "--results", killed});
  BOOST_TEST_INFO(resumed.output);
  BOOST_TEST(resumed.code == full.code);
  BOOST_TEST(resumed.output.find(std::to_string(partial.size()) + " already in the results file") !=
             std::string::npos);
  const auto got = read_results(killed);
  // Nothing ran twice, and every run's record is the uninterrupted sweep's (but for wall time).
  BOOST_TEST(got.size() == 18u);
  const auto a = by_id(expected);
  const auto b = by_id(got);
  BOOST_REQUIRE(a.size() == b.size());
  for (const auto& [id, record] : a) {
    const auto it = b.find(id);
    BOOST_REQUIRE(it != b.end());
    std::string why;
    BOOST_TEST(same_result(record, it->second, &why), id << ": " << why);
  }
  // The records as a reader sees them: file, line and values of every failure.
  for (const auto& r : got) {
    for (const auto& f : r.result.failures) {
      BOOST_TEST(f.where.find(".yaml:") != std::string::npos);
      BOOST_TEST(!f.signal.empty());
      BOOST_TEST(!f.expected.empty());
      BOOST_TEST(!f.actual.empty());
    }
  }
  // Resuming a finished sweep runs nothing.
  const ProgramResult again = run_program({"sweep", sweep, "--resume", "--results", killed});
  BOOST_TEST(again.output.find("18 already in the results file, 0 to run") != std::string::npos);
  BOOST_TEST(read_results(killed).size() == 18u);
}

BOOST_AUTO_TEST_CASE(a_crashing_and_a_hanging_run_are_reported_and_the_sweep_completes) {
  SweepFolder folder("crash");
  const std::string sweep = folder.write("crash.yaml", R"(sweep: crash
seed: 9
timeout: 2s
bases: bases/b1.yaml
dimensions:
  - { fault: rig.test_crash, values: [true], at: 3s }
  - { fault: rig.test_hang, values: [true], at: 3s }
  - { fault: ct2.reversed, values: [true], at: [2s, 4s], durations: 1s }
recovery:
  within: 4s
  expect: { led.current: green }
)");
  const std::string results = folder.path("crash.jsonl");
  const std::string junit = folder.path("crash.xml");
  // The hooks exist only where the tests ask for them.
  const ProgramResult hidden = run_program({"sweep", sweep, "--list"});
  BOOST_TEST(hidden.code == 1);
  BOOST_TEST(hidden.output.find("no signal named 'rig.test_crash'") != std::string::npos);
  const ProgramResult catalogue = run_program({"faults"}, {"AMPRIG_TEST_HOOKS=1"});
  BOOST_TEST(catalogue.output.find("rig.test_") == std::string::npos);

  const auto started = std::chrono::steady_clock::now();
  const ProgramResult r = run_program(
      {"sweep", sweep, "-j", "2", "--results", results, "--junit", junit}, {"AMPRIG_TEST_HOOKS=1"});
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  BOOST_TEST_INFO(r.output);
  BOOST_TEST(r.code == 1);
  BOOST_TEST(wall_s < 30.0);
  const auto records = by_id(read_results(results));
  BOOST_REQUIRE(records.size() == 5u);
  const RunRecord& crash = records.at("b1~rig.test_crash=true@3s");
  BOOST_TEST(to_string(crash.result.outcome) == std::string("ERROR"));
  BOOST_TEST(crash.result.error == "crashed: Segmentation fault");
  const RunRecord& hang = records.at("b1~rig.test_hang=true@3s");
  BOOST_TEST(to_string(hang.result.outcome) == std::string("ERROR"));
  BOOST_TEST(hang.result.error == "timed out after 2 s");
  BOOST_TEST(hang.result.wall_s >= 1.9);
  for (const char* id : {"b1", "b1~ct2.reversed=true@2s+1s", "b1~ct2.reversed=true@4s+1s"}) {
    BOOST_TEST(to_string(records.at(id).result.outcome) == std::string("PASS"), id);
    BOOST_TEST(records.at(id).result.sim_s == 20.0);
  }
  // The summary: counts by fault and by base, and a replay command for each of the two.
  BOOST_TEST(r.output.find("sweep crash: 5 runs, 3 passed, 0 failed, 2 with errors") !=
             std::string::npos);
  BOOST_TEST(r.output.find("rig.test_crash") != std::string::npos);
  BOOST_TEST(r.output.find("replay " + results + " 'b1~rig.test_crash=true@3s'") !=
             std::string::npos);
  BOOST_TEST(r.output.find("replay " + results + " 'b1~rig.test_hang=true@3s'") !=
             std::string::npos);
  BOOST_TEST(r.output.find("runs/min") != std::string::npos);
  const std::string xml = slurp(junit);
  BOOST_TEST(xml.find("tests=\"5\" failures=\"0\" errors=\"2\"") != std::string::npos);
  BOOST_TEST(xml.find("crashed: Segmentation fault") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_replay_is_identical_to_the_original_run) {
  SweepFolder folder("replay");
  const std::string sweep = folder.write("replay.yaml", R"(sweep: replay
seed: 21
bases: bases/b1.yaml
dimensions:
  - { fault: adc.noise_lsb_rms, values: [40], at: 2s, durations: forever }
  - { fault: ct2.reversed, values: [true], at: 6s, durations: forever }
invariants:
  - { from: 4s, expect: { led.current: green, meter.L2.current_a: { value: 10, tolerance_pct: 0.2 } } }
)");
  const std::string results = folder.path("replay.jsonl");
  const std::string traces = folder.path("vcd");
  const std::string signals = "meter.L1.current_a,meter.L2.current_a,led.current,adc.noise_lsb_rms";
  const ProgramResult r = run_program({"sweep", sweep, "--results", results, "--vcd", traces,
                                       "--trace", signals, "--vcd-period", "50ms"});
  BOOST_TEST_INFO(r.output);
  const auto records = by_id(read_results(results));
  BOOST_REQUIRE(records.size() == 3u);
  // Both faulted runs fail (the base's own load step at 5 s breaks the invariant), with values
  // that carry the noise drawn from the run's seed.
  for (const char* id : {"b1~adc.noise_lsb_rms=40@2s", "b1~ct2.reversed=true@6s"}) {
    const RunRecord& original = records.at(id);
    BOOST_TEST(to_string(original.result.outcome) == std::string("FAIL"), id);
    BOOST_REQUIRE(!original.result.failures.empty());
    BOOST_TEST(original.result.failures[0].where == sweep + ":8");
    const std::string replayed_results = folder.path(std::string("replayed-") + id + ".jsonl");
    const std::string vcd = folder.path(std::string("replayed-") + id + ".vcd");
    const ProgramResult replay =
        run_program({"replay", results, id, "--vcd", vcd, "--trace", signals, "--vcd-period",
                     "50ms", "--results", replayed_results});
    BOOST_TEST_INFO(replay.output);
    BOOST_TEST(replay.code == 1);
    BOOST_TEST(replay.output.find("same result as recorded") != std::string::npos);
    const auto replayed = read_results(replayed_results);
    BOOST_REQUIRE(replayed.size() == 1u);
    std::string why;
    BOOST_TEST(same_result(original, replayed[0], &why), why);
    BOOST_TEST(replayed[0].result.failures[0].actual == original.result.failures[0].actual);
    BOOST_TEST(replayed[0].result.failures[0].time_s == original.result.failures[0].time_s);
    const std::string original_vcd = slurp(traces + "/" + id + ".vcd");
    BOOST_TEST(original_vcd.size() > 1000u);
    BOOST_TEST(original_vcd == slurp(vcd));
    // The run as a file of its own plays the same simulation.
    const ProgramResult emitted = run_program({"sweep", sweep, "--emit", id});
    BOOST_REQUIRE(emitted.code == 0);
    const std::string standalone =
        folder.write(std::string("standalone-") + id + ".yaml", emitted.output);
    const std::string standalone_vcd = folder.path(std::string("standalone-") + id + ".vcd");
    const ProgramResult run = run_program(
        {"run", standalone, "--vcd", standalone_vcd, "--trace", signals, "--vcd-period", "50ms"});
    BOOST_TEST_INFO(run.output);
    BOOST_TEST(run.code == 1);
    BOOST_TEST(run.output.find(original.result.failures[0].actual) != std::string::npos);
    BOOST_TEST(original_vcd == slurp(standalone_vcd));
  }
  // Different seeds draw different noise: the two traces of b1 under noise and not differ.
  BOOST_TEST(slurp(traces + "/b1.vcd") != slurp(traces + "/b1~adc.noise_lsb_rms=40@2s.vcd"));
  const ProgramResult unknown = run_program({"replay", results, "b1~nothing"});
  BOOST_TEST(unknown.code == 1);
  BOOST_TEST(unknown.output.find("no run 'b1~nothing'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_failing_run_shrinks_to_the_fault_that_breaks_it) {
  SweepFolder folder("shrink");
  // Three faults at once; only the reversed CT turns the current LED red (the invariant), the
  // 5th harmonic and the noise leave it green.
  const std::string sweep = folder.write("shrink.yaml", R"(sweep: shrink
seed: 5
mode: sample
sample: { runs: 1, faults: 3 }
bases: bases/b1.yaml
dimensions:
  - { fault: mains.h5_pct, values: [5], at: 6s, durations: 4s }
  - { fault: ct2.reversed, values: [true], at: 6s, durations: 4s }
  - { fault: adc.noise_lsb_rms, values: [3], at: 6s, durations: 4s }
invariants:
  - { from: 2s, expect: { led.current: green } }
)");
  const std::string results = folder.path("shrink.jsonl");
  const ProgramResult swept = run_program({"sweep", sweep, "--results", results});
  BOOST_TEST_INFO(swept.output);
  const auto records = read_results(results);
  BOOST_REQUIRE(records.size() == 1u);
  const RunRecord& original = records[0];
  BOOST_REQUIRE(original.faults.size() == 3u);
  BOOST_REQUIRE(to_string(original.result.outcome) == std::string("FAIL"));

  const std::string out = folder.path("shrunk.yaml");
  const ProgramResult shrunk = run_program({"shrink", results, original.id, "-o", out});
  BOOST_TEST_INFO(shrunk.output);
  BOOST_TEST(shrunk.code == 0);
  BOOST_TEST(shrunk.output.find("to: ct2.reversed=true@6s+") != std::string::npos);
  BOOST_TEST(shrunk.output.find("run " + out) != std::string::npos);
  const std::string text = slurp(out);
  BOOST_TEST(text.find("name: ct2.reversed") != std::string::npos);
  BOOST_TEST(text.find("mains.h5_pct") == std::string::npos);
  BOOST_TEST(text.find("adc.noise_lsb_rms") == std::string::npos);
  // The shrunk file fails as the run did, on the same signal.
  const ProgramResult replayed = run_program({"run", out});
  BOOST_TEST_INFO(replayed.output);
  BOOST_TEST(replayed.code == 1);
  BOOST_TEST(replayed.output.find("led.current at ") != std::string::npos);
  BOOST_TEST(replayed.output.find("expected green, actual red") != std::string::npos);
  // It is minimal: half its fault's duration, or no fault at all, passes.
  const auto at = text.find("duration: ", text.find("name: ct2.reversed"));
  BOOST_REQUIRE(at != std::string::npos);
  const auto end = text.find('\n', at);
  const std::string duration = text.substr(at + 10, end - at - 10);
  BOOST_TEST_MESSAGE("shrunk duration " << duration);
  const double duration_s = std::stod(duration) * (duration.find("ms") != std::string::npos ? 1e-3 : 1);
  BOOST_TEST(duration_s < 4.0);
  std::string half = text;
  half.replace(at + 10, end - at - 10, std::to_string(static_cast<long>(duration_s * 500)) + "ms");
  const ProgramResult shorter = run_program({"run", folder.write("half.yaml", half)});
  BOOST_TEST_INFO(shorter.output);
  BOOST_TEST(shorter.code == 0);
  std::string none = text;
  none.replace(text.find("faults:"), std::string::npos, "duration: 20s\n");
  const ProgramResult without = run_program({"run", folder.write("none.yaml", none)});
  BOOST_TEST_INFO(without.output);
  BOOST_TEST(without.code == 0);

  // A run that passes has nothing to shrink.
  const std::string passing = folder.write("passing.yaml", R"(sweep: passing
bases: bases/b2.yaml
)");
  const std::string passing_results = folder.path("passing.jsonl");
  BOOST_REQUIRE(run_program({"sweep", passing, "--results", passing_results}).code == 0);
  const ProgramResult nothing = run_program({"shrink", passing_results, "b2"});
  BOOST_TEST(nothing.code == 1);
  BOOST_TEST(nothing.output.find("there is no failure to shrink") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_nightly_sweep_has_every_fault_on_every_base_family) {
  const std::string nightly = std::string(AMPRIG_SOURCE_DIR) + "/scenarios/sweeps/nightly.yaml";
  const ProgramResult list = run_program({"sweep", nightly, "--list"});
  BOOST_TEST_INFO(list.output.substr(0, 2000));
  BOOST_REQUIRE(list.code == 0);
  std::map<std::string, std::set<std::string>> faults_by_base;  // base path -> faults in its runs
  std::map<std::string, std::string> family_of;                 // base path -> group
  std::size_t runs = 0;
  for (const auto& line : lines_of(list.output)) {
    if (line[0] == '#') continue;
    ++runs;
    std::vector<std::string> fields;
    std::istringstream in(line);
    for (std::string f; std::getline(in, f, '\t');) fields.push_back(f);
    BOOST_REQUIRE(fields.size() == 5u);
    family_of[fields[2]] = fields[1];
    // id = base~name=value@at[+duration]~...
    std::istringstream parts(fields[0]);
    std::string part;
    std::getline(parts, part, '~');
    while (std::getline(parts, part, '~')) {
      faults_by_base[fields[2]].insert(part.substr(0, part.find('=')));
    }
  }
  const Sweep sweep = load_sweep(nightly);
  BOOST_TEST(runs == expand(sweep).size());
  BOOST_TEST(runs >= 1000u);
  std::set<std::string> families;
  for (const auto& [base, family] : family_of) families.insert(family);
  BOOST_TEST(
      (families == std::set<std::string>{"measurement", "wiring", "solar", "IT", "balancing"}));
  // Every fault the base's rig lists (amprig faults BASE) is in some run of that base.
  for (const auto& base : sweep.bases) {
    const ProgramResult catalogue = run_program({"faults", base.path});
    BOOST_REQUIRE(catalogue.code == 0);
    std::size_t listed = 0;
    for (const auto& line : lines_of(catalogue.output)) {
      // "  name   type   range": a fault; deeper indents are its description.
      if (line.size() < 3 || line[0] != ' ' || line[1] != ' ' || line[2] == ' ') continue;
      const std::string name = line.substr(2, line.find(' ', 2) - 2);
      ++listed;
      // An IT network has no neutral: the rig refuses that fault there.
      if (name == "mains.neutral.lost" && family_of[base.relative] == "IT") continue;
      BOOST_TEST(faults_by_base[base.relative].count(name) == 1u, base.relative << ": " << name);
    }
    BOOST_TEST(listed >= 66u, base.relative);
  }
}
