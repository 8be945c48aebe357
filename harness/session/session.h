#pragma once
// An interactive rig: built from a scenario, advanced by run(), read and set between runs, as
// Python drives it. The scenario's own steps (if any) play as time passes. SystemC elaborates
// once per process, so there is at most one Session per process (see rig_process.h).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "report/result.h"
#include "scenario/scenario.h"
#include "signals/signal_registry.h"

namespace amprig {

// Samples of chosen signals at a fixed period: numbers and booleans (0/1) as numbers, choices
// and text as text.
struct TraceData {
  std::vector<std::string> names;
  std::vector<SignalType> types;
  std::vector<double> time_s;
  std::vector<std::vector<double>> numbers;     // per signal; empty for choice and text
  std::vector<std::vector<std::string>> texts;  // per signal; empty for number and bool
};

// Why `seconds` is not a duration the rig can run (NaN, infinite, negative, beyond the kernel's
// range), worded with `what` ("run()'s seconds"); nothing if it is one.
std::optional<std::string> duration_problem(double seconds, const std::string& what);
// Why a span of `seconds` from `now_s` would end beyond the kernel's range; nothing if it fits.
// `seconds` has no duration_problem.
std::optional<std::string> end_problem(double now_s, double seconds, const std::string& what);

// What a checked expectation found.
struct CheckOutcome {
  bool held = false;
  Failure failure;  // when it did not hold
};

class Session {
 public:
  explicit Session(const Scenario& scenario);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Advances simulated time by `seconds`. Returns the failures of the scenario's own steps that
  // fell in this run; `step_error` says if one of its steps could not be applied.
  std::vector<Failure> run(double seconds, std::string* step_error);
  double time_s() const;
  SignalRegistry& signals();

  // Starts sampling `names` every `period_s` from now (and writes them to `vcd_path` if not
  // empty); returns its id, or 0 with `error` set (`unknown` when a name is not a signal).
  // Nothing here throws once time has run: see try_parse_value.
  int start_trace(const std::vector<std::string>& names, double period_s,
                  const std::string& vcd_path, std::string* error, bool* unknown);
  bool stop_trace(int id);                // false: no such trace
  const TraceData* trace(int id) const;   // nullptr: no such trace

  // Checks `e` now (`window_s` 0), or runs on: `within` until it first holds (at most
  // `window_s`), `during` checking it at every check period for `window_s` and stopping at the
  // first instant it fails. `e` must fit its signal (expectation_problem).
  CheckOutcome check(const Expectation& e, Step::Kind kind, double window_s);

 private:
  struct Impl;
  std::unique_ptr<Impl> m;
};

}  // namespace amprig
