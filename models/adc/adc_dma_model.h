#pragma once
// What every virtual ADC shares: the firmware's HAL AdcDma interface, its six analog inputs, and
// the DMA side of the converter. One SystemC activation per DMA half-buffer: the thread wakes
// when the half's last frame is due, has the variant convert the block of frames it covers,
// applies the output faults (a stuck bit, a missed interrupt) and calls the firmware's
// half/full-complete callback, exactly as the DMA interrupt does on the device.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <systemc>

#include "common/interfaces.h"
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

class AdcDmaModel : public sc_core::sc_module, public fw::hal::AdcDma {
 public:
  std::array<sc_core::sc_port<analog_channel_if>, fw::hal::kAdcChannels> in;

  // What is wrong with `config`, or "" when it is valid: the checks the
  // constructor applies, without exceptions, for callers that validate
  // settings before they reach a model.
  static std::string check(const AdcModelConfig& config);

  AdcModelConfig& config() { return m_config; }
  const AdcModelConfig& config() const { return m_config; }

  fw::Status start(const fw::hal::AdcConfig& config, fw::Span<fw::hal::AdcCode> buffer,
                   fw::hal::AdcDmaClient& client) override;
  void stop() override;
  // start()'s checks of the firmware's request that every variant makes: six channels, a sample
  // rate, a buffer of two halves of whole frames, a half of at most kMaxBlockSamples frames.
  static fw::Status check_start(const fw::hal::AdcConfig& config,
                                fw::Span<fw::hal::AdcCode> buffer);
  // The first sample of a run started at `now_s`: the first sample instant at or after it, with
  // indices counted from t = 0.
  static std::uint64_t first_sample_index(double now_s, std::uint32_t sample_rate_hz);

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

 protected:
  // Throws std::invalid_argument when `config` is out of range.
  AdcDmaModel(const sc_core::sc_module_name& name, const AdcModelConfig& config);

  // A DMA start the variant may refuse beyond the common checks (a sample rate it cannot
  // make, a half-buffer too long for it): a status other than ok is returned to the firmware.
  virtual fw::Status accept(const fw::hal::AdcConfig&, std::size_t frames_per_half) {
    (void)frames_per_half;
    return fw::Status::ok;
  }
  // A new conversion run begins with frame `first_index` (start() was called).
  virtual void restart(std::uint64_t first_index) { (void)first_index; }
  // Writes the interleaved codes of the frames `time` covers (time.n frames of kAdcChannels
  // codes) to `out`, reading the analog inputs. It may let simulated time pass (a variant
  // clocked by SystemC); the half is abandoned, never delivered, if the DMA was stopped
  // meanwhile.
  virtual void convert(const BlockTime& time, fw::hal::AdcCode* out) = 0;
  // Samples clamped by the variant's converter or front end.
  void count_clipped(std::uint64_t samples) { m_clipped += samples; }
  // The front end's output swing (clip_lsb, when set): clamps the first `n` pin voltages of
  // every channel to it, in volts either side of the bias, and returns how many it clamped.
  std::uint64_t clip_front_end(
      std::array<std::array<double, kMaxBlockSamples>, fw::hal::kAdcChannels>& pin_v,
      std::size_t n) const;
  double sample_rate_hz() const { return m_dma_config.sample_rate_hz; }

 private:
  void run();      // SC_THREAD
  void acquire();  // one half-buffer: convert, apply the output faults, deliver

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
  std::array<fw::hal::AdcCode, kMaxBlockSamples * fw::hal::kAdcChannels> m_half{};  // converted
};

}  // namespace amprig::models
