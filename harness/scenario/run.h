#pragma once
// Running scenarios: each in a process of its own (SystemC elaborates once per
// process, and a crash or a hang in one scenario must not take the others down).
#include <functional>
#include <string>
#include <vector>

#include "report/result.h"

namespace amprig {

struct RunOptions {
  std::string vcd_path;               // empty: no trace
  double vcd_period_s = 0.01;
  std::vector<std::string> trace;     // signals to trace; empty: all
  double timeout_s = 600;             // per scenario, wall clock
  int jobs = 1;                       // scenarios in parallel
};

// Runs one scenario file in this process. Elaborates SystemC: once per process.
ScenarioResult run_scenario_here(const std::string& file, const RunOptions& options);

// Runs a Python scenario file (*.py): one result per scenario in it. The `amprig` program sets
// it (the embedded interpreter lives in bindings/); without it, a .py file is an error.
using PythonRunner = std::function<std::vector<ScenarioResult>(const std::string& file)>;
void set_python_runner(PythonRunner runner);
// The results of one file of either kind, in this process.
std::vector<ScenarioResult> run_file_here(const std::string& file, const RunOptions& options);
// Runs each file in a child process; `on_done` is called as each result arrives (a Python file
// may give several).
std::vector<ScenarioResult> run_scenarios(
    const std::vector<std::string>& files, const RunOptions& options,
    const std::function<void(const ScenarioResult&, std::size_t done, std::size_t total)>& on_done);

}  // namespace amprig
