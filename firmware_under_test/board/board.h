#pragma once
// The nominal hardware design of each variant: what the firmware is built to
// expect. The rig's plant models start from these values and add the part
// tolerances a real unit has (ratio error, offsets, noise), so the firmware is
// exercised against hardware that is close to, but never exactly, its design.
#include <cstdint>

namespace amprig::fw {

enum class Variant : std::uint8_t { ag63, home100, public400 };

struct BoardDesign {
  Variant variant;
  const char* id;
  // Current path: primary amps per secondary amp, and the burden resistor.
  double ct_ratio;
  double burden_ohm;
  double rated_current_a;       // top of the specified range
  double ct_saturation_current_a;  // primary RMS at which the core starts to saturate
  double ct_phase_lead_deg;     // nominal CT phase displacement at nominal_frequency_hz
  // Voltage path: the voltage terminal's resistive divider.
  double divider_top_ohm;
  double divider_bottom_ohm;
  double min_voltage_v;  // specified range
  double max_voltage_v;
  // ADC: unipolar, inputs biased to mid-reference.
  std::uint8_t adc_bits;
  double adc_reference_v;
  double nominal_frequency_hz;
  bool supports_60hz;
};

// Returns the design of `variant`; never null.
const BoardDesign& board_design(Variant variant);
// Parses "ag63", "home100", "public400"; false if unknown.
bool parse_variant(const char* id, Variant* out);

}  // namespace amprig::fw
