#pragma once
// A household load: draws a set RMS current at a power factor from one phase,
// from all three (balanced) or between two lines, optionally with harmonics or
// as a half-wave rectifier.
#include <array>
#include <cstddef>
#include <string>
#include <systemc>
#include <vector>

#include "common/interfaces.h"
#include "mains/mains.h"

namespace amprig::models {

enum class LoadWaveform { sine, half_wave_rectified };

struct LoadConfig {
  std::string name;
  std::vector<Phase> phases{L1};
  double current_a = 0;             // RMS per phase (of the whole waveform)
  double power_factor = 1.0;        // displacement power factor of the fundamental
  bool leading = false;             // capacitive when true
  std::vector<Harmonic> harmonics;  // percent of the fundamental current
  LoadWaveform waveform = LoadWaveform::sine;
  // IT networks: with two phases {a, b}, one load connected between the two
  // lines: current_a flows in on a and back out on b, at power_factor relative
  // to the line-to-line voltage u_ab = v_a - v_b. Harmonics and the half-wave
  // waveform refer to u_ab's fundamental angle, taken from the two phases'
  // unit phasors (a level difference between the lines does not shift it).
  // Without it, each listed phase draws current_a to the neutral (TN), or,
  // with three phases, a balanced three-phase load (TN and IT).
  bool line_to_line = false;
};

class Load : public sc_core::sc_module, public current_source_if {
 public:
  sc_core::sc_export<current_source_if> out;

  // Throws std::invalid_argument when `config` is out of range.
  Load(const sc_core::sc_module_name& name, const LoadConfig& config);

  // What is wrong with `config`, or "" when it is valid: the checks the
  // constructor applies, without exceptions, for callers that validate
  // settings before they reach a model.
  static std::string check(const LoadConfig& config);

  LoadConfig& config() { return m_config; }
  const LoadConfig& config() const { return m_config; }

  void add_current(const MainsBlock& mains, CurrentBlock& out) override;
  double current_at(Phase phase, double theta_rad, const mains_if& mains) const override;
  // current_at over the truth grid: the load's waveform is computed once and kept until the load
  // or what it reads of the mains changes.
  void add_truth_currents(Phase phase, const mains_if& mains, double* out) const override;
  bool truth_key(Phase phase, const mains_if& mains, std::vector<double>& key) const override;
  std::complex<double> neutral_load_a(Phase phase) const override;

 private:
  // Adds sign * the waveform to i, with (c, s) the unit phasor of the angle the
  // load refers to (its phase's voltage, or u_ab's), scaled and turned by `ratio`
  // (MainsBlock::load_ratio: the voltage across the load relative to that voltage).
  void add_waveform(const double* c, const double* s, std::size_t n, double sign,
                    std::complex<double> ratio, double* i) const;
  // The closed-form waveform at reference angle ref_rad.
  double waveform_at(double ref_rad, std::complex<double> ratio) const;
  // waveform_at in two parts: what does not depend on the angle, for a load ratio, and the
  // waveform at one angle from it (the ground truth's grid evaluates the first once).
  struct Waveform {
    double shift_rad = 0;         // arg(ratio)
    double displacement_rad = 0;  // the power factor's angle
    double gain_a = 0;            // peak of the half wave, or of the fundamental
    bool half_wave = false;
  };
  Waveform waveform(std::complex<double> ratio) const;
  double waveform_point(const Waveform& w, double ref_rad) const;

  // The configuration's numbers, for the truth caches' keys.
  void append_config_key(std::vector<double>& key) const;
  // waveform_at(theta_k, ratio) at every point of the truth grid, bit for bit.
  void truth_waveform(std::complex<double> ratio, double* out) const;

  struct TruthCache {
    std::vector<double> key;  // what `current` was computed from
    std::vector<double> current;
  };

  LoadConfig m_config;
  // u_ab's unit phasor for a line-to-line load, per sample of the block.
  SampleArray m_ref_cos{};
  SampleArray m_ref_sin{};
  // The waveform for a load to the neutral (one for every phase while they share a load ratio),
  // and per phase for a line-to-line load.
  mutable TruthCache m_truth_waveform;
  mutable std::array<TruthCache, kPhases> m_truth_line;
  mutable std::vector<double> m_truth_key;  // scratch, kept for its capacity
};

}  // namespace amprig::models
