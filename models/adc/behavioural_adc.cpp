#include "adc/behavioural_adc.h"

#include <array>
#include <cmath>
#include <type_traits>

namespace amprig::models {
namespace {

constexpr std::size_t kChannels = fw::hal::kAdcChannels;

// Sets the jitter's stream apart from the noise's, both drawn from the one seed.
constexpr std::uint64_t kJitterStream = 0x6A09E667F3BCC909ull;

}  // namespace

BehaviouralAdc::BehaviouralAdc(const sc_core::sc_module_name& name, const AdcModelConfig& config)
    : AdcDmaModel(name, config) {
  seed_rng(this->config().seed);
}

void BehaviouralAdc::seed_rng(std::uint64_t seed) {
  m_rng.reseed(seed);
  m_jitter_rng.reseed(seed ^ kJitterStream);
  m_rng_seed = seed;
}

void BehaviouralAdc::convert(const BlockTime& time, fw::hal::AdcCode* out) {
  const std::size_t n = time.n;
  const AdcModelConfig& cfg = config();
  if (cfg.seed != m_rng_seed) seed_rng(cfg.seed);

  for (std::size_t c = 0; c < kChannels; ++c) in[c]->sample(time, m_pin_v[c].data());
  std::array<double, kChannels> last_pin_v;
  for (std::size_t c = 0; c < kChannels; ++c) last_pin_v[c] = n > 0 ? m_pin_v[c][n - 1] : 0.0;
  if (cfg.clock_jitter_ns > 0 && n > 0) apply_jitter(time);
  m_last_pin_v = last_pin_v;
  m_last_pin_index = time.index + n;

  std::uint64_t clipped = clip_front_end(m_pin_v, n);

  // code = round((pin*(1 + gain) + bias)/reference * 2^bits + offset + noise),
  // rounding half up: floor(x + 0.5), with the 0.5 folded into the offset and
  // the floor done by truncation once x is known to be non-negative.
  const double full_scale = std::ldexp(1.0, static_cast<int>(cfg.resolution_bits));
  const double top = full_scale;  // x >= top rounds above the highest code
  const double gain = (1 + cfg.gain_error_pct / 100) * full_scale / cfg.reference_v;
  const double offset = cfg.bias_v / cfg.reference_v * full_scale + cfg.offset_lsb + 0.5;
  const double sigma = cfg.noise_lsb_rms;
  const auto max_code = static_cast<fw::hal::AdcCode>(full_scale - 1);
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
  count_clipped(clipped);
}

// First order in the jitter e_k of frame k: x(t_k + e_k) = x_k + x'(t_k) e_k, the slope
// from the samples themselves (central differences, second-order one-sided ones at the
// ends of the block, the previous block's last sample when it follows on). It holds
// while w e << 1: for a sine the neglected x'' e^2 / 2 is (w e)^2 / 2 of its amplitude,
// 2e-7 at 50 Hz and 2 us of jitter, 1.2e-4 at 50 us. One clock for every channel: a
// frame's channels share its e_k.
void BehaviouralAdc::apply_jitter(const BlockTime& time) {
  const std::size_t n = time.n;
  const double sigma_s = config().clock_jitter_ns * 1e-9;
  for (std::size_t k = 0; k < n; ++k) m_jitter_s[k] = sigma_s * irwin_hall_gaussian(m_jitter_rng);
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
