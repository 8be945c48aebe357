#pragma once
#include <string>

namespace amprig {

// `amprig bench`: the sweep throughput of `sweep_file` on `jobs` processes (none when empty),
// then the real-time factor of the reference rig. Returns the exit code.
int run_bench(double duration_s, const std::string& json_path, const std::string& sweep_file,
              int jobs);

}  // namespace amprig
