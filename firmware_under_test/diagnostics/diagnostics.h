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

// The enumerator's name: "ok", "wrong_sequence", "low_current", "not_connected".
const char* to_string(VoltageReason reason);
const char* to_string(CurrentReason reason);

struct CtFinding {
  std::int8_t phase = -1;  // grid phase whose voltage this current input follows (-1: unknown)
  // Follows it in the opposite direction: a reversed CT. Never reported with generation
  // installed, where that is indistinguishable from export.
  bool reversed = false;
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
  float voltage_present_v = 50.0f;      // a phase below this is not connected
  float angle_trust_current_a = 2.0f;   // below this a current's angle is not trusted
  float hysteresis = 0.1f;              // relative, on both thresholds
  std::uint32_t settle_us = 1'000'000;  // a new verdict must hold this long
  // Generation (PV, wind) is installed: a phase may export. Installation knowledge the
  // measurements cannot give (see diagnostics.cpp).
  bool generation = false;
};

class Diagnostics {
 public:
  void configure(const DiagnosticsConfig& config);
  void reset();  // forget everything: as after power-on
  // Called once per new measurement window.
  void update(const Measurements& m, bool cartridge_present, std::uint64_t now_us);
  const Diagnosis& diagnosis() const { return m_settled; }

 private:
  // A field's new value and since when it has held without a break.
  struct Pending {
    bool active = false;
    std::uint64_t since_us = 0;
  };

  Diagnosis judge(const Measurements& m, bool cartridge_present);
  void judge_cts(const Measurements& m, const bool present[kPhases], Diagnosis* d) const;
  void settle(const Diagnosis& raw, std::uint64_t now_us);

  DiagnosticsConfig m_config{};
  Diagnosis m_settled{};
  // Each field settles on its own, so that one flickering field cannot hold back another.
  Diagnosis m_candidate{};
  Pending m_voltage_pending{};
  Pending m_current_pending{};
  Pending m_present_pending[kPhases]{};
  Pending m_ct_pending[kPhases]{};
  // Threshold states before settling, the memory of the hysteresis.
  bool m_voltage_present[kPhases]{};
  bool m_current_trusted[kPhases]{};
};

}  // namespace amprig::fw
