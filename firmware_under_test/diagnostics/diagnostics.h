#pragma once
// The device's judgement of its own installation, from its measurements: is
// each voltage there, is the voltage sequence right, which grid phase does
// each CT really measure and in which direction. Verdicts change only after
// they have held for a settle time, so an LED never flickers when a load cycles.
#include <cstdint>

#include "metering/metering.h"
#include "settings/installation.h"

namespace amprig::fw {

enum class VoltageReason : std::uint8_t { ok, wrong_sequence, not_connected };
enum class CurrentReason : std::uint8_t { ok, wrong_sequence, low_current, not_connected };

const char* to_string(VoltageReason reason);  // "ok", "wrong_sequence", "not_connected"
const char* to_string(CurrentReason reason);  // "ok", "wrong_sequence", "low_current", "not_connected"

struct CtFinding {
  std::int8_t phase = -1;  // grid phase whose voltage this current input follows (-1: unknown)
  bool reversed = false;   // follows it in the opposite direction
  bool low_current = false;  // below the angle-trust threshold: no verdict possible
};

struct Diagnosis {
  VoltageReason voltage = VoltageReason::not_connected;
  CurrentReason current = CurrentReason::not_connected;
  bool voltage_present[kPhases] = {false, false, false};
  CtFinding ct[kPhases];  // per phase of the metering output (after the current scheme)
};

struct DiagnosticsConfig {
  NetworkType network = NetworkType::tn;
  float voltage_present_v = 50.0f;  // a phase below this is not connected
  float angle_trust_current_a = 2.0f;  // below this a current's angle is not trusted
  float hysteresis = 0.1f;          // relative, on both thresholds
  std::uint32_t settle_us = 1'000'000;  // a new verdict must hold this long
};

class Diagnostics {
 public:
  void configure(const DiagnosticsConfig& config);
  void reset();  // forget everything: as after power-on
  // Called once per new measurement window.
  void update(const Measurements& m, bool cartridge_present, std::uint64_t now_us);
  const Diagnosis& diagnosis() const { return m_settled; }

 private:
  DiagnosticsConfig m_config{};
  Diagnosis m_settled{};
  Diagnosis m_candidate{};
  std::uint64_t m_candidate_since_us = 0;
  bool m_have_candidate = false;
};

}  // namespace amprig::fw
