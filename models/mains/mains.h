#pragma once
// Three-phase mains at the building's connection point: TN (with neutral) or IT
// (no neutral; phase voltages are taken from the source's star point).
#include <array>
#include <cstdint>
#include <string>
#include <systemc>
#include <vector>

#include "common/interfaces.h"

namespace amprig::models {

struct Harmonic {
  int order = 0;         // 2..50
  double percent = 0;    // of the fundamental's RMS
  double phase_deg = 0;  // of the harmonic relative to the fundamental's zero crossing
};

struct MainsConfig {
  Network network = Network::tn;
  // RMS of the fundamental: line-to-neutral (TN), line-to-line (IT; each phase's
  // star voltage is then voltage_v / sqrt(3)).
  double voltage_v = 230;
  double frequency_hz = 50;                         // 45..65
  std::array<Phase, kPhases> sequence{L1, L2, L3};  // phase k lags the one before it by 120 deg
  std::vector<Harmonic> harmonics;
  std::array<double, kPhases> level{1, 1, 1};  // per-phase sag (<1) / swell (>1) factor
  // Applies to all three phases on top of `level`: a sag, swell or (at 0) an
  // interruption of the whole supply.
  double common_level = 1;
  std::array<bool, kPhases> lost{false, false, false};
  // The frequency moves at this rate from block to block, and holds at the
  // model's limits (45 and 65 Hz): a drifting island grid or a generator.
  double frequency_drift_hz_per_s = 0;
};

class Mains : public sc_core::sc_module, public mains_if {
 public:
  sc_core::sc_export<mains_if> out;

  // Throws std::invalid_argument when `config` is out of range.
  Mains(const sc_core::sc_module_name& name, const MainsConfig& config);

  // What is wrong with `config`, or "" when it is valid: the checks the
  // constructor applies, without exceptions, for callers that validate
  // settings before they reach a model.
  static std::string check(const MainsConfig& config);

  // Settable at run time; takes effect at the next block, phase-continuously.
  MainsConfig& config() { return m_config; }
  const MainsConfig& config() const { return m_config; }

  const MainsBlock& block(const BlockTime& time) override;
  double frequency_hz() const override { return m_config.frequency_hz; }
  double voltage_at(Phase phase, double theta_rad) const override;
  void truth_voltages(Phase phase, double offset_rad, double* out) const override;
  bool truth_key(Phase phase, double offset_rad, std::vector<double>& key) const override;
  // A phase is there unless lost upstream or interrupted (its level, or the
  // common level, at 0): loads, inverters and chargers draw nothing from it.
  bool present(Phase phase) const override {
    return !m_config.lost[phase] && m_config.level[phase] * m_config.common_level > 0;
  }
  double angle_offset_rad(Phase phase) const override;
  Network network() const override { return m_config.network; }
  // Angle of `phase`'s fundamental at t = 0 (0, -120 or -240 deg per the sequence).
  double initial_angle_rad(Phase phase) const;
  // The percentage of harmonic `order` in the voltage (0 when absent); setting it
  // adds the harmonic (at phase 0) or changes the one already there.
  double harmonic_pct(int order) const;
  void set_harmonic_pct(int order, double percent);

 private:
  // Peak of the fundamental of `phase`'s (star) voltage, 0 when lost.
  double amplitude_v(Phase phase) const;
  // voltage_at's waveform per unit of amplitude: sin(theta) plus the harmonics.
  double shape_at(double theta_rad) const;
  // shape_at at the truth grid's points shifted by offset_rad: computed once per offset and set
  // of harmonics.
  const double* truth_shape(double offset_rad) const;

  struct TruthShape {
    double offset_rad = 0;
    std::vector<Harmonic> harmonics;
    std::vector<double> shape;
  };

  MainsConfig m_config;
  MainsBlock m_block;
  bool m_have_block = false;
  double m_theta_rad = 0;          // L1's fundamental angle at the start of the next block
  std::uint64_t m_next_index = 0;  // index of the sample that follows the last block
  double m_next_t0_s = 0;          // and its time
  double m_drift_from_s = 0;       // the time up to which the frequency has drifted
  double m_drift_hz_per_s = 0;     // the rate in force since then
  double m_frequency_hz = 0;       // the frequency of the last block
  // truth_shape's cache: a phase's own angles, and on IT the next phase's.
  mutable std::vector<TruthShape> m_truth_shapes;
};

}  // namespace amprig::models
