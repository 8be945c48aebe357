#pragma once
// The behavioural virtual ADC: samples every channel simultaneously at the
// firmware's configured rate, quantises, and delivers DMA half-buffers through
// the HAL's AdcDma interface. One SystemC activation per half-buffer.
#include <array>
#include <cstddef>
#include <cstdint>
#include <systemc>

#include "adc/adc_dma_model.h"
#include "common/rng.h"

namespace amprig::models {

class BehaviouralAdc : public AdcDmaModel {
 public:
  // Throws std::invalid_argument when `config` is out of range.
  BehaviouralAdc(const sc_core::sc_module_name& name, const AdcModelConfig& config);

 protected:
  // Samples, quantises (gain, offset, bias, noise, clipping, jitter).
  void convert(const BlockTime& time, fw::hal::AdcCode* out) override;

 private:
  void seed_rng(std::uint64_t seed);
  double gaussian() { return irwin_hall_gaussian(m_rng); }  // unit variance
  // Moves each frame's samples to the instant its jittered clock edge took them.
  void apply_jitter(const BlockTime& time);

  Xoshiro256ss m_rng;
  Xoshiro256ss m_jitter_rng;     // its own stream: jitter leaves the noise sequence alone
  std::uint64_t m_rng_seed = 0;  // the seed m_rng was drawn from
  std::array<std::array<double, kMaxBlockSamples>, fw::hal::kAdcChannels> m_pin_v{};
  // Jitter: each channel's last pin voltage before this block (for its slope), if the
  // block follows on.
  std::array<double, fw::hal::kAdcChannels> m_last_pin_v{};
  std::uint64_t m_last_pin_index = ~std::uint64_t{0};  // the sample index after m_last_pin_v
  std::array<double, kMaxBlockSamples> m_jitter_s{};
};

}  // namespace amprig::models
