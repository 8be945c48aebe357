#include "session/session.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <stdexcept>
#include <systemc>

#include "report/vcd_tracer.h"
#include "rig/sim_order.h"
#include "rig/rig.h"
#include "scenario/expectation_check.h"
#include "scenario/step_runner.h"

namespace amprig {
namespace {

SimTimeNs now_ns() {
  return static_cast<SimTimeNs>(sc_core::sc_time_stamp().value() /
                                sc_core::sc_time(1, sc_core::SC_NS).value());
}

SimTimeNs to_ns(double seconds, const char* what) {
  if (auto problem = duration_problem(seconds, what)) throw std::invalid_argument(*problem);
  return static_cast<SimTimeNs>(std::llround(seconds * 1e9));
}

std::string number_text(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.10g", v);
  return buffer;
}

struct Trace {
  std::vector<const Signal*> signals;
  SimTimeNs period_ns = 0;
  SimTimeNs next_ns = 0;
  bool active = true;
  TraceData data;
  std::unique_ptr<VcdWriter> vcd;

  void sample(SimTimeNs now) {
    data.time_s.push_back(static_cast<double>(now) * 1e-9);
    for (std::size_t i = 0; i < signals.size(); ++i) {
      const Value v = signals[i]->get();
      if (const auto* d = std::get_if<double>(&v)) {
        data.numbers[i].push_back(*d);
      } else if (const auto* b = std::get_if<bool>(&v)) {
        data.numbers[i].push_back(*b ? 1.0 : 0.0);
      } else {
        data.texts[i].push_back(std::get<std::string>(v));
      }
    }
    if (vcd) {
      vcd->sample(static_cast<double>(now) * 1e-9, data.time_s.size() == 1);
      vcd->flush();
    }
  }
};

// An expectation being watched while time runs.
struct Watch {
  const Expectation* expectation = nullptr;
  Step::Kind kind = Step::Kind::at;
  SimTimeNs start_ns = 0, end_ns = 0, next_ns = 0;
  SimTimeNs period_ns = 0;
  bool done = false;
  CheckOutcome outcome;
};

// The SystemC side: one thread that runs time to the target, samples traces and watches an
// expectation on the way, then pauses the simulation until the next run.
class Driver : public sc_core::sc_module {
 public:
  Driver(const sc_core::sc_module_name& name, SignalRegistry& signals)
      : sc_core::sc_module(name), m_signals(signals) {
    SC_HAS_PROCESS(Driver);
    SC_THREAD(run);
  }

  SimTimeNs target_ns = 0;
  std::map<int, std::unique_ptr<Trace>> traces;
  Watch* watch = nullptr;
  sc_core::sc_event resume;

 private:
  void run() {
    for (;;) {
      for (;;) {
        SimTimeNs next = target_ns;
        for (const auto& [id, t] : traces) {
          if (t->active) next = std::min(next, t->next_ns);
        }
        if (watch && !watch->done) next = std::min(next, watch->next_ns);
        const SimTimeNs now = now_ns();
        if (next > now) wait(sc_core::sc_time(static_cast<double>(next - now), sc_core::SC_NS));
        // Let the models and the firmware finish this instant before looking at it.
        settle_for_observers();
        const SimTimeNs at = now_ns();
        for (auto& [id, t] : traces) {
          if (t->active && t->next_ns <= at) {
            t->sample(at);
            t->next_ns = at + t->period_ns;
          }
        }
        if (watch && !watch->done && watch->next_ns <= at) step_watch(at);
        if (at >= target_ns) break;
      }
      sc_core::sc_pause();
      wait(resume);
    }
  }

  void step_watch(SimTimeNs at) {
    Watch& w = *watch;
    std::string actual, expected;
    const bool holds = expectation_holds(m_signals, *w.expectation, actual, expected);
    const bool last = at >= w.end_ns;
    if ((w.kind == Step::Kind::within && (holds || last)) || (w.kind == Step::Kind::during && (!holds || last))) {
      w.done = true;
      w.outcome.held = holds;
      if (!holds) {
        w.outcome.failure = make_failure(*w.expectation, w.kind, w.start_ns, w.end_ns, at, expected, actual);
      }
      target_ns = at;  // stop here: the caller looks at the outcome
      return;
    }
    w.next_ns = std::min(w.end_ns, at + w.period_ns);
  }

  SignalRegistry& m_signals;
};

}  // namespace

std::optional<std::string> duration_problem(double seconds, const std::string& what) {
  if (std::isfinite(seconds) && seconds >= 0 &&
      seconds * 1e9 <= static_cast<double>(kMaxSimTimeNs)) {
    return std::nullopt;
  }
  return what + " must be a non-negative number of seconds, at most " + max_sim_time_text() +
         ", not " + number_text(seconds);
}

std::optional<std::string> end_problem(double now_s, double seconds, const std::string& what) {
  const SimTimeNs now_ns = std::llround(now_s * 1e9);
  if (std::llround(seconds * 1e9) <= kMaxSimTimeNs - now_ns) return std::nullopt;
  return what + " of " + number_text(seconds) + " s from " + number_text(now_s) +
         " s would end beyond the simulator's latest time, " + max_sim_time_text();
}

struct Session::Impl {
  explicit Impl(const Scenario& scenario)
      : rig("rig", scenario), driver("driver", rig.signals()) {
    if (!scenario.steps.empty()) {
      steps = std::make_unique<StepRunner>("steps", rig, steps_result, /*stop_at_end=*/false);
    }
  }
  Rig rig;
  Driver driver;
  ScenarioResult steps_result;
  std::unique_ptr<StepRunner> steps;
  std::size_t failures_reported = 0;
  int next_trace = 1;
  bool started = false;

  void advance_to(SimTimeNs target) {
    driver.target_ns = target;
    if (started) driver.resume.notify(sc_core::SC_ZERO_TIME);
    started = true;
    sc_core::sc_start();
  }
};

Session::Session(const Scenario& scenario) : m(std::make_unique<Impl>(scenario)) {
  // Time zero, settled: the state a YAML step `at: 0s` sees.
  m->advance_to(0);
}

Session::~Session() = default;

std::vector<Failure> Session::run(double seconds, std::string* step_error) {
  const SimTimeNs span_ns = to_ns(seconds, "run()'s seconds");
  if (auto problem = end_problem(time_s(), seconds, "a run")) throw std::invalid_argument(*problem);
  m->advance_to(now_ns() + span_ns);
  if (m->steps_result.outcome == ScenarioResult::Outcome::error && !m->steps_result.error.empty()) {
    *step_error = m->steps_result.error;
    m->steps_result.error.clear();
  }
  const auto& all = m->steps_result.failures;
  std::vector<Failure> fresh(all.begin() + static_cast<std::ptrdiff_t>(m->failures_reported), all.end());
  m->failures_reported = all.size();
  return fresh;
}

double Session::time_s() const { return sc_core::sc_time_stamp().to_seconds(); }

SignalRegistry& Session::signals() { return m->rig.signals(); }

int Session::start_trace(const std::vector<std::string>& names, double period_s,
                         const std::string& vcd_path, std::string* error, bool* unknown) {
  *unknown = false;
  if (names.empty()) {
    *error = "name at least one signal to trace";
    return 0;
  }
  auto trace = std::make_unique<Trace>();
  for (const auto& name : names) {
    const Signal* s = m->rig.signals().find(name);
    if (s == nullptr) {
      *unknown = true;
      *error = m->rig.signals().unknown_name_message(name);
      return 0;
    }
    if (s->type == SignalType::text) {
      *error = name + " is text and cannot be traced";
      return 0;
    }
    trace->signals.push_back(s);  // in the order given
  }
  if (auto problem = duration_problem(period_s, "the trace period")) {
    *error = *problem;
    return 0;
  }
  if (period_s < 1e-6) {
    *error = "the trace period must be at least 1 us";
    return 0;
  }
  trace->period_ns = static_cast<SimTimeNs>(std::llround(period_s * 1e9));
  for (const Signal* s : trace->signals) {
    trace->data.names.push_back(s->name);
    trace->data.types.push_back(s->type);
  }
  trace->data.numbers.resize(names.size());
  trace->data.texts.resize(names.size());
  if (!vcd_path.empty()) {
    trace->vcd = std::make_unique<VcdWriter>(vcd_path, trace->signals);
    if (!trace->vcd->ok()) {
      *error = "cannot write " + vcd_path;
      return 0;
    }
  }
  // The first sample is now, as things stand.
  trace->sample(now_ns());
  trace->next_ns = now_ns() + trace->period_ns;
  const int id = m->next_trace++;
  m->driver.traces[id] = std::move(trace);
  return id;
}

bool Session::stop_trace(int id) {
  auto it = m->driver.traces.find(id);
  if (it == m->driver.traces.end()) return false;
  it->second->active = false;
  if (it->second->vcd) it->second->vcd->flush();
  return true;
}

const TraceData* Session::trace(int id) const {
  auto it = m->driver.traces.find(id);
  return it == m->driver.traces.end() ? nullptr : &it->second->data;
}

CheckOutcome Session::check(const Expectation& e, Step::Kind kind, double window_s) {
  const SimTimeNs now = now_ns();
  const SimTimeNs window = to_ns(window_s, "the window");
  CheckOutcome outcome;
  std::string actual, expected;
  if (kind == Step::Kind::at || window == 0) {
    outcome.held = expectation_holds(m->rig.signals(), e, actual, expected);
    if (!outcome.held) outcome.failure = make_failure(e, Step::Kind::at, now, now, now, expected, actual);
    return outcome;
  }
  Watch watch;
  watch.expectation = &e;
  watch.kind = kind;
  watch.start_ns = now;
  watch.end_ns = now + window;
  watch.period_ns = m->rig.scenario().check_period_ns;
  // The window's first check is now, as things stand.
  const bool holds_now = expectation_holds(m->rig.signals(), e, actual, expected);
  if (kind == Step::Kind::within && holds_now) {
    outcome.held = true;
    return outcome;
  }
  if (kind == Step::Kind::during && !holds_now) {
    outcome.failure = make_failure(e, kind, now, now + window, now, expected, actual);
    return outcome;
  }
  watch.next_ns = std::min(watch.end_ns, now + watch.period_ns);
  m->driver.watch = &watch;
  try {
    m->advance_to(watch.end_ns);
  } catch (...) {
    m->driver.watch = nullptr;
    throw;
  }
  m->driver.watch = nullptr;
  return watch.outcome;
}

}  // namespace amprig
