#pragma once
// `amprig sweep` and `amprig replay`: a sweep's runs, each in a process of its own (the
// machinery of `amprig run`), results appended to a JSON-lines file as they finish, progress,
// summary, JUnit, and the exact replay of one run.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "report/result.h"
#include "sweep/results.h"
#include "sweep/sweep.h"

namespace amprig {
class Rig;
}

namespace amprig::sweep {

struct SweepOptions {
  std::string file;
  int jobs = 1;
  std::string results;  // empty: <build>/reports/sweeps/<sweep>.jsonl
  bool resume = false;
  std::optional<double> timeout_s;  // overrides the sweep file's
  bool list = false;                // print the runs, run nothing
  std::string emit_id;              // print this run as a standalone scenario, run nothing
  std::string junit;
  std::string vcd_dir;  // a VCD per run: <dir>/<id>.vcd
  double vcd_period_s = 0.01;
  std::vector<std::string> trace;
  std::string program = "amprig";  // how the replay commands name this program
  std::function<void(Rig&)> prepare_rig;
};

struct ReplayOptions {
  std::string results;
  std::string id;
  std::string sweep_file;  // empty: the one the record names
  std::string vcd;
  double vcd_period_s = 0.01;
  std::vector<std::string> trace;
  bool verbose = false;
  std::optional<double> timeout_s;
  std::string results_out;  // append the replay's record here
  std::function<void(Rig&)> prepare_rig;
};

// Exit codes as `amprig run`: 0 every run passed, 1 a run failed or had an error (or the
// sweep was interrupted). Malformed files throw ScenarioError.
int sweep_command(const SweepOptions& options);
int replay_command(const ReplayOptions& options);

// Builds every base's rig (each in a child process) and checks each dimension that applies to
// it: the fault exists there, is a fault, and takes every value. Throws ScenarioError naming
// the sweep file's line.
void check_dimensions(const Sweep& sweep, int jobs, const std::function<void(Rig&)>& prepare_rig);

// The results file a sweep writes by default: reports/sweeps/<name>.jsonl in the build folder
// this program belongs to (./build/reports/sweeps when it is not in a build's bin/).
std::string default_results_path(const std::string& sweep_name);

// The record of one finished run.
RunRecord make_record(const Sweep& sweep, const Run& run, const ScenarioResult& result);

}  // namespace amprig::sweep
