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

// A sweep's runs handed to a cluster: each run by its id and the digest of its scenario, so that
// a worker whose files differ from the client's refuses it instead of running something else.
struct ClusterJob {
  std::string address;     // tcp://HOST:PORT of the scheduler
  std::string sweep_name;
  std::string sweep_file;  // as given, opened from `cwd` on the workers
  std::string cwd;
  std::string program;     // this program's path: the workers must run the same build
  double timeout_s = 0;    // per run
  std::vector<std::pair<std::string, std::string>> runs;  // id, digest
};
// Runs a job's runs on a cluster and calls `done` with each run's record (a results-file line)
// as it finishes, on the calling thread; returns early when `stopping()` becomes true. Throws
// std::runtime_error when the cluster cannot run the sweep (no scheduler, no workers, a worker
// with another build or other files), after the records that did finish.
using ClusterBackend = std::function<void(const ClusterJob& job,
                                          const std::function<void(const std::string&)>& done,
                                          const std::function<bool()>& stopping)>;

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
  std::string cluster;  // tcp://HOST:PORT: run on that cluster through cluster_backend
  ClusterBackend cluster_backend;
  // A cluster worker's side: run the runs named on stdin ("ID<tab>DIGEST" lines), one at a time,
  // each in its own process, and print each one's record on stdout as it finishes.
  bool worker = false;
  // The HTML report of the results file, written to `html` once the sweep ends: write_html
  // returns 0 when it was written.
  std::string html;
  std::function<int(const std::string& results, const std::string& dir)> write_html;
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

struct ShrinkOptions {
  std::string results;
  std::string id;
  std::string sweep_file;  // empty: the one the record names
  std::string out;         // the shrunk run as a standalone scenario (empty: next to the results)
  std::optional<double> timeout_s;
  std::string program = "amprig";
  std::function<void(Rig&)> prepare_rig;
};

// Exit codes as `amprig run`: 0 every run passed, 1 a run failed or had an error (or the
// sweep was interrupted). Malformed files throw ScenarioError.
int sweep_command(const SweepOptions& options);
int replay_command(const ReplayOptions& options);
// `amprig shrink RESULTS RUN_ID`: the smallest run that still fails the same way, found by
// leaving faults out one at a time and then halving each remaining fault's duration while it
// still fails; written as a standalone scenario file. Exit 0 when a failing run was shrunk (or
// was minimal already), 1 when the run does not fail again as recorded.
int shrink_command(const ShrinkOptions& options);
// `amprig sweep FILE --worker`: exit 0 when every run named was run; 3 when one is not in the
// sweep or its scenario differs from the client's (the message on stderr says which).
int worker_command(const SweepOptions& options);

// Builds every base's rig (each in a child process) and checks each dimension that applies to
// it: the fault exists there, is a fault, and takes every value. Throws ScenarioError naming
// the sweep file's line.
void check_dimensions(const Sweep& sweep, int jobs, const std::function<void(Rig&)>& prepare_rig);

// What the sweep benchmark measures: every run of a sweep on `jobs` processes, as `amprig sweep`
// runs them, with no results file. Call it before this process elaborates a rig of its own.
struct Throughput {
  std::size_t runs = 0, passed = 0;
  double wall_s = 0;       // the whole sweep, from the first process started to the last result
  double sim_s = 0;        // simulated, all runs together
  double runs_per_min() const { return wall_s > 0 ? static_cast<double>(runs) / wall_s * 60 : 0; }
};
Throughput measure_throughput(const std::string& file, int jobs);

// The results file a sweep writes by default: reports/sweeps/<name>.jsonl in the build folder
// this program belongs to (./build/reports/sweeps when it is not in a build's bin/).
std::string default_results_path(const std::string& sweep_name);

// The record of one finished run.
RunRecord make_record(const Sweep& sweep, const Run& run, const ScenarioResult& result);

}  // namespace amprig::sweep
