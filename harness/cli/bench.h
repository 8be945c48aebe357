#pragma once
#include <string>

namespace amprig {

struct BenchOptions {
  double duration_s = 60;  // simulated time of the reference rig, the plain loop and the scale
  std::string json_path;   // empty: no JSON
  std::string sweep_file;  // empty: no sweep throughput
  int jobs = 1;            // the sweep's processes
  std::string source_dir;  // the source tree: scenarios/bench/*.yaml
  int repeat = 3;          // runs of each timed rig (alternating rig and plain loop); best kept
  bool solar_day = true;   // the 24-hour solar day (the longest figure)
  bool scale = false;      // the factor against chargers and sample rate
};

// `amprig bench`: the sweep throughput (first: its runs are forked from this process, which never
// elaborates a rig itself; every rig below is built in a child process), then the reference rig,
// the plain loop beside it, the 24-hour solar day, the RTL ADC's factor and, with `scale`, the
// factor against the number of chargers and the sample rate. Every figure is printed with its
// target and written to the JSON file. Returns the exit code: 0 when every run worked (targets
// missed are figures, not failures), 1 otherwise.
int run_bench(const BenchOptions& options);

}  // namespace amprig
