// A sweep's results file shared, killed and damaged, run as CI runs `amprig`: one writer at a
// time while readers go on, runs ended by a signal from outside run again on --resume while a
// run's own crash is kept, damaged lines skipped with a warning and their runs redone, and a
// write error that stops the sweep with its summary and the command that resumes it.
#include <signal.h>
#include <sys/resource.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <map>
#include <thread>

#include "sweep/results.h"
#include "sweep/sweep.h"
#include "sweep_fixture.h"

using namespace amprig;
using namespace amprig::sweep;
using namespace sweep_test;

namespace {

std::map<std::string, std::size_t> count_by_id(const std::vector<RunRecord>& records) {
  std::map<std::string, std::size_t> out;
  for (const auto& r : records) ++out[r.id];
  return out;
}

std::map<std::string, RunRecord> by_id(const std::vector<RunRecord>& records) {
  std::map<std::string, RunRecord> out;
  for (const auto& r : records) out[r.id] = r;
  return out;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Waits for `path` to hold at least `lines` lines (at most 60 s).
void wait_for_lines(const std::string& path, std::size_t lines) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (lines_of(slurp(path)).size() < lines && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  BOOST_REQUIRE(lines_of(slurp(path)).size() >= lines);
}

// b2 (12 s) and three runs of a reversed CT: fast, and all passing.
std::string small_sweep(const SweepFolder& folder) {
  return folder.write("small.yaml", R"(sweep: small
seed: 2
bases: bases/b2.yaml
dimensions:
  - { fault: ct2.reversed, values: [true], at: [2s, 4s, 6s], durations: 1s }
)");
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_second_writer_of_a_results_file_refuses_at_once_while_readers_go_on) {
  SweepFolder folder("lock");
  // The fault-free run is written first; then a run that hangs until its timeout holds the
  // sweep (and its lock) for as long as the test needs.
  const std::string sweep = folder.write("lock.yaml", R"(sweep: lock
timeout: 60s
bases: bases/b2.yaml
dimensions:
  - { fault: rig.test_hang, values: [true], at: 3s }
)");
  const std::string results = folder.path("lock.jsonl");
  const pid_t first = start_program({"sweep", sweep, "-j", "1", "--results", results},
                                    folder.path("first.out"), {"AMPRIG_TEST_HOOKS=1"});
  wait_for_lines(results, 1);

  const std::string refusal = results + " is being written by another amprig (pid " +
                              std::to_string(first) + ": " + AMPRIG_PROGRAM + " sweep " + sweep +
                              " -j 1 --results " + results + ")";
  for (const std::vector<std::string>& second :
       {std::vector<std::string>{"sweep", sweep, "--results", results},
        std::vector<std::string>{"sweep", sweep, "--results", results, "--resume"},
        std::vector<std::string>{"replay", results, "b2", "--results", results}}) {
    const auto started = std::chrono::steady_clock::now();
    const ProgramResult r = run_program(second, {"AMPRIG_TEST_HOOKS=1"});
    const double wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    BOOST_TEST_INFO(second[0] << ": " << r.output);
    BOOST_TEST(r.code == 1);
    BOOST_TEST(contains(r.output, refusal));
    BOOST_TEST(
        contains(r.output, "one sweep (or replay --results) writes a results file at a time"));
    BOOST_TEST(wall_s < 10.0);  // at once: no run was made, no rig built
  }
  // The refusals changed nothing: the first sweep's record is there, alone.
  BOOST_TEST(lines_of(slurp(results)).size() == 1u);

  // Readers go on while the sweep writes.
  const ProgramResult replay = run_program({"replay", results, "b2"});
  BOOST_TEST_INFO(replay.output);
  BOOST_TEST(replay.code == 0);
  BOOST_TEST(contains(replay.output, "same result as recorded"));
  const ProgramResult report =
      run_program({"report", results, "--html", folder.path("html"), "--max-plotted", "0"});
  BOOST_TEST_INFO(report.output);
  BOOST_TEST(report.code == 0);

  // Killed, the sweep leaves no lock behind: the kernel drops it with the process.
  kill(first, SIGKILL);
  int status = 0;
  waitpid(first, &status, 0);
  BOOST_TEST(WIFSIGNALED(status));
  const ProgramResult resumed =
      run_program({"sweep", sweep, "--results", results, "--resume", "--timeout", "1s"},
                  {"AMPRIG_TEST_HOOKS=1"});
  BOOST_TEST_INFO(resumed.output);
  BOOST_TEST(resumed.code == 1);  // the hanging run times out, as it should
  BOOST_TEST(contains(resumed.output, "2 runs, 1 already in the results file, 1 to run"));
  const auto records = by_id(read_results(results));
  BOOST_REQUIRE(records.size() == 2u);
  BOOST_TEST(records.at("b2~rig.test_hang=true@3s").result.error == "timed out after 1 s");
}

BOOST_AUTO_TEST_CASE(a_hangup_stops_the_sweep_with_its_summary_and_the_resume_command) {
  SweepFolder folder("hangup");
  const std::string sweep = folder.write("hangup.yaml", R"(sweep: hangup
timeout: 60s
bases: bases/b2.yaml
dimensions:
  - { fault: rig.test_hang, values: [true], at: 3s }
)");
  const std::string results = folder.path("hangup.jsonl");
  const std::string out = folder.path("hangup.out");
  const pid_t pid = start_program({"sweep", sweep, "-j", "1", "--results", results}, out,
                                  {"AMPRIG_TEST_HOOKS=1"});
  wait_for_lines(results, 1);
  // The terminal closed: the sweep ends as on Ctrl-C, the run under way killed without a record.
  kill(pid, SIGHUP);
  int status = 0;
  waitpid(pid, &status, 0);
  const std::string output = slurp(out);
  BOOST_TEST_INFO(output);
  BOOST_REQUIRE(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 1);
  BOOST_TEST(
      contains(output, "sweep hangup: 1 runs, 1 passed, 0 failed, 0 with errors, 1 not run"));
  BOOST_TEST(contains(output, std::string("interrupted: 1 runs not run; `") + AMPRIG_PROGRAM +
                                  " sweep " + sweep + " --results " + results +
                                  " --resume` runs them"));
  BOOST_TEST(lines_of(slurp(results)).size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_run_ended_from_outside_runs_again_on_resume_and_an_own_crash_is_kept) {
  SweepFolder folder("signals");
  const std::string sweep = folder.write("signals.yaml", R"(sweep: signals
timeout: 20s
bases: bases/b2.yaml
dimensions:
  - { fault: rig.test_signal, values: [9, 15, 2, 1, 11, 6], at: 3s }
)");
  const std::string results = folder.path("signals.jsonl");
  const ProgramResult swept =
      run_program({"sweep", sweep, "-j", "2", "--results", results}, {"AMPRIG_TEST_HOOKS=1"});
  BOOST_TEST_INFO(swept.output);
  BOOST_TEST(swept.code == 1);
  const std::map<std::string, std::pair<std::string, std::string>> expected = {
      {"9", {"SIGKILL", "crashed: Killed"}},
      {"15", {"SIGTERM", "crashed: Terminated"}},
      {"2", {"SIGINT", "crashed: Interrupt"}},
      {"1", {"SIGHUP", "crashed: Hangup"}},
      {"11", {"SIGSEGV", "crashed: Segmentation fault"}},
      {"6", {"SIGABRT", "crashed: Aborted"}}};
  const auto check_signals = [&](const std::map<std::string, RunRecord>& records) {
    BOOST_REQUIRE(records.size() == 7u);
    BOOST_TEST(records.at("b2").signal == "");
    for (const auto& [value, signal_and_error] : expected) {
      const RunRecord& r = records.at("b2~rig.test_signal=" + value + "@3s");
      BOOST_TEST(r.signal == signal_and_error.first, value);
      BOOST_TEST(r.result.error == signal_and_error.second, value);
    }
  };
  check_signals(by_id(read_results(results)));
  BOOST_TEST(contains(slurp(results), "\"signal\": \"SIGKILL\""));

  // Written before the field existed, a record's signal comes from its error text.
  std::string old_format;
  for (std::string line : lines_of(slurp(results))) {
    const auto at = line.find(", \"signal\": ");
    BOOST_REQUIRE(at != std::string::npos);
    line.erase(at, line.find(", \"sim_s\"") - at);
    old_format += line + "\n";
  }
  BOOST_REQUIRE(!contains(old_format, "\"signal\""));
  const std::string old_results = folder.write("old.jsonl", old_format);
  check_signals(by_id(read_results(old_results)));

  // --resume: the four runs a signal from outside ended run again; the two that crashed on
  // their own and the one that passed are kept. The same from the file of the old format.
  for (const std::string& file : {results, old_results}) {
    const ProgramResult resumed =
        run_program({"sweep", sweep, "--resume", "--results", file}, {"AMPRIG_TEST_HOOKS=1"});
    BOOST_TEST_INFO(resumed.output);
    BOOST_TEST(resumed.code == 1);
    BOOST_TEST(contains(resumed.output, "7 runs, 3 already in the results file, 4 to run"));
    BOOST_TEST(contains(resumed.output,
                        "4 runs ended by a signal from outside (SIGHUP, SIGINT, SIGKILL, SIGTERM: "
                        "the sweep stopped or killed, the out-of-memory killer) run again"));
    const auto counts = count_by_id(read_results(file));
    BOOST_TEST(counts.at("b2") == 1u);
    BOOST_TEST(counts.at("b2~rig.test_signal=11@3s") == 1u);
    BOOST_TEST(counts.at("b2~rig.test_signal=6@3s") == 1u);
    for (const char* value : {"9", "15", "2", "1"}) {
      BOOST_TEST(counts.at(std::string("b2~rig.test_signal=") + value + "@3s") == 2u, value);
    }
  }
}

BOOST_AUTO_TEST_CASE(damaged_lines_are_skipped_with_a_warning_and_their_runs_redone) {
  SweepFolder folder("damaged");
  const std::string sweep = small_sweep(folder);
  const std::string results = folder.path("small.jsonl");
  // One at a time: the records in the order of the runs, the fault-free run first.
  BOOST_REQUIRE(run_program({"sweep", sweep, "-j", "1", "--results", results}).code == 0);
  const auto lines = lines_of(slurp(results));
  BOOST_REQUIRE(lines.size() == 4u);
  BOOST_REQUIRE(from_json_line(lines[0]).id == "b2");
  const RunRecord lost = from_json_line(lines[1]);
  const RunRecord cut = from_json_line(lines[2]);
  // Line 2 garbage, line 3 a line of another program, line 4 a record half written and followed
  // by another writer's line; lines 1 and 5 intact.
  const std::string damaged = lines[0] + "\n" + "\x01\x02 garbage \xff\n" +
                              "{\"level\": \"info\", \"msg\": \"backup done\"}\n" +
                              lines[2].substr(0, lines[2].size() / 2) + "\n" + lines[3] + "\n";
  folder.write("small.jsonl", damaged);

  const ProgramResult replay = run_program({"replay", results, from_json_line(lines[3]).id});
  BOOST_TEST_INFO(replay.output);
  BOOST_TEST(replay.code == 0);
  BOOST_TEST(contains(replay.output, "same result as recorded"));
  BOOST_TEST(contains(replay.output, "amprig: warning: " + results + ":2: "));
  BOOST_TEST(
      contains(replay.output, "amprig: warning: " + results + ":3: not a run's record (skipped)"));
  BOOST_TEST(contains(replay.output, "amprig: warning: " + results + ":4: not JSON: "));
  const ProgramResult gone = run_program({"replay", results, lost.id});
  BOOST_TEST(gone.code == 1);
  BOOST_TEST(contains(gone.output, "no run '" + lost.id + "' in " + results + " (2 records)"));
  const ProgramResult shrink = run_program({"shrink", results, "b2"});
  BOOST_TEST(shrink.code == 1);
  BOOST_TEST(contains(shrink.output, "there is no failure to shrink"), shrink.output);

  // --resume redoes the two runs whose lines are damaged, and keeps every line as it was.
  const ProgramResult resumed = run_program({"sweep", sweep, "--resume", "--results", results});
  BOOST_TEST_INFO(resumed.output);
  BOOST_TEST(resumed.code == 0);
  BOOST_TEST(contains(resumed.output,
                      "4 runs, 2 already in the results file, 2 to run (3 damaged lines skipped)"));
  const std::string after = slurp(results);
  BOOST_TEST(after.substr(0, damaged.size()) == damaged);
  const auto counts = count_by_id(read_results(results));
  BOOST_TEST(counts.size() == 4u);
  BOOST_TEST(counts.at(lost.id) == 1u);
  BOOST_TEST(counts.at(cut.id) == 1u);

  // A file without one record is not a results file: refused, and left as it was.
  const std::string other = folder.write("notes.txt", "shopping list\nmilk\n");
  const ProgramResult not_results = run_program({"replay", other, "b2"});
  BOOST_TEST(not_results.code == 1);
  BOOST_TEST(contains(not_results.output,
                      other +
                          " is not a sweep's results file: not one of its 2 lines is a run's "
                          "record (" +
                          other + ":1: not a run's record)"));
  const ProgramResult overwrite = run_program({"sweep", sweep, "--results", other});
  BOOST_TEST(overwrite.code == 1);
  BOOST_TEST(contains(overwrite.output, other + " is not a sweep's results file"));
  BOOST_TEST(slurp(other) == "shopping list\nmilk\n");
}

BOOST_AUTO_TEST_CASE(a_write_error_stops_the_sweep_with_its_summary_and_the_resume_command) {
  SweepFolder folder("full");
  const std::string sweep = small_sweep(folder);
  // A full disk: not one record can be written.
  const ProgramResult full = run_program({"sweep", sweep, "--results", "/dev/full", "-j", "1"});
  BOOST_TEST_INFO(full.output);
  BOOST_TEST(full.code == 1);
  BOOST_TEST(contains(
      full.output, "amprig: the sweep stopped: cannot write /dev/full: No space left on device"));
  BOOST_TEST(
      contains(full.output, "sweep small: 0 runs, 0 passed, 0 failed, 0 with errors, 4 not run"));
  BOOST_TEST(
      contains(full.output, std::string("stopped by a write error: 4 runs not run (the 0 runs "
                                        "above are in the results file); `") +
                                AMPRIG_PROGRAM + " sweep " + sweep +
                                " --results /dev/full --resume` runs them"));

  // A file size limit met in the middle: the records before it stay whole, the sweep says what
  // ran, and the command it prints runs the rest.
  // The limit: two records as the same sweep writes them, and half of the third.
  const std::string measured = folder.path("measured.jsonl");
  BOOST_REQUIRE(run_program({"sweep", sweep, "-j", "1", "--results", measured}).code == 0);
  const auto sizes = lines_of(slurp(measured));
  BOOST_REQUIRE(sizes.size() == 4u);
  const rlim_t limit_bytes = sizes[0].size() + 1 + sizes[1].size() + 1 + sizes[2].size() / 2;
  const std::string results = folder.path("limited.jsonl");
  const std::string limit_out = folder.path("limited.out");
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open(limit_out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    const rlimit limit{limit_bytes, limit_bytes};
    setrlimit(RLIMIT_FSIZE, &limit);
    unsetenv("AMPRIG_TEST_HOOKS");
    execl(AMPRIG_PROGRAM, AMPRIG_PROGRAM, "sweep", sweep.c_str(), "-j", "1", "--results",
          results.c_str(), "--timeout", "30s", static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  const std::string output = slurp(limit_out);
  BOOST_TEST_INFO(output);
  BOOST_REQUIRE(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 1);
  BOOST_TEST(
      contains(output, "amprig: the sweep stopped: cannot write " + results + ": File too large"));
  const ResultsContent kept = read_results_content(results);
  BOOST_TEST(kept.records.size() == 2u);
  BOOST_TEST(kept.damaged.empty());
  BOOST_TEST(!kept.cut_last_line);
  BOOST_TEST(contains(output, "sweep small: 2 runs, 2 passed, 0 failed, 0 with errors, 2 not run"));
  const std::string command = std::string(AMPRIG_PROGRAM) + " sweep " + sweep + " --results " +
                              results + " --timeout 30s --resume";
  BOOST_TEST(contains(output,
                      "stopped by a write error: 2 runs not run (the 2 runs above are in "
                      "the results file); `" +
                          command + "` runs them"));
  const ProgramResult resumed =
      run_program({"sweep", sweep, "--results", results, "--timeout", "30s", "--resume"});
  BOOST_TEST_INFO(resumed.output);
  BOOST_TEST(resumed.code == 0);
  BOOST_TEST(contains(resumed.output, "4 runs, 2 already in the results file, 2 to run"));
  const auto counts = count_by_id(read_results(results));
  BOOST_TEST(counts.size() == 4u);
  for (const auto& [id, n] : counts) BOOST_TEST(n == 1u, id);
}

BOOST_AUTO_TEST_CASE(no_output_of_a_sweep_overwrites_its_inputs) {
  SweepFolder folder("inputs");
  const std::string sweep = small_sweep(folder);
  const std::string before = slurp(sweep);
  const std::string base = folder.path("bases/b2.yaml");
  const std::string base_text = slurp(base);
  const ProgramResult on_sweep = run_program({"sweep", sweep, "--results", sweep});
  BOOST_TEST(on_sweep.code == 1);
  BOOST_TEST(contains(on_sweep.output, "the results file " + sweep +
                                           " is the sweep file of the sweep, which it would "
                                           "overwrite: give another file"));
  const ProgramResult on_base = run_program({"sweep", sweep, "--results", base});
  BOOST_TEST(on_base.code == 1);
  BOOST_TEST(contains(on_base.output, "is the base scenario " + folder.path("bases/b2.yaml")));
  BOOST_TEST(slurp(sweep) == before);
  BOOST_TEST(slurp(base) == base_text);

  const std::string results = folder.path("small.jsonl");
  BOOST_REQUIRE(run_program({"sweep", sweep, "--results", results}).code == 0);
  const std::string recorded = slurp(results);
  const ProgramResult shrink_over = run_program({"shrink", results, "b2", "-o", results});
  BOOST_TEST(shrink_over.code == 1);
  BOOST_TEST(contains(shrink_over.output, "the shrunk run's file " + results +
                                              " is the results file, which it would overwrite"));
  BOOST_TEST(slurp(results) == recorded);
}
