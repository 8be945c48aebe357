#include "adc/rtl/rtl_adc.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace amprig::models {
namespace {

constexpr std::size_t kChannels = fw::hal::kAdcChannels;
// The decimator spans 3 * ratio - 2 clocks: three samples' worth of clocks fill it.
constexpr unsigned kWarmUpSamples = 3;
// Sets the jitter's stream apart from the noise's, both drawn from the one seed.
constexpr std::uint64_t kJitterStream = 0x6A09E667F3BCC909ull;

// A modulator input in references, in fixed point and clamped to the input stage's range (a
// NaN, which no model should hand over, reads as the bottom of it).
std::int32_t to_fixed(double v) {
  constexpr double kLimit = 1.0;  // DeltaSigmaModulator::kInputLimit, in references
  if (!(v >= -kLimit)) v = -kLimit;
  if (v > kLimit) v = kLimit;
  return static_cast<std::int32_t>(std::lround(v * DeltaSigmaModulator::kOne));
}

}  // namespace

RtlAdc::RtlAdc(const sc_core::sc_module_name& name, const AdcModelConfig& config,
               const RtlAdcConfig& rtl)
    : AdcDmaModel(name, config), m_rtl(rtl) {
  if (m_rtl.modulator_clock_hz == 0) {
    throw std::invalid_argument(std::string(this->name()) + ": modulator_clock_hz must be > 0");
  }
  seed_rng(this->config().seed);
  if (m_rtl.clock_per_activation) {
    m_clock = std::make_unique<sc_core::sc_clock>(
        "modulator_clock", sc_core::sc_time(1.0 / m_rtl.modulator_clock_hz, sc_core::SC_SEC));
  }
}

RtlAdc::~RtlAdc() = default;

unsigned RtlAdc::decimation_ratio(std::uint32_t modulator_clock_hz, std::uint32_t sample_rate_hz,
                                  std::string* why) {
  const auto fits = [&](std::uint32_t rate) {
    if (rate == 0 || modulator_clock_hz % rate != 0) return false;
    const std::uint32_t ratio = modulator_clock_hz / rate;
    return ratio >= 2 && ratio <= Sinc3Decimator::kMaxRatio;
  };
  if (fits(sample_rate_hz)) return modulator_clock_hz / sample_rate_hz;
  if (why != nullptr) {
    const std::string clock = std::to_string(modulator_clock_hz) + " Hz";
    const std::string rate = std::to_string(sample_rate_hz) + " Hz";
    if (sample_rate_hz == 0) {
      *why = "the sample rate must be > 0";
    } else if (modulator_clock_hz % sample_rate_hz != 0) {
      char ratio[32];
      std::snprintf(ratio, sizeof ratio, "%.2f", double(modulator_clock_hz) / sample_rate_hz);
      *why = "the RTL ADC's " + clock + " modulator clock is not a whole multiple of the " + rate +
             " sample rate (ratio " + ratio + "): its decimator divides by a whole number";
    } else {
      *why = "the RTL ADC's " + clock + " modulator clock / the " + rate +
             " sample rate = " + std::to_string(modulator_clock_hz / sample_rate_hz) +
             ": its decimator divides by 2 to " + std::to_string(Sinc3Decimator::kMaxRatio);
    }
    // The nearest sample rates that would do, below and above.
    std::string nearest;
    for (std::uint32_t r = sample_rate_hz; r-- > 1;) {
      if (fits(r)) {
        nearest = std::to_string(r) + " Hz (ratio " + std::to_string(modulator_clock_hz / r) + ")";
        break;
      }
    }
    for (std::uint32_t r = sample_rate_hz + 1; r <= modulator_clock_hz / 2; ++r) {
      if (fits(r)) {
        nearest += (nearest.empty() ? "" : " or ") + std::to_string(r) + " Hz (ratio " +
                   std::to_string(modulator_clock_hz / r) + ")";
        break;
      }
    }
    if (!nearest.empty()) *why += "; the nearest that fit: " + nearest;
  }
  return 0;
}

double RtlAdc::noise_power_gain(unsigned ratio) {
  // The sinc3 taps (box * box * box of `ratio` ones), newest clock first.
  const std::size_t r = ratio;
  std::vector<double> box2(2 * r - 1, 0.0);
  for (std::size_t i = 0; i < r; ++i) {
    for (std::size_t j = 0; j < r; ++j) box2[i + j] += 1;
  }
  std::vector<double> taps(3 * r - 2, 0.0);
  for (std::size_t i = 0; i < box2.size(); ++i) {
    for (std::size_t j = 0; j < r; ++j) taps[i + j] += box2[i];
  }
  // Counting back from the clock that completes a sample, the bit q clocks back follows the
  // input one clock earlier, which holds the sample (q + 1) / r stretches back: r - 1, r and
  // r - 1 clocks of the three samples.
  const double cube = static_cast<double>(r) * r * r;
  std::array<double, kWarmUpSamples> weight{};
  for (std::size_t q = 0; q < taps.size(); ++q) weight[(q + 1) / r] += taps[q] / cube;
  double power = 0;
  for (const double w : weight) power += w * w;
  return power;
}

void RtlAdc::seed_rng(std::uint64_t seed) {
  m_rng.reseed(seed);
  m_jitter_rng.reseed(seed ^ kJitterStream);
  m_rng_seed = seed;
}

fw::Status RtlAdc::accept(const fw::hal::AdcConfig& config, std::size_t frames_per_half) {
  const unsigned ratio = decimation_ratio(m_rtl.modulator_clock_hz, config.sample_rate_hz, nullptr);
  if (ratio == 0) return fw::Status::invalid_argument;
  if (frames_per_half + 1 > kMaxBlockSamples) return fw::Status::out_of_range;
  m_settings = Sinc3Settings::for_ratio(ratio, this->config().resolution_bits);
  m_noise_scale = 1 / std::sqrt(noise_power_gain(ratio));
  m_bits.assign(ratio, 0);
  m_jittered.assign(ratio, Inputs{});
  return fw::Status::ok;
}

void RtlAdc::restart(std::uint64_t) {
  // Done by the conversion thread itself, at its next block: a start() from the firmware may
  // come while a clocked half is still in flight.
  m_restart = true;
}

void RtlAdc::convert(const BlockTime& time, fw::hal::AdcCode* out) {
  const AdcModelConfig& cfg = config();
  if (cfg.seed != m_rng_seed) seed_rng(cfg.seed);
  const std::size_t n = time.n;
  if (n == 0) return;
  // The samples one ahead of the frames: the last is the one taken now, at the half's end. A
  // run's first block also takes the sample of its first frame, to fill the decimator with.
  const std::size_t first = m_restart ? 1 : 0;
  BlockTime ahead = time;
  ahead.index = time.index + 1 - first;
  ahead.t0_s = static_cast<double>(ahead.index) * time.dt_s;
  ahead.n = n + first;
  for (std::size_t c = 0; c < kChannels; ++c) in[c]->sample(ahead, m_pin_v[c].data());

  // The front end, as the behavioural ADC's.
  std::uint64_t clipped = clip_front_end(m_pin_v, ahead.n);
  modulator_inputs(ahead.n);

  if (m_restart) {
    m_restart = false;
    m_decimator.reset(m_settings);
    m_modulators.reset();
    warm_up(m_inputs[0], m_inputs[1]);
  }
  for (std::size_t k = 0; k < n; ++k) {
    // Sample k+1's stretch completes frame k.
    modulate(m_inputs[first + k]);
    if (!decimate()) {
      // Never: every stretch is `ratio` clocks long, and so is the decimator's count.
      SC_REPORT_ERROR(name(), "the decimator's data_ready is out of step with the samples");
      return;
    }
    for (std::size_t c = 0; c < kChannels; ++c) out[k * kChannels + c] = m_decimator.code(c);
    clipped += static_cast<std::uint64_t>(__builtin_popcount(m_decimator.clipped()));
    m_previous = m_inputs[first + k];
  }
  count_clipped(clipped);
}

void RtlAdc::modulator_inputs(std::size_t n) {
  // v = (pin * (1 + gain) + bias) / reference - 1/2 + offset, in references: the behavioural
  // ADC's code / 2^bits - 1/2 before rounding. The noise is added per sample, as the front
  // end's anti-alias filter leaves it, scaled so that the codes carry noise_lsb_rms of it.
  const AdcModelConfig& cfg = config();
  const double full_scale = std::ldexp(1.0, static_cast<int>(cfg.resolution_bits));
  const double gain = (1 + cfg.gain_error_pct / 100) / cfg.reference_v;
  const double offset = cfg.bias_v / cfg.reference_v - 0.5 + cfg.offset_lsb / full_scale;
  const double sigma = cfg.noise_lsb_rms / full_scale * m_noise_scale;
  for (std::size_t c = 0; c < kChannels; ++c) {
    const double* pin = m_pin_v[c].data();
    if (sigma > 0) {
      for (std::size_t k = 0; k < n; ++k) {
        m_inputs[k][c] = to_fixed(pin[k] * gain + offset + sigma * irwin_hall_gaussian(m_rng));
      }
    } else {
      for (std::size_t k = 0; k < n; ++k) m_inputs[k][c] = to_fixed(pin[k] * gain + offset);
    }
  }
}

void RtlAdc::warm_up(const Inputs& first, const Inputs& second) {
  // The first frame's code spans the samples before, at and after it. The one before is not
  // asked of the plant (the run may start at t = 0): it is extrapolated from the next two,
  // and held for a stretch more in which the modulators settle from rest.
  Inputs before;
  for (std::size_t c = 0; c < kChannels; ++c) {
    const std::int64_t line = 2 * std::int64_t{first[c]} - second[c];
    before[c] = static_cast<std::int32_t>(std::clamp<std::int64_t>(
        line, -DeltaSigmaModulator::kInputLimit, DeltaSigmaModulator::kInputLimit));
  }
  const Inputs* stretches[kWarmUpSamples] = {&before, &before, &first};
  for (const Inputs* input : stretches) {
    m_modulators.run_held(*input, m_settings.ratio, m_bits.data());
    m_decimator.run(m_bits.data(), m_settings.ratio);
  }
  m_previous = first;
  m_modulator_clocks += std::uint64_t{kWarmUpSamples} * m_settings.ratio;
}

void RtlAdc::modulate(const Inputs& input) {
  const unsigned ratio = m_settings.ratio;
  const double jitter_clocks = config().clock_jitter_ns * 1e-9 * m_rtl.modulator_clock_hz;
  if (jitter_clocks > 0) {
    // Each modulator clock edge is off by its own e (all channels share it): it takes the
    // analog input at t + e, x + x' e to first order, with the slope from this sample and the
    // one before.
    std::array<double, kChannels> slope;  // per modulator clock
    for (std::size_t c = 0; c < kChannels; ++c) {
      slope[c] = static_cast<double>(input[c] - m_previous[c]) / ratio;
    }
    for (unsigned q = 0; q < ratio; ++q) {
      const double e = jitter_clocks * irwin_hall_gaussian(m_jitter_rng);
      for (std::size_t c = 0; c < kChannels; ++c) {
        m_jittered[q][c] = to_fixed((input[c] + slope[c] * e) / DeltaSigmaModulator::kOne);
      }
    }
    m_modulators.run(m_jittered.data(), ratio, m_bits.data());
  } else {
    m_modulators.run_held(input, ratio, m_bits.data());
  }
  m_modulator_clocks += ratio;
}

bool RtlAdc::decimate() {
  if (!m_clock) return m_decimator.run(m_bits.data(), m_settings.ratio);
  bool ready = false;
  for (unsigned q = 0; q < m_settings.ratio; ++q) {
    sc_core::wait(m_clock->posedge_event());
    ready = m_decimator.clock(m_bits[q]);
  }
  return ready;
}

}  // namespace amprig::models
