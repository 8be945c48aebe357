#pragma once
// What one scenario run produced, in a form that crosses a process boundary.
#include <string>
#include <vector>

namespace amprig {

struct Failure {
  std::string where;     // file:line of the expectation
  std::string signal;
  std::string expected;
  std::string actual;
  double time_s = 0;
  std::string message;   // the whole line, as printed
};

struct ScenarioResult {
  enum class Outcome { passed, failed, error };
  std::string id;
  std::string file;
  std::string description;
  Outcome outcome = Outcome::error;
  int expectations = 0;  // expectations evaluated (a within/during counts once)
  int failed = 0;
  std::vector<Failure> failures;
  std::string error;     // outcome error: what went wrong
  std::string output;    // the run's log output (captured in the child)
  double sim_s = 0;
  double wall_s = 0;
};

const char* to_string(ScenarioResult::Outcome outcome);
// A line-oriented encoding for the pipe from a scenario's process to the runner.
std::string serialise(const ScenarioResult& result);
bool deserialise(const std::string& text, ScenarioResult* result);

}  // namespace amprig
