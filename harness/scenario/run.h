#pragma once
// Running scenarios: each in a process of its own (SystemC elaborates once per
// process, and a crash or a hang in one scenario must not take the others down).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "report/result.h"
#include "scenario/scenario.h"

namespace amprig {

class Rig;

struct RunOptions {
  std::string vcd_path;               // empty: no trace
  double vcd_period_s = 0.01;
  std::vector<std::string> trace;     // signals to trace; empty: all
  double timeout_s = 600;             // per scenario, wall clock
  int jobs = 1;                       // scenarios in parallel
  // Seeds of each YAML scenario: `seeds` of them from `seed` (else the file's own) + offset.
  std::optional<std::uint64_t> seed;
  std::uint64_t seeds = 1;
  std::uint64_t seed_offset = 0;
  // Called on each rig once it is built, before its steps are checked (test hooks add their
  // signals here). Empty: nothing.
  std::function<void(Rig&)> prepare_rig;
};

// Runs one scenario file in this process. Elaborates SystemC: once per process. With `seed`, the
// scenario runs with it instead of its file's, and with `seed_in_id` its id ends "@seed=<S>".
// A run that passed without evaluating any expectation is no_checks.
ScenarioResult run_scenario_here(const std::string& file, const RunOptions& options,
                                 std::optional<std::uint64_t> seed = std::nullopt,
                                 bool seed_in_id = false);
// The same for a scenario already decoded (a sweep's run, built from a tree); the result names
// scenario.file.
ScenarioResult run_scenario_here(const Scenario& scenario, const RunOptions& options);

// Runs a Python scenario file (*.py): one result per scenario in it. The `amprig` program sets
// it (the embedded interpreter lives in bindings/); without it, a .py file is an error.
using PythonRunner = std::function<std::vector<ScenarioResult>(const std::string& file)>;
void set_python_runner(PythonRunner runner);
// The results of one file of either kind, in this process.
std::vector<ScenarioResult> run_file_here(const std::string& file, const RunOptions& options);
// Runs `work(i)` for every i below `count`, each in a child process of its own, `jobs` at a
// time, each stopped after `timeout_s` of wall time. `done(i, results, wall_s)` is called in
// this process as each child ends. A child that ends without a result (a crash, a timeout) gives
// one error result saying why, whose id and file the caller fills in. Once `stopping()` returns
// true (checked whenever a child ends or a signal interrupts the wait), no more children start
// and those still running are killed without a result. A child dies with this process.
using ChildWork = std::function<std::vector<ScenarioResult>(std::size_t index)>;
using ChildDone =
    std::function<void(std::size_t index, std::vector<ScenarioResult>& results, double wall_s)>;
void run_in_processes(std::size_t count, int jobs, double timeout_s, const ChildWork& work,
                      const ChildDone& done, const std::function<bool()>& stopping = {});
// "<id>@seed=<S>": the id of a scenario's run with a seed other than its file's.
std::string seeded_id(const std::string& id, std::uint64_t seed);
// The traces run_scenarios writes for `files` (options.vcd_path, or one per run when several).
std::vector<std::string> trace_paths(const std::vector<std::string>& files,
                                     const RunOptions& options);
// Runs each file in a child process (a YAML file once per seed of options.seed/seeds/seed_offset);
// `on_done` is called as each result arrives (a Python file may give several). Throws
// std::invalid_argument, before anything runs, when a seed would pass kMaxSeed.
std::vector<ScenarioResult> run_scenarios(
    const std::vector<std::string>& files, const RunOptions& options,
    const std::function<void(const ScenarioResult&, std::size_t done, std::size_t total)>& on_done);

}  // namespace amprig
