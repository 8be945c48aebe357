#pragma once
// Plays a scenario's steps against a rig in simulated time: applies the sets,
// checks the expectations, and records every failure with its file and line.
#include <map>
#include <string>
#include <systemc>

#include "report/result.h"
#include "rig/rig.h"

namespace amprig {

class StepRunner : public sc_core::sc_module {
 public:
  // `stop_at_end`: end the simulation after the last step and the scenario's duration (a YAML
  // run); otherwise the steps just run out and time goes on (a Python session).
  StepRunner(const sc_core::sc_module_name& name, Rig& rig, ScenarioResult& result,
             bool stop_at_end = true);

 private:
  struct StepState {
    const Step* step;
    SimTimeNs next_ns;
    bool done = false;
    bool failed = false;
  };

  // Checks every name, value and comparison the steps use, so that a malformed
  // step is reported before simulation starts. Throws ScenarioError.
  void validate() const;
  void run();  // SC_THREAD
  void apply_sets(const Step& step);
  // Evaluates every expectation of `step`; fills `failures` with those that do not hold now.
  bool check(const Step& step, std::vector<Failure>& failures);
  void record(const std::vector<Failure>& failures);

  Rig& m_rig;
  ScenarioResult& m_result;
  // The values faults' sets replaced, for their restores (Assignment::save_as).
  std::map<std::string, Value> m_saved;
  bool m_stop_at_end;
};

}  // namespace amprig
