#include "adc/adc_dma_model.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace amprig::models {
namespace {

constexpr std::size_t kChannels = fw::hal::kAdcChannels;

}  // namespace

AdcDmaModel::AdcDmaModel(const sc_core::sc_module_name& name, const AdcModelConfig& config)
    : sc_core::sc_module(name), m_config(config) {
  if (const std::string problem = check(m_config); !problem.empty()) {
    throw std::invalid_argument(std::string(this->name()) + ": " + problem);
  }
  SC_HAS_PROCESS(AdcDmaModel);
  SC_THREAD(run);
}

std::string AdcDmaModel::check(const AdcModelConfig& config) {
  if (config.resolution_bits < 1 || config.resolution_bits > 16) {
    return "resolution_bits must be in 1..16 (codes are 16-bit)";
  }
  if (!(config.reference_v > 0)) return "reference_v must be > 0";
  if (!(config.noise_lsb_rms >= 0)) return "noise_lsb_rms must be >= 0";
  if (!(config.gain_error_pct > -100)) return "gain_error_pct must be > -100";
  if (config.stuck_bit < -1 || config.stuck_bit >= static_cast<int>(config.resolution_bits)) {
    return "stuck_bit must be -1 (none) or a bit of the code, 0.." +
           std::to_string(config.resolution_bits - 1);
  }
  if (!(config.clip_lsb >= 0) || !std::isfinite(config.clip_lsb)) return "clip_lsb must be >= 0";
  if (!(config.clock_jitter_ns >= 0) || !std::isfinite(config.clock_jitter_ns)) {
    return "clock_jitter_ns must be >= 0";
  }
  return {};
}

fw::Status AdcDmaModel::check_start(const fw::hal::AdcConfig& config,
                                    fw::Span<fw::hal::AdcCode> buffer) {
  if (config.channels != kChannels || config.sample_rate_hz == 0) {
    return fw::Status::invalid_argument;
  }
  const std::size_t frame = config.channels;
  if (buffer.data() == nullptr || buffer.empty() || buffer.size() % (2 * frame) != 0) {
    return fw::Status::invalid_argument;
  }
  if (buffer.size() / (2 * frame) > kMaxBlockSamples) return fw::Status::out_of_range;
  return fw::Status::ok;
}

std::uint64_t AdcDmaModel::first_sample_index(double now_s, std::uint32_t sample_rate_hz) {
  // Indices count from t = 0, so every model sees absolute, exactly computed times.
  const double now_samples = now_s * sample_rate_hz;
  return static_cast<std::uint64_t>(std::ceil(now_samples - 1e-6));
}

fw::Status AdcDmaModel::start(const fw::hal::AdcConfig& config, fw::Span<fw::hal::AdcCode> buffer,
                              fw::hal::AdcDmaClient& client) {
  if (m_running) return fw::Status::failed_precondition;
  if (const fw::Status status = check_start(config, buffer); status != fw::Status::ok) {
    return status;
  }
  const std::size_t half = buffer.size() / (2 * config.channels);
  if (const fw::Status status = accept(config, half); status != fw::Status::ok) return status;
  m_dma_config = config;
  m_buffer = buffer;
  m_client = &client;
  m_frames_per_half = half;
  m_second_half = false;
  m_next_index = first_sample_index(sc_core::sc_time_stamp().to_seconds(), config.sample_rate_hz);
  m_running = true;
  ++m_generation;
  restart(m_next_index);
  m_control.notify(sc_core::SC_ZERO_TIME);
  return fw::Status::ok;
}

void AdcDmaModel::stop() {
  // Like a DMA channel being disabled: the half in flight is abandoned and no
  // callback follows. A stop() from inside a callback ends after that half.
  m_running = false;
  m_control.notify(sc_core::SC_ZERO_TIME);
}

void AdcDmaModel::run() {
  for (;;) {
    while (!m_running) sc_core::wait(m_control);
    const std::uint64_t generation = m_generation;
    // Wait until the half's last sample has been taken. The due time comes
    // from the integer sample index, never from summed periods, so it does not
    // drift when 1/rate is not a whole number of time-resolution units.
    const double rate_hz = m_dma_config.sample_rate_hz;
    const sc_core::sc_time due(static_cast<double>(m_next_index + m_frames_per_half) / rate_hz,
                               sc_core::SC_SEC);
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    if (due > now) sc_core::wait(due - now, m_control);
    if (!m_running || generation != m_generation || sc_core::sc_time_stamp() < due) continue;
    acquire();
  }
}

void AdcDmaModel::acquire() {
  const std::size_t n = m_frames_per_half;
  const double rate_hz = m_dma_config.sample_rate_hz;
  BlockTime time;
  time.index = m_next_index;
  time.t0_s = static_cast<double>(m_next_index) / rate_hz;
  time.dt_s = 1.0 / rate_hz;
  time.n = n;

  const AdcModelConfig& cfg = m_config;
  if (cfg.resolution_bits < 1 || cfg.resolution_bits > 16) {
    m_running = false;  // nothing sensible to deliver; do not spin on this half
    SC_REPORT_ERROR(name(), "resolution_bits must be in 1..16");
    return;
  }
  // Converted aside, and written to the DMA buffer only if the run is still the same: a
  // variant that lets time pass may see the DMA stopped meanwhile, and a stopped DMA writes
  // nothing more.
  const std::uint64_t generation = m_generation;
  convert(time, m_half.data());
  if (!m_running || generation != m_generation) return;
  fw::hal::AdcCode* out = m_buffer.data() + (m_second_half ? n * kChannels : 0);
  std::copy(m_half.begin(), m_half.begin() + static_cast<std::ptrdiff_t>(n * kChannels), out);

  if (cfg.stuck_bit >= 0 && cfg.stuck_bit < static_cast<int>(cfg.resolution_bits)) {
    const auto mask = static_cast<fw::hal::AdcCode>(1u << cfg.stuck_bit);
    for (std::size_t i = 0; i < n * kChannels; ++i) {
      out[i] = static_cast<fw::hal::AdcCode>(cfg.stuck_bit_value ? out[i] | mask : out[i] & ~mask);
    }
  }
  m_next_index += n;

  const bool second = m_second_half;
  m_second_half = !m_second_half;
  if (m_drop_pending > 0) {
    // The DMA wrote the half; its interrupt was missed.
    --m_drop_pending;
    ++m_dropped;
    return;
  }
  m_delivered += n;
  if (second) {
    m_client->on_full_complete();
  } else {
    m_client->on_half_complete();
  }
}

std::uint64_t AdcDmaModel::clip_front_end(
    std::array<std::array<double, kMaxBlockSamples>, fw::hal::kAdcChannels>& pin_v,
    std::size_t n) const {
  if (m_config.clip_lsb <= 0) return 0;
  const double limit_v = m_config.clip_lsb * m_config.reference_v /
                         std::ldexp(1.0, static_cast<int>(m_config.resolution_bits));
  std::uint64_t clipped = 0;
  for (auto& channel : pin_v) {
    for (std::size_t k = 0; k < n; ++k) {
      if (channel[k] > limit_v) {
        channel[k] = limit_v;
        ++clipped;
      } else if (channel[k] < -limit_v) {
        channel[k] = -limit_v;
        ++clipped;
      }
    }
  }
  return clipped;
}

}  // namespace amprig::models
