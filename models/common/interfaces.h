#pragma once
// The pull interfaces that connect the plant models. The ADC asks for a block;
// each model asks its upstream neighbour for the same block through a port, so
// one SystemC activation per block moves every sample of every channel.
#include <complex>
#include <systemc>
#include <vector>

#include "common/block.h"
#include "common/truth_grid.h"

namespace amprig::models {

// Steady-state values over one fundamental period, from the plant's own
// closed-form waveforms (not from the sampled blocks): the rig's ground truth.
struct PhaseTruth {
  double voltage_v = 0;
  double current_a = 0;
  double power_w = 0;
  double reactive_var = 0;  // fundamental
  double apparent_va = 0;
  double power_factor = 0;
};

class mains_if : public virtual sc_core::sc_interface {
 public:
  // The block for `time`; the same block is returned for repeated requests.
  virtual const MainsBlock& block(const BlockTime& time) = 0;
  virtual double frequency_hz() const = 0;
  // Instantaneous voltage of `phase` when its fundamental is at angle theta.
  virtual double voltage_at(Phase phase, double theta_rad) const = 0;
  virtual bool present(Phase phase) const = 0;
  // Angle of `phase`'s fundamental minus L1's (0, -120 or -240 deg per the sequence).
  virtual double angle_offset_rad(Phase phase) const = 0;
  virtual Network network() const = 0;
  // MainsBlock::load_ratio of `phase`, for the closed-form path: 1 from the mains itself.
  virtual std::complex<double> load_ratio(Phase) const { return 1.0; }
  // out[k] = voltage_at(phase, theta_k + offset_rad) at every point of the ground truth's grid
  // (common/truth_grid.h), bit for bit. Mains overrides it with a cached waveform.
  virtual void truth_voltages(Phase phase, double offset_rad, double* out) const {
    const double* theta = TruthGrid::get().theta();
    for (int k = 0; k < TruthGrid::kPoints; ++k) out[k] = voltage_at(phase, theta[k] + offset_rad);
  }
  // Appends to `key` every number truth_voltages(phase, offset_rad, .) depends on, so that equal
  // keys mean equal voltages; false when it cannot say (the ground truth is then recomputed
  // whenever it is asked for).
  virtual bool truth_key(Phase, double, std::vector<double>&) const { return false; }
};

class current_source_if : public virtual sc_core::sc_interface {
 public:
  // Adds this source's currents (into the building: + import) to `out`.
  virtual void add_current(const MainsBlock& mains, CurrentBlock& out) = 0;
  // Instantaneous current on `phase` when its voltage fundamental is at theta.
  virtual double current_at(Phase phase, double theta_rad, const mains_if& mains) const = 0;
  // For a linear load between `phase` and the neutral: the fundamental current it draws at the
  // phase's present supply voltage, as an RMS phasor relative to that voltage (lagging: negative
  // imaginary part). It is the load's impedance when the neutral is lost. 0 for sources that
  // are not such loads (current sources: inverters, chargers; line-to-line loads).
  virtual std::complex<double> neutral_load_a(Phase) const { return 0.0; }
  // out[k] += current_at(phase, theta_k, mains) at every point of the ground truth's grid
  // (common/truth_grid.h), bit for bit. Sources override it to use the grid's sines or a cache
  // instead of a sin() per point.
  virtual void add_truth_currents(Phase phase, const mains_if& mains, double* out) const {
    const double* theta = TruthGrid::get().theta();
    for (int k = 0; k < TruthGrid::kPoints; ++k) out[k] += current_at(phase, theta[k], mains);
  }
  // Appends to `key` every number add_truth_currents(phase, mains, .) depends on, so that equal
  // keys mean equal currents; false when it cannot say (the ground truth is then recomputed
  // whenever it is asked for).
  virtual bool truth_key(Phase, const mains_if&, std::vector<double>&) const { return false; }
};

class plant_if : public virtual sc_core::sc_interface {
 public:
  virtual const MainsBlock& voltages(const BlockTime& time) = 0;
  virtual const CurrentBlock& currents(const BlockTime& time) = 0;
  virtual PhaseTruth truth(Phase phase) const = 0;
  virtual double frequency_hz() const = 0;
};

// One analog input of the ADC: volts at the ADC pin relative to the bias.
class analog_channel_if : public virtual sc_core::sc_interface {
 public:
  virtual void sample(const BlockTime& time, double* pin_v) = 0;
};

}  // namespace amprig::models
