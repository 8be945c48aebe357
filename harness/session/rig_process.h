#pragma once
// A Session in a child process of its own, behind the same calls. SystemC can elaborate only
// once per process and never tear down, so every rig a Python process builds (one after another
// or side by side) lives in a fork made for it; this process never elaborates. Requests and
// replies cross a socket pair; the scenario itself crosses by the fork.
//
// The calls may come from several threads: one request at a time crosses the socket (a mutex
// held from the request to its reply), so replies never cross. Only the process that built a
// RigProcess may use it: a forked child of that process inherits the object and the socket, and
// a request from it would interleave with its parent's, so there every call throws.
#include <cstdint>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "report/result.h"
#include "scenario/scenario.h"
#include "session/session.h"
#include "signals/signal_registry.h"

namespace amprig {

// The rig's process is gone (a crash, or killed): what it died of.
class RigProcessError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A signal handler of the owner asked a wait for the rig to stop; the rig is closed.
class RigInterrupted : public RigProcessError {
 public:
  using RigProcessError::RigProcessError;
};

// A failed step of the scenario file, or a failed check, as reported across the pipe.
class ExpectationFailed : public std::runtime_error {
 public:
  explicit ExpectationFailed(std::vector<Failure> failures);
  const std::vector<Failure>& failures() const { return m_failures; }

 private:
  std::vector<Failure> m_failures;
};

struct SignalInfo {
  std::string name;
  std::string type;  // describe_type(): "number [A]", "bool", "green|red|off", ...
  SignalType kind = SignalType::number;
  std::string unit;
  std::vector<std::string> choices;
  bool settable = false;
  bool fault = false;
  std::string description;
};

class RigProcess {
 public:
  // Forks the rig's process and builds the rig there. Throws ScenarioError, or
  // std::runtime_error, if the rig cannot be built.
  explicit RigProcess(const Scenario& scenario);
  ~RigProcess();  // ends the rig's process
  RigProcess(const RigProcess&) = delete;
  RigProcess& operator=(const RigProcess&) = delete;

  // Throws ExpectationFailed if steps of the scenario file failed in this run.
  void run(double seconds);
  double time_s();
  // Unknown name: std::out_of_range listing close matches.
  Value get(const std::string& name);
  // Unknown name: std::out_of_range; read-only or a bad value: std::invalid_argument.
  void set(const std::string& name, const Value& value);
  std::vector<SignalInfo> signals();
  int start_trace(const std::vector<std::string>& names, double period_s, const std::string& vcd_path);
  void stop_trace(int id);
  TraceData trace(int id);
  CheckOutcome check(const Expectation& e, Step::Kind kind, double window_s);
  // Ends the rig's process now (the destructor does it otherwise). Idempotent. In a forked child
  // of the owner it only closes the child's copy of the socket; the rig runs on for the owner.
  void close();
  bool closed() const { return m_fd < 0; }
  // Throws RigProcessError unless this is the process that built the rig.
  void check_owner() const;
  // While set (on this thread), a signal that interrupts a wait for the rig's reply calls
  // `check`; if it returns true, the rig is killed and closed and the call throws RigInterrupted.
  static void set_interrupt_check(const std::function<bool()>* check);
  int pid() const { return m_pid; }

 private:
  std::string call(const std::string& request);
  [[noreturn]] void died();

  std::mutex m_mutex;  // held from a request to its reply, and while closing
  int m_fd = -1;
  int m_pid = -1;
  int m_owner = -1;    // the process that built the rig
};

}  // namespace amprig
