#include "scenario/step_runner.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

namespace amprig {
namespace {

std::string format_time(SimTimeNs ns) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(3);
  s << static_cast<double>(ns) * 1e-9 << " s";
  return s.str();
}

sc_core::sc_time to_sc_time(SimTimeNs ns) {
  return sc_core::sc_time(static_cast<double>(ns), sc_core::SC_NS);
}

SimTimeNs now_ns() {
  return static_cast<SimTimeNs>(sc_core::sc_time_stamp().value() /
                                sc_core::sc_time(1, sc_core::SC_NS).value());
}

}  // namespace

StepRunner::StepRunner(const sc_core::sc_module_name& name, Rig& rig, ScenarioResult& result)
    : sc_core::sc_module(name), m_rig(rig), m_result(result) {
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
      const std::string key = "set." + a.signal;
      const Signal& s = lookup(a.signal, a.where, key);
      if (!s.settable()) {
        throw ScenarioError(a.where, key, a.signal + " is read-only (a measurement, not an input)");
      }
      try {
        parse_value(s, a.value);
      } catch (const std::invalid_argument& e) {
        throw ScenarioError(a.where, key, e.what());
      }
    }
    for (const Expectation& e : step.expects) {
      const std::string key = "expect." + e.signal;
      const Signal& s = lookup(e.signal, e.where, key);
      if (e.kind == Expectation::Kind::exact) {
        try {
          parse_value(s, e.exact);
        } catch (const std::invalid_argument& err) {
          throw ScenarioError(e.where, key, err.what());
        }
        continue;
      }
      if (e.kind == Expectation::Kind::contains) {
        if (s.type == SignalType::number || s.type == SignalType::boolean) {
          throw ScenarioError(e.where, key, "contains needs a text or choice signal");
        }
        continue;
      }
      if (s.type != SignalType::number) {
        throw ScenarioError(e.where, key,
                            "a tolerance or range needs a numeric signal; " + e.signal + " is " +
                                describe_type(s));
      }
      if (e.kind == Expectation::Kind::tolerance && !e.value) {
        const Signal& ref = lookup(e.value_signal, e.where, key + ".value");
        if (ref.type != SignalType::number) {
          throw ScenarioError(e.where, key + ".value", e.value_signal + " is not a numeric signal");
        }
      }
    }
  }
}

void StepRunner::apply_sets(const Step& step) {
  for (const auto& a : step.sets) {
    try {
      m_rig.signals().set_from_text(a.signal, a.value);
    } catch (const std::exception& e) {
      throw ScenarioError(a.where, "set." + a.signal, e.what());
    }
  }
}

bool StepRunner::holds(const Expectation& e, std::string& actual, std::string& expected) {
  const Signal* signal = m_rig.signals().find(e.signal);
  if (signal == nullptr) {
    try {
      m_rig.signals().at(e.signal);
    } catch (const std::out_of_range& err) {
      throw ScenarioError(e.where, "expect." + e.signal, err.what());
    }
  }
  const Value value = signal->get();
  actual = to_string(value);
  expected = e.describe();
  if (e.kind == Expectation::Kind::exact) {
    Value want;
    try {
      want = parse_value(*signal, e.exact);
    } catch (const std::invalid_argument& err) {
      throw ScenarioError(e.where, "expect." + e.signal, err.what());
    }
    return want == value;
  }
  if (e.kind == Expectation::Kind::contains) {
    return actual.find(e.exact) != std::string::npos;
  }
  if (signal->type != SignalType::number) {
    throw ScenarioError(e.where, "expect." + e.signal,
                        "a tolerance or range needs a numeric signal; " + e.signal + " is " +
                            describe_type(*signal));
  }
  const double x = std::get<double>(value);
  switch (e.kind) {
    case Expectation::Kind::tolerance: {
      double target = 0;
      if (e.value) {
        target = *e.value;
      } else {
        const Signal* ref = m_rig.signals().find(e.value_signal);
        if (ref == nullptr || ref->type != SignalType::number) {
          throw ScenarioError(e.where, "expect." + e.signal + ".value",
                              "'" + e.value_signal + "' is neither a number nor a numeric signal");
        }
        target = std::get<double>(ref->get());
      }
      const double bound = e.tolerance_pct > 0 ? std::abs(target) * e.tolerance_pct / 100
                                               : e.tolerance_abs;
      std::ostringstream s;
      s.precision(6);
      s << expected;
      if (!e.value) s << " (= " << target << ")";
      s << " [" << target - bound << ", " << target + bound << "]";
      expected = s.str();
      std::ostringstream a;
      a.precision(6);
      a << x;
      if (target != 0) a << " (" << std::showpos << (x - target) / std::abs(target) * 100 << " %)";
      actual = a.str();
      return std::abs(x - target) <= bound;
    }
    case Expectation::Kind::range:
      return (!e.min || x >= *e.min) && (!e.max || x <= *e.max);
    case Expectation::Kind::not_between:
      return !(x > e.low && x < e.high);
    case Expectation::Kind::exact:
    case Expectation::Kind::contains:
      break;
  }
  return false;
}

bool StepRunner::check(const Step& step, std::vector<Failure>& failures) {
  failures.clear();
  for (const auto& e : step.expects) {
    std::string actual, expected;
    if (holds(e, actual, expected)) continue;
    Failure f;
    f.where = e.where.str();
    f.signal = e.signal;
    f.expected = expected;
    f.actual = actual;
    f.time_s = static_cast<double>(now_ns()) / 1e9;
    std::string when = "at " + format_time(now_ns());
    if (step.kind == Step::Kind::within) {
      when = "nowhere in [" + format_time(step.start_ns) + ", " + format_time(step.end_ns) + "]";
    } else if (step.kind == Step::Kind::during) {
      when = "at " + format_time(now_ns()) + " during [" + format_time(step.start_ns) + ", " +
             format_time(step.end_ns) + "]";
    }
    f.message = f.where + ": " + e.signal + " " + when + ": expected " + expected + ", actual " + actual;
    failures.push_back(std::move(f));
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
      wait(sc_core::SC_ZERO_TIME);
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
    if (scenario.duration_ns > now) wait(to_sc_time(scenario.duration_ns - now));
    m_result.outcome =
        m_result.failed == 0 ? ScenarioResult::Outcome::passed : ScenarioResult::Outcome::failed;
  } catch (const ScenarioError& e) {
    m_result.outcome = ScenarioResult::Outcome::error;
    m_result.error = e.what();
  }
  m_result.sim_s = sc_core::sc_time_stamp().to_seconds();
  sc_core::sc_stop();
}

}  // namespace amprig
