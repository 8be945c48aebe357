#pragma once
// A split-core current transformer with its burden resistor. The core is a
// magnetising inductance in parallel with the ideal transformer: it gives the
// phase lead and the small ratio droop of a real CT, and, past its saturation
// flux, the distorted secondary current of an overdriven one.
#include <cstdint>
#include <string>
#include <systemc>

#include "common/interfaces.h"

namespace amprig::models {

struct CtConfig {
  double ratio = 2100;  // primary A per secondary A (turns)
  double burden_ohm = 27;
  double ratio_error_pct = 0;           // + reads high
  double phase_displacement_deg = 0.8;  // secondary leads primary by this at nominal_frequency_hz
  double nominal_frequency_hz = 50;
  double saturation_current_a = 75.6;  // primary RMS (sine, nominal f) at which the core saturates
  Phase phase = L1;                    // the conductor it is clamped on
  bool reversed = false;               // arrow against the current, or S1/S2 swapped
  bool connected = true;               // false: open secondary, reads 0
};

class CurrentTransformer : public sc_core::sc_module, public analog_channel_if {
 public:
  sc_core::sc_port<plant_if> primary;
  sc_core::sc_export<analog_channel_if> out;

  // Throws std::invalid_argument when `config` is out of range.
  CurrentTransformer(const sc_core::sc_module_name& name, const CtConfig& config);

  // What is wrong with `config`, or "" when it is valid: the checks the
  // constructor applies, without exceptions, for callers that validate
  // settings before they reach a model.
  static std::string check(const CtConfig& config);

  CtConfig& config() { return m_config; }
  const CtConfig& config() const { return m_config; }

  // Burden voltage for each sample of the block.
  void sample(const BlockTime& time, double* pin_v) override;
  // True when the core flux passed its saturation knee in the last block.
  bool saturated() const { return m_saturated; }

 private:
  void reset();
  // Sets the flux to the linear steady state of the block's fundamental.
  void warm_start(const BlockTime& time, const double* primary_a, double turns,
                  double magnetising_h);

  CtConfig m_config;
  double m_flux_vs = 0;           // core flux linkage at the last sample, V*s
  double m_prev_secondary_a = 0;  // burden current at the last sample
  bool m_saturated = false;
  bool m_have_state = false;  // false: the next block starts the core afresh
  Phase m_state_phase = L1;   // the conductor the state belongs to
  std::uint64_t m_next_index = 0;
  double m_dt_s = 0;
};

}  // namespace amprig::models
