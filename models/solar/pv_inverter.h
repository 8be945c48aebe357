#pragma once
// A grid-tied PV inverter: feeds power into the building on one phase or on
// three (split equally), following a power profile over time, optionally with
// reactive power. Its current flows out of the building when the loads take
// less than it produces: the meter then sees export.
//
// IT networks: only a three-phase inverter. It synchronises to each phase's
// star voltage, and its balanced currents sum to zero, as a three-wire supply
// needs. A one- or two-phase inverter would return its current through a
// neutral that IT does not have; the model cannot tell the network from its
// configuration, so the harness rejects that combination.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <systemc>
#include <vector>

#include "common/interfaces.h"

namespace amprig::models {

enum class SolarProfile { constant, ramp, clear_sky };

// A cloud passing: output drops by `depth` (0..1) of what it would be, over
// `edge_s` seconds, stays down for `duration_s`, and recovers over `edge_s`.
struct Cloud {
  double start_s = 0;
  double duration_s = 5;
  double depth = 0.7;
  double edge_s = 1;
};

struct SolarConfig {
  std::vector<Phase> phases{L1, L2, L3};
  SolarProfile profile = SolarProfile::constant;
  double power_w = 0;      // constant: the output; clear_sky: the noon peak (all phases)
  double ramp_from_w = 0;  // ramp: from this at ramp_start_s ...
  double ramp_start_s = 0;
  double ramp_duration_s = 60;  // ... to power_w after this long
  double sunrise_h = 6;  // clear_sky: output is power_w * sin(pi * (h - rise) / (set - rise))^1.2
  double sunset_h = 20;  //   between sunrise and sunset, 0 otherwise
  double start_time_of_day_h = 0;  // clear_sky: the time of day at simulated t = 0
  std::vector<Cloud> clouds;
  double reactive_var = 0;  // total; + the inverter absorbs reactive power (looks inductive)
};

class PvInverter : public sc_core::sc_module, public current_source_if {
 public:
  sc_core::sc_export<current_source_if> out;

  // Throws std::invalid_argument when `config` is out of range.
  PvInverter(const sc_core::sc_module_name& name, const SolarConfig& config);
  static std::string check(const SolarConfig& config);  // empty when valid

  SolarConfig& config() { return m_config; }
  const SolarConfig& config() const { return m_config; }
  // Active power the profile gives at simulated time t_s (all phases, >= 0).
  double power_at(double t_s) const;
  // Active power fed in during the last block (all phases; 0 on lost phases).
  double power_w() const { return m_power_w; }

  void add_current(const MainsBlock& mains, CurrentBlock& out) override;
  // Steady state at the present output: the current into the building (negative
  // when feeding in) at voltage angle theta.
  double current_at(Phase phase, double theta_rad, const mains_if& mains) const override;
  void add_truth_currents(Phase phase, const mains_if& mains, double* out) const override;
  // Before the first block the output depends on the time and on the mains' waveform: no key.
  bool truth_key(Phase phase, const mains_if& mains, std::vector<double>& key) const override;

 private:
  // What current_at's closed form needs for `phase`: the grid voltage the inverter measures, its
  // output and the phase's share of it as -sqrt(2) / phases; false when it draws nothing there.
  bool steady_output(Phase phase, const mains_if& mains, double& v, double& output_w,
                     double& gain) const;
  // The voltage sensing of one phase: v*sin(theta) and sin^2(theta) of the
  // latest samples, a ring holding at least one period.
  struct Sensing {
    std::vector<double> vs;
    std::vector<double> ss;
    std::size_t next = 0;    // where the next sample goes
    std::size_t count = 0;   // valid samples, up to the ring's size
    std::size_t period = 0;  // samples per period, from the block's phasor step (0: unknown)
  };

  // Updates m_voltage_v from the block's samples.
  void sense_voltages(const MainsBlock& mains);

  SolarConfig m_config;
  double m_power_w = 0;
  // The last block's state, which current_at() reports as the present output.
  bool m_have_block = false;
  double m_output_w = 0;                                  // the profile's power (all phases)
  std::array<double, kPhases> m_voltage_v{};              // per phase: the grid's fundamental, RMS
  std::array<bool, kPhases> m_feeding{true, true, true};  // for reporting changes only
  std::array<Sensing, kPhases> m_sensing;
  std::uint64_t m_next_index = 0;  // the sample after the last block
  double m_sensing_dt_s = 0;       // the sample period the rings are sized for
};

}  // namespace amprig::models
