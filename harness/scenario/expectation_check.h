#pragma once
// Checking one expectation against the signal registry, and the failure line it gives: shared
// by YAML steps and the Python API, so both say the same thing in the same words.
#include <optional>
#include <string>

#include "report/result.h"
#include "scenario/scenario.h"
#include "signals/signal_registry.h"

namespace amprig {

// "1.500 s"
std::string format_sim_time(SimTimeNs ns);

// What is wrong with `e` (naming `e.where` and the key expect.<signal>): an unknown signal, or an
// expectation that does not fit its type. Does not throw (see try_parse_value).
std::optional<ScenarioError> expectation_problem(const SignalRegistry& signals, const Expectation& e);
// The same, thrown.
void validate_expectation(const SignalRegistry& signals, const Expectation& e);

// Evaluates `e` now. `actual` and `expected` are filled for the failure message. `e` has been
// checked once beforehand (expectation_problem), not at every evaluation.
bool expectation_holds(const SignalRegistry& signals, const Expectation& e, std::string& actual,
                       std::string& expected);

// The failure of `e` in a step of `kind` over [start, end], seen at `now`:
// "file:line: signal at 1.500 s: expected 20 ±2 % [19.6, 20.4], actual 11.9987 (-40 %)".
Failure make_failure(const Expectation& e, Step::Kind kind, SimTimeNs start_ns, SimTimeNs end_ns,
                     SimTimeNs now_ns, const std::string& expected, const std::string& actual);

}  // namespace amprig
