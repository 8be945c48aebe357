#include "scenario/expectation_check.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace amprig {

std::string format_sim_time(SimTimeNs ns) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(3);
  s << static_cast<double>(ns) * 1e-9 << " s";
  return s.str();
}

std::optional<ScenarioError> expectation_problem(const SignalRegistry& signals, const Expectation& e) {
  const std::string key = "expect." + e.signal;
  const Signal* s = signals.find(e.signal);
  if (s == nullptr) return ScenarioError(e.where, key, signals.unknown_name_message(e.signal));
  switch (e.kind) {
    case Expectation::Kind::exact: {
      Value value;
      std::string error;
      if (!try_parse_value(*s, e.exact, &value, &error)) return ScenarioError(e.where, key, error);
      return std::nullopt;
    }
    case Expectation::Kind::contains:
      if (s->type == SignalType::number || s->type == SignalType::boolean) {
        return ScenarioError(e.where, key, "contains needs a text or choice signal");
      }
      return std::nullopt;
    case Expectation::Kind::tolerance:
    case Expectation::Kind::range:
    case Expectation::Kind::not_between:
      break;
  }
  if (s->type != SignalType::number) {
    return ScenarioError(e.where, key,
                         "a tolerance or range needs a numeric signal; " + e.signal + " is " +
                             describe_type(*s));
  }
  if (e.kind == Expectation::Kind::tolerance && !e.value) {
    const Signal* ref = signals.find(e.value_signal);
    if (ref == nullptr) {
      return ScenarioError(e.where, key + ".value", signals.unknown_name_message(e.value_signal));
    }
    if (ref->type != SignalType::number) {
      return ScenarioError(e.where, key + ".value", e.value_signal + " is not a numeric signal");
    }
  }
  return std::nullopt;
}

void validate_expectation(const SignalRegistry& signals, const Expectation& e) {
  if (auto problem = expectation_problem(signals, e)) throw *problem;
}

bool expectation_holds(const SignalRegistry& signals, const Expectation& e, std::string& actual,
                       std::string& expected) {
  const Signal& signal = signals.at(e.signal);
  const Value value = signal.get();
  actual = to_string(value);
  expected = e.describe();
  switch (e.kind) {
    case Expectation::Kind::exact: {
      const bool holds = parse_value(signal, e.exact) == value;
      // All the digits of a number that is not exactly what was asked, so that it never reads
      // as equal ("expected 10, actual 10.000000000000002").
      if (!holds && signal.type == SignalType::number) {
        std::ostringstream a;
        a.precision(17);
        a << std::get<double>(value);
        actual = a.str();
      }
      return holds;
    }
    case Expectation::Kind::contains:
      return actual.find(e.exact) != std::string::npos;
    case Expectation::Kind::tolerance: {
      const double x = std::get<double>(value);
      const double target = e.value ? *e.value : std::get<double>(signals.get(e.value_signal));
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
    case Expectation::Kind::range: {
      const double x = std::get<double>(value);
      return (!e.min || x >= *e.min) && (!e.max || x <= *e.max);
    }
    case Expectation::Kind::not_between: {
      const double x = std::get<double>(value);
      return !(x > e.low && x < e.high);
    }
  }
  return false;
}

Failure make_failure(const Expectation& e, Step::Kind kind, SimTimeNs start_ns, SimTimeNs end_ns,
                     SimTimeNs now_ns, const std::string& expected, const std::string& actual) {
  Failure f;
  f.where = e.where.str();
  f.signal = e.signal;
  f.expected = expected;
  f.actual = actual;
  f.time_s = static_cast<double>(now_ns) / 1e9;
  std::string when = "at " + format_sim_time(now_ns);
  if (kind == Step::Kind::within) {
    when = "nowhere in [" + format_sim_time(start_ns) + ", " + format_sim_time(end_ns) + "]";
  } else if (kind == Step::Kind::during) {
    when = "at " + format_sim_time(now_ns) + " during [" + format_sim_time(start_ns) + ", " +
           format_sim_time(end_ns) + "]";
  }
  f.message = f.where + ": " + e.signal + " " + when + ": expected " + expected + ", actual " + actual;
  return f;
}

}  // namespace amprig
