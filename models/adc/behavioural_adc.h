#pragma once
// The behavioural virtual ADC: samples every channel simultaneously at the
// firmware's configured rate, quantises, and delivers DMA half-buffers through
// the HAL's AdcDma interface. One SystemC activation per half-buffer.
#include <array>
#include <cstdint>
#include <systemc>

#include "common/interfaces.h"
#include "hal/hal.h"

namespace amprig::models {

struct AdcModelConfig {
  unsigned resolution_bits = 16;
  double reference_v = 3.3;
  double bias_v = 1.65;            // analog front end's mid-rail bias (ideal: reference/2)
  double noise_lsb_rms = 0.5;      // seeded, per sample and channel
  double offset_lsb = 0;           // added to every channel
  double gain_error_pct = 0;
  std::uint64_t seed = 1;
};

class BehaviouralAdc : public sc_core::sc_module, public fw::hal::AdcDma {
 public:
  std::array<sc_core::sc_port<analog_channel_if>, fw::hal::kAdcChannels> in;

  BehaviouralAdc(const sc_core::sc_module_name& name, const AdcModelConfig& config);

  AdcModelConfig& config() { return m_config; }

  fw::Status start(const fw::hal::AdcConfig& config, fw::Span<fw::hal::AdcCode> buffer,
                   fw::hal::AdcDmaClient& client) override;
  void stop() override;

  std::uint64_t samples_delivered() const { return m_next_index; }
  std::uint64_t clipped_samples() const { return m_clipped; }

 private:
  void run();  // SC_THREAD

  AdcModelConfig m_config;
  fw::hal::AdcConfig m_dma_config{};
  fw::Span<fw::hal::AdcCode> m_buffer;
  fw::hal::AdcDmaClient* m_client = nullptr;
  sc_core::sc_event m_started;
  bool m_running = false;
  std::uint64_t m_next_index = 0;
  std::uint64_t m_clipped = 0;
  std::uint64_t m_rng_state[4]{};
};

}  // namespace amprig::models
