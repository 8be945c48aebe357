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
  // no_checks: the scenario ran without error but evaluated no expectation, so it showed
  // nothing; it is not a pass (`amprig run --allow-no-checks` accepts it for a smoke run).
  enum class Outcome { passed, failed, error, no_checks };
  std::string id;
  std::string file;
  std::string description;
  Outcome outcome = Outcome::error;
  int expectations = 0;  // expectations evaluated (a within/during counts once)
  int failed = 0;
  std::vector<Failure> failures;
  std::string error;     // outcome error: what went wrong
  std::string output;    // the run's log output (captured in the child)
  std::string rerun;     // the command that runs this one again (a run with a chosen seed)
  double sim_s = 0;
  double wall_s = 0;
};

// "PASS", "FAIL", "ERROR", "NO CHECKS".
const char* to_string(ScenarioResult::Outcome outcome);
// A passed result that evaluated no expectation becomes no_checks, with why in its error.
void mark_no_checks(ScenarioResult& result);
// A line-oriented encoding for the pipe from a scenario's process to the runner.
std::string serialise(const ScenarioResult& result);
bool deserialise(const std::string& text, ScenarioResult* result);

}  // namespace amprig
