#pragma once
// The voltage terminal: a resistive divider from a phase to the ADC pin,
// referenced to the neutral (TN) or to the star point of the wired lines (IT).
#include <array>
#include <systemc>

#include "common/interfaces.h"

namespace amprig::models {

struct DividerConfig {
  double top_ohm = 1.0e6;
  double bottom_ohm = 2.4e3;
  Phase phase = L1;       // the phase wired to this terminal
  bool connected = true;  // false: nothing wired, the pin sits at the bias
  // IT: no neutral at the terminal; each pin is referenced to the star point
  // of the wired dividers (equal resistors), i.e. to the mean of the wired
  // lines' voltages. Needs link_terminal().
  bool star_reference = false;
};

class VoltageDivider : public sc_core::sc_module, public analog_channel_if {
 public:
  sc_core::sc_port<plant_if> line;
  sc_core::sc_export<analog_channel_if> out;

  VoltageDivider(const sc_core::sc_module_name& name, const DividerConfig& config);

  // The terminal's three dividers (this one among them), for star_reference:
  // the rig calls it on each divider once all three exist. Their `connected`
  // is read at every block, so wiring may change at run time.
  void link_terminal(const std::array<VoltageDivider*, 3>& terminal) { m_terminal = terminal; }

  DividerConfig& config() { return m_config; }
  const DividerConfig& config() const { return m_config; }
  double ratio() const { return m_config.bottom_ohm / (m_config.top_ohm + m_config.bottom_ohm); }
  void sample(const BlockTime& time, double* pin_v) override;

 private:
  DividerConfig m_config;
  std::array<VoltageDivider*, 3> m_terminal{};
};

}  // namespace amprig::models
