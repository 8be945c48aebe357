#pragma once
// One measurement in a process of its own: SystemC elaborates one design per process, so every
// rig the benchmark (or its test) builds is built in a child, which sends back what it found.
#include <functional>
#include <string>
#include <vector>

namespace amprig {

struct ChildOutcome {
  bool ok = false;
  std::vector<double> values;      // run_in_child: what the work returned, bit for bit
  std::vector<std::string> lines;  // run_lines_in_child: what the work returned
  std::string error;               // when not ok: the exception's message, or how the child died
};

// Runs `work` in a forked child and returns what it returned. The child never returns into the
// caller's code: it exits once the result is written.
ChildOutcome run_in_child(const std::function<std::vector<double>()>& work);
// The same for lines of text (none may contain a newline).
ChildOutcome run_lines_in_child(const std::function<std::vector<std::string>()>& work);
// The CPU time this process has used, in seconds (what a timed run costs without the machine's
// other load).
double process_cpu_seconds();

}  // namespace amprig
