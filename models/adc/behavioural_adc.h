#pragma once
// The behavioural virtual ADC: samples every channel simultaneously at the
// firmware's configured rate, quantises, and delivers DMA half-buffers through
// the HAL's AdcDma interface. One SystemC activation per half-buffer.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <systemc>

#include "common/interfaces.h"
#include "common/rng.h"
#include "hal/hal.h"

namespace amprig::models {

struct AdcModelConfig {
  unsigned resolution_bits = 16;
  double reference_v = 3.3;
  double bias_v = 1.65;        // analog front end's mid-rail bias (ideal: reference/2)
  double noise_lsb_rms = 0.5;  // seeded, per sample and channel
  double offset_lsb = 0;       // added to every channel
  double gain_error_pct = 0;
  // Faults of the converter and its front end (defaults: none).
  int stuck_bit = -1;            // output bit stuck, 0 = LSB, on every channel; -1: none
  bool stuck_bit_value = false;  // the level it is stuck at
  // The front end saturates this many LSB either side of the bias, short of the
  // ADC's own range (0: no such limit).
  double clip_lsb = 0;
  double clock_jitter_ns = 0;  // RMS jitter of the sample clock (seeded; all channels alike)
  std::uint64_t seed = 1;
};

class BehaviouralAdc : public sc_core::sc_module, public fw::hal::AdcDma {
 public:
  std::array<sc_core::sc_port<analog_channel_if>, fw::hal::kAdcChannels> in;

  // Throws std::invalid_argument when `config` is out of range.
  BehaviouralAdc(const sc_core::sc_module_name& name, const AdcModelConfig& config);

  // What is wrong with `config`, or "" when it is valid: the checks the
  // constructor applies, without exceptions, for callers that validate
  // settings before they reach a model.
  static std::string check(const AdcModelConfig& config);

  AdcModelConfig& config() { return m_config; }

  fw::Status start(const fw::hal::AdcConfig& config, fw::Span<fw::hal::AdcCode> buffer,
                   fw::hal::AdcDmaClient& client) override;
  void stop() override;

  // Frames (one sample of every channel) delivered since construction.
  std::uint64_t samples_delivered() const { return m_delivered; }
  // Samples (of any channel) clamped to 0 or full scale, or by the front end's clip_lsb.
  std::uint64_t clipped_samples() const { return m_clipped; }
  bool running() const { return m_running; }

  // A missed DMA interrupt: the next `halves` half-buffers are still written by
  // the DMA but their callbacks never come, so the firmware never sees them.
  void drop_buffers(std::uint64_t halves) { m_drop_pending = halves; }
  std::uint64_t buffers_to_drop() const { return m_drop_pending; }
  std::uint64_t dropped_buffers() const { return m_dropped; }

 private:
  void run();      // SC_THREAD
  void acquire();  // one half-buffer: sample, quantise, deliver
  void seed_rng(std::uint64_t seed);
  double gaussian() { return gaussian(m_rng); }  // unit variance
  static double gaussian(Xoshiro256ss& rng);
  // Moves each frame's samples to the instant its jittered clock edge took them.
  void apply_jitter(const BlockTime& time);

  AdcModelConfig m_config;
  fw::hal::AdcConfig m_dma_config{};
  fw::Span<fw::hal::AdcCode> m_buffer;
  fw::hal::AdcDmaClient* m_client = nullptr;
  sc_core::sc_event m_control;  // start() or stop() was called
  bool m_running = false;
  std::uint64_t m_generation = 0;  // counts start() calls: a half in flight from an
                                   // earlier start is abandoned
  std::size_t m_frames_per_half = 0;
  bool m_second_half = false;      // the next half to fill is [n/2, n)
  std::uint64_t m_next_index = 0;  // first sample index of the half being acquired
  std::uint64_t m_delivered = 0;
  std::uint64_t m_clipped = 0;
  std::uint64_t m_drop_pending = 0;
  std::uint64_t m_dropped = 0;
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
