#include "scenario/step_runner.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "scenario/expectation_check.h"
#include "rig/sim_order.h"

namespace amprig {
namespace {

// In whole kernel ticks: through a double, times near kMaxSimTimeNs round past the kernel's
// last tick and wrap.
sc_core::sc_time to_sc_time(SimTimeNs ns) {
  // The resolution is fixed once the first time is built, before any step runs.
  static const sc_core::sc_time::value_type ticks_per_ns = sc_core::sc_time(1, sc_core::SC_NS).value();
  return sc_core::sc_time::from_value(static_cast<sc_core::sc_time::value_type>(ns) * ticks_per_ns);
}

SimTimeNs now_ns() {
  return static_cast<SimTimeNs>(sc_core::sc_time_stamp().value() /
                                sc_core::sc_time(1, sc_core::SC_NS).value());
}

}  // namespace

StepRunner::StepRunner(const sc_core::sc_module_name& name, Rig& rig, ScenarioResult& result,
                       bool stop_at_end)
    : sc_core::sc_module(name), m_rig(rig), m_result(result), m_stop_at_end(stop_at_end) {
  validate();
  SC_HAS_PROCESS(StepRunner);
  SC_THREAD(run);
}

void StepRunner::validate() const {
  const SignalRegistry& signals = m_rig.signals();
  auto lookup = [&](const std::string& name, const SourceRef& where,
                    const std::string& key) -> const Signal& {
    try {
      return signals.at(name);
    } catch (const std::out_of_range& e) {
      throw ScenarioError(where, key, e.what());
    }
  };
  for (const Step& step : m_rig.scenario().steps) {
    for (const Assignment& a : step.sets) {
      const std::string key = a.key.empty() ? "set." + a.signal : a.key;
      const Signal& s = lookup(a.signal, a.where, key);
      if (!s.settable()) {
        throw ScenarioError(a.where, key, a.signal + " is read-only (a measurement, not an input)");
      }
      // A restore sets back what the signal held, which it accepts by construction.
      if (!a.restore_from.empty()) continue;
      try {
        parse_value(s, a.value);
      } catch (const std::invalid_argument& e) {
        throw ScenarioError(a.where, key, e.what());
      }
    }
    for (const Expectation& e : step.expects) validate_expectation(signals, e);
  }
}

void StepRunner::apply_sets(const Step& step) {
  SignalRegistry& signals = m_rig.signals();
  for (const auto& a : step.sets) {
    try {
      if (!a.restore_from.empty()) {
        const auto saved = m_saved.find(a.restore_from);
        if (saved != m_saved.end()) signals.set(a.signal, saved->second);
        continue;
      }
      if (!a.save_as.empty()) m_saved[a.save_as] = signals.get(a.signal);
      signals.set_from_text(a.signal, a.value);
    } catch (const std::exception& e) {
      throw ScenarioError(a.where, a.key.empty() ? "set." + a.signal : a.key, e.what());
    }
  }
}

bool StepRunner::check(const Step& step, std::vector<Failure>& failures) {
  failures.clear();
  for (const auto& e : step.expects) {
    std::string actual, expected;
    if (expectation_holds(m_rig.signals(), e, actual, expected)) continue;
    failures.push_back(make_failure(e, step.kind, step.start_ns, step.end_ns, now_ns(), expected, actual));
  }
  return failures.empty();
}

void StepRunner::record(const std::vector<Failure>& failures) {
  m_result.failed += static_cast<int>(failures.size());
  m_result.failures.insert(m_result.failures.end(), failures.begin(), failures.end());
}

void StepRunner::run() {
  const Scenario& scenario = m_rig.scenario();
  std::vector<StepState> states;
  for (const auto& step : scenario.steps) states.push_back(StepState{&step, step.start_ns});
  const SimTimeNs period = scenario.check_period_ns;
  std::vector<Failure> failures;
  try {
    for (;;) {
      SimTimeNs next = std::numeric_limits<SimTimeNs>::max();
      for (const auto& s : states) {
        if (!s.done) next = std::min(next, s.next_ns);
      }
      if (next == std::numeric_limits<SimTimeNs>::max()) break;
      const SimTimeNs now = now_ns();
      if (next > now) wait(to_sc_time(next - now));
      // Let the models and the firmware finish this instant before looking at it.
      settle_for_observers();
      // Steps due at the same instant act in file order: a step's sets, then its checks.
      for (auto& s : states) {
        if (s.done || s.next_ns != next) continue;
        const Step& step = *s.step;
        if (step.kind == Step::Kind::at) apply_sets(step);
        const bool ok = check(step, failures);
        switch (step.kind) {
          case Step::Kind::at:
            m_result.expectations += static_cast<int>(step.expects.size());
            record(failures);
            s.done = true;
            break;
          case Step::Kind::within:
            if (ok || next >= step.end_ns) {
              m_result.expectations += static_cast<int>(step.expects.size());
              record(failures);
              s.done = true;
            }
            break;
          case Step::Kind::during:
            // Report the first instant that breaks the window; later ones add nothing.
            if (!ok && !s.failed) {
              s.failed = true;
              record(failures);
            }
            if (next >= step.end_ns) {
              m_result.expectations += static_cast<int>(step.expects.size());
              s.done = true;
            }
            break;
        }
        if (!s.done) s.next_ns = std::min(step.end_ns, next + period);
      }
    }
    const SimTimeNs now = now_ns();
    if (m_stop_at_end && scenario.duration_ns > now) wait(to_sc_time(scenario.duration_ns - now));
    m_result.outcome =
        m_result.failed == 0 ? ScenarioResult::Outcome::passed : ScenarioResult::Outcome::failed;
  } catch (const ScenarioError& e) {
    m_result.outcome = ScenarioResult::Outcome::error;
    m_result.error = e.what();
  }
  m_result.sim_s = sc_core::sc_time_stamp().to_seconds();
  if (m_stop_at_end) sc_core::sc_stop();
}

}  // namespace amprig
