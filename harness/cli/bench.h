#pragma once
#include <string>

namespace amprig {

// `amprig bench`: real-time factor of the reference rig. Returns the exit code.
int run_bench(double duration_s, const std::string& json_path);

}  // namespace amprig
