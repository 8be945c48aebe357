#include "adc/behavioural_adc.h"

#include <array>
#include <cmath>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace amprig::models {
namespace {

constexpr std::size_t kChannels = fw::hal::kAdcChannels;

// The sum of four independent uniforms on 0..65535 has mean 4*65535/2 and
// variance 4*(65536^2 - 1)/12.
constexpr double kIrwinHallMean = 2.0 * 65535.0;
const double kIrwinHallInvStd = 1.0 / std::sqrt((65536.0 * 65536.0 - 1.0) / 3.0);
// Sets the jitter's stream apart from the noise's, both drawn from the one seed.
constexpr std::uint64_t kJitterStream = 0x6A09E667F3BCC909ull;

}  // namespace

BehaviouralAdc::BehaviouralAdc(const sc_core::sc_module_name& name, const AdcModelConfig& config)
    : sc_core::sc_module(name), m_config(config) {
  if (const std::string problem = check(m_config); !problem.empty()) {
    throw std::invalid_argument(std::string(this->name()) + ": " + problem);
  }
  seed_rng(m_config.seed);
  SC_HAS_PROCESS(BehaviouralAdc);
  SC_THREAD(run);
}

std::string BehaviouralAdc::check(const AdcModelConfig& config) {
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

void BehaviouralAdc::seed_rng(std::uint64_t seed) {
  m_rng.reseed(seed);
  m_jitter_rng.reseed(seed ^ kJitterStream);
  m_rng_seed = seed;
}

// 64 random bits shaped into an approximately Gaussian value by the
// Irwin-Hall sum of their four 16-bit quarters: one draw per sample instead of
// Box-Muller's log/sqrt/sin. Its tails end at +-3.46 sigma, which is harmless
// for ADC noise.
double BehaviouralAdc::gaussian(Xoshiro256ss& rng) {
  const std::uint64_t u = rng.next();
  const std::uint64_t sum = (u & 0xffff) + ((u >> 16) & 0xffff) + ((u >> 32) & 0xffff) + (u >> 48);
  return (static_cast<double>(sum) - kIrwinHallMean) * kIrwinHallInvStd;
}

fw::Status BehaviouralAdc::start(const fw::hal::AdcConfig& config,
                                 fw::Span<fw::hal::AdcCode> buffer, fw::hal::AdcDmaClient& client) {
  if (m_running) return fw::Status::failed_precondition;
  if (config.channels != kChannels || config.sample_rate_hz == 0) {
    return fw::Status::invalid_argument;
  }
  const std::size_t frame = config.channels;
  if (buffer.data() == nullptr || buffer.empty() || buffer.size() % (2 * frame) != 0) {
    return fw::Status::invalid_argument;
  }
  const std::size_t half = buffer.size() / (2 * frame);
  if (half > kMaxBlockSamples) return fw::Status::out_of_range;

  m_dma_config = config;
  m_buffer = buffer;
  m_client = &client;
  m_frames_per_half = half;
  m_second_half = false;
  // The first sample is the first sample instant at or after now; indices
  // count from t = 0, so every model sees absolute, exactly computed times.
  const double now_samples = sc_core::sc_time_stamp().to_seconds() * config.sample_rate_hz;
  m_next_index = static_cast<std::uint64_t>(std::ceil(now_samples - 1e-6));
  m_running = true;
  ++m_generation;
  m_control.notify(sc_core::SC_ZERO_TIME);
  return fw::Status::ok;
}

void BehaviouralAdc::stop() {
  // Like a DMA channel being disabled: the half in flight is abandoned and no
  // callback follows. A stop() from inside a callback ends after that half.
  m_running = false;
  m_control.notify(sc_core::SC_ZERO_TIME);
}

void BehaviouralAdc::run() {
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

void BehaviouralAdc::acquire() {
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
  if (cfg.seed != m_rng_seed) seed_rng(cfg.seed);

  for (std::size_t c = 0; c < kChannels; ++c) in[c]->sample(time, m_pin_v[c].data());
  std::array<double, kChannels> last_pin_v;
  for (std::size_t c = 0; c < kChannels; ++c) last_pin_v[c] = n > 0 ? m_pin_v[c][n - 1] : 0.0;
  if (cfg.clock_jitter_ns > 0 && n > 0) apply_jitter(time);
  m_last_pin_v = last_pin_v;
  m_last_pin_index = time.index + n;

  std::uint64_t clipped = 0;
  if (cfg.clip_lsb > 0) {
    // The front end's output swing, in volts either side of the bias.
    const double limit_v =
        cfg.clip_lsb * cfg.reference_v / std::ldexp(1.0, static_cast<int>(cfg.resolution_bits));
    for (std::size_t c = 0; c < kChannels; ++c) {
      double* pin = m_pin_v[c].data();
      for (std::size_t k = 0; k < n; ++k) {
        if (pin[k] > limit_v) {
          pin[k] = limit_v;
          ++clipped;
        } else if (pin[k] < -limit_v) {
          pin[k] = -limit_v;
          ++clipped;
        }
      }
    }
  }

  // code = round((pin*(1 + gain) + bias)/reference * 2^bits + offset + noise),
  // rounding half up: floor(x + 0.5), with the 0.5 folded into the offset and
  // the floor done by truncation once x is known to be non-negative.
  const double full_scale = std::ldexp(1.0, static_cast<int>(cfg.resolution_bits));
  const double top = full_scale;  // x >= top rounds above the highest code
  const double gain = (1 + cfg.gain_error_pct / 100) * full_scale / cfg.reference_v;
  const double offset = cfg.bias_v / cfg.reference_v * full_scale + cfg.offset_lsb + 0.5;
  const double sigma = cfg.noise_lsb_rms;
  const auto max_code = static_cast<fw::hal::AdcCode>(full_scale - 1);
  fw::hal::AdcCode* out = m_buffer.data() + (m_second_half ? n * kChannels : 0);
  // Two instantiations, so the noiseless case carries no per-sample test.
  const auto quantise = [&](auto with_noise) {
    for (std::size_t c = 0; c < kChannels; ++c) {
      const double* pin = m_pin_v[c].data();
      for (std::size_t k = 0; k < n; ++k) {
        double x = pin[k] * gain + offset;
        if constexpr (decltype(with_noise)::value) x += sigma * gaussian();
        fw::hal::AdcCode code;
        if (!(x >= 0)) {  // also catches NaN
          code = 0;
          ++clipped;
        } else if (x >= top) {
          code = max_code;
          ++clipped;
        } else {
          code = static_cast<fw::hal::AdcCode>(x);
        }
        out[k * kChannels + c] = code;
      }
    }
  };
  if (sigma > 0) {
    quantise(std::true_type{});
  } else {
    quantise(std::false_type{});
  }
  if (cfg.stuck_bit >= 0 && cfg.stuck_bit < static_cast<int>(cfg.resolution_bits)) {
    const auto mask = static_cast<fw::hal::AdcCode>(1u << cfg.stuck_bit);
    for (std::size_t i = 0; i < n * kChannels; ++i) {
      out[i] = static_cast<fw::hal::AdcCode>(cfg.stuck_bit_value ? out[i] | mask : out[i] & ~mask);
    }
  }
  m_clipped += clipped;
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

// First order in the jitter e_k of frame k: x(t_k + e_k) = x_k + x'(t_k) e_k, the slope
// from the samples themselves (central differences, second-order one-sided ones at the
// ends of the block, the previous block's last sample when it follows on). It holds
// while w e << 1: for a sine the neglected x'' e^2 / 2 is (w e)^2 / 2 of its amplitude,
// 2e-7 at 50 Hz and 2 us of jitter, 1.2e-4 at 50 us. One clock for every channel: a
// frame's channels share its e_k.
void BehaviouralAdc::apply_jitter(const BlockTime& time) {
  const std::size_t n = time.n;
  const double sigma_s = m_config.clock_jitter_ns * 1e-9;
  for (std::size_t k = 0; k < n; ++k) m_jitter_s[k] = sigma_s * gaussian(m_jitter_rng);
  const bool follows = m_last_pin_index == time.index;
  const double inv_dt = 1 / time.dt_s;
  const double inv_2dt = 0.5 * inv_dt;
  for (std::size_t c = 0; c < kChannels; ++c) {
    double* p = m_pin_v[c].data();
    // The samples before k, as taken (p is overwritten as k advances).
    double before1 = follows ? m_last_pin_v[c] : 0.0;
    double before2 = 0.0;
    bool have1 = follows;
    bool have2 = false;
    for (std::size_t k = 0; k < n; ++k) {
      const double here = p[k];
      double slope = 0;
      if (k + 1 < n && have1) {
        slope = (p[k + 1] - before1) * inv_2dt;
      } else if (k + 2 < n) {
        slope = (-3 * here + 4 * p[k + 1] - p[k + 2]) * inv_2dt;
      } else if (k + 1 < n) {
        slope = (p[k + 1] - here) * inv_dt;
      } else if (have2) {
        slope = (3 * here - 4 * before1 + before2) * inv_2dt;
      } else if (have1) {
        slope = (here - before1) * inv_dt;
      }
      p[k] = here + slope * m_jitter_s[k];
      before2 = before1;
      have2 = have1;
      before1 = here;
      have1 = true;
    }
  }
}

}  // namespace amprig::models
