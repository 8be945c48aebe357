#pragma once
// The RTL virtual ADC: a second-order delta-sigma modulator per channel (C++, fixed point) at
// the modulator clock, feeding the verilated sinc3 decimator (sinc3_decimator.sv), which
// delivers the firmware's codes at its sample rate through the same DMA half-buffers as the
// behavioural ADC. Bit-true: every code is what the RTL computes from the modulators' bits.
//
// The plant hands over pin voltages in blocks at the sample rate; each sample is held for its
// `ratio` modulator clocks (a zero-order hold), and the decimator's samples are aligned one
// sample ahead: sample k's code completes on the last clock of sample k+1's stretch. Its sinc3
// window (3 ratio - 2 bits, each following the input one clock late) then covers ratio - 1,
// ratio and ratio - 1 clocks of samples k-1, k and k+1, so the hold and the decimator together
// are a symmetric three-tap filter on the plant's samples (about 1/6, 2/3, 1/6): code k is
// centred on the pin voltage at t_k, the behavioural ADC's time base, with no delay, and the
// hold adds only sinc(f / fs) of droop (0.01 % at 50 Hz) to the sinc3's. The sample k+1 it
// needs is the one taken at the half-buffer's due instant: nothing in the future. A run's first
// code, with no sample before it, is its own sample: the one before is extrapolated linearly.
// (Linear interpolation, tried first, droops twice as much and leaves the decimator's 1.5-sample
// delay, which whole samples cannot undo: a dropped DMA half then splices the sine 8.4 degrees
// from a zero crossing instead of on one, and the scenario of that fault reads 52.55 Hz where
// the device on a zero-delay converter reads 52.63 Hz.)
//
// One SystemC activation per half-buffer (the behavioural ADC's scheme): the half's samples are
// turned into modulator clocks, each clocking the verilated model, all in that activation.
// RtlAdcConfig::clock_per_activation instead waits for an sc_clock edge before each modulator
// clock: the other co-simulation style, kept only to benchmark it.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "adc/adc_dma_model.h"
#include "adc/rtl/delta_sigma_modulator.h"
#include "adc/rtl/sinc3_decimator.h"
#include "common/rng.h"

namespace amprig::models {

struct RtlAdcConfig {
  // The decimation ratio is modulator_clock_hz / the firmware's sample rate, a whole number in
  // 2..1024: 160 at 6400 Hz.
  std::uint32_t modulator_clock_hz = 1'024'000;
  // Benchmark only: one SystemC activation per modulator clock, each waiting for the edge of an
  // sc_clock. The codes are the same; each half-buffer arrives one half-buffer later, because
  // its clocks run during the next half's time.
  bool clock_per_activation = false;
};

class RtlAdc : public AdcDmaModel {
 public:
  // Throws std::invalid_argument when `config` is out of range.
  RtlAdc(const sc_core::sc_module_name& name, const AdcModelConfig& config,
         const RtlAdcConfig& rtl = {});
  ~RtlAdc() override;

  // modulator_clock_hz / sample_rate_hz when it is a whole number in 2..1024, else 0 with the
  // reason (and the nearest sample rates that would do) in `why`.
  static unsigned decimation_ratio(std::uint32_t modulator_clock_hz, std::uint32_t sample_rate_hz,
                                   std::string* why);
  // The power of the codes' noise for unit-variance independent noise on the samples the
  // modulators hold, at this ratio: the sum of the squared weights of the hold and the sinc3
  // (about 0.5). Noise is scaled by its inverse square root, so that noise_lsb_rms is the RMS
  // it adds to the codes.
  static double noise_power_gain(unsigned ratio);

  const RtlAdcConfig& rtl_config() const { return m_rtl; }
  unsigned ratio() const { return m_settings.ratio; }  // of the present run
  std::uint64_t modulator_clocks() const { return m_modulator_clocks; }
  // Modulator clocks at which an integrator ran into its swing (the input overloaded it).
  std::uint64_t modulator_overload_clocks() const { return m_modulators.overload_clocks(); }

 protected:
  // Refuses a sample rate that does not divide the modulator clock, and a half-buffer of
  // kMaxBlockSamples frames (a run's first block takes one sample more).
  fw::Status accept(const fw::hal::AdcConfig& config, std::size_t frames_per_half) override;
  void restart(std::uint64_t first_index) override;
  void convert(const BlockTime& time, fw::hal::AdcCode* out) override;

 private:
  using Inputs = DeltaSigmaModulator::Inputs;

  void seed_rng(std::uint64_t seed);
  // The modulators' inputs for this block's samples, in fixed point: the front end (clip, gain,
  // offset, noise) applied to the pin voltages.
  void modulator_inputs(std::size_t n);
  // Fills the decimator as a converter that had been running would have it, from the inputs of
  // a run's first two samples.
  void warm_up(const Inputs& first, const Inputs& second);
  // One sample's stretch of clocks holding `input`, bits into m_bits.
  void modulate(const Inputs& input);
  // Clocks the decimator through m_bits: true when the last clock completed a sample.
  bool decimate();

  RtlAdcConfig m_rtl;
  DeltaSigmaModulator m_modulators;
  Sinc3Decimator m_decimator;
  Sinc3Settings m_settings{};
  double m_noise_scale = 1;  // 1 / sqrt(noise_power_gain(ratio))
  bool m_restart = true;     // the next block begins a run: reset and warm up first
  Inputs m_previous{};       // the modulators' input of the previous stretch (jitter's slope)
  std::uint64_t m_modulator_clocks = 0;
  std::unique_ptr<sc_core::sc_clock> m_clock;  // clock_per_activation only
  Xoshiro256ss m_rng;
  Xoshiro256ss m_jitter_rng;
  std::uint64_t m_rng_seed = 0;
  std::array<std::array<double, kMaxBlockSamples>, fw::hal::kAdcChannels> m_pin_v{};
  std::array<Inputs, kMaxBlockSamples> m_inputs{};  // per sample
  std::vector<std::uint8_t> m_bits;                 // one sample's modulator clocks
  std::vector<Inputs> m_jittered;                   // the same clocks' inputs, jittered
};

}  // namespace amprig::models
