#include "metering/metering.h"

#include <cmath>

namespace amprig::fw {
namespace {

using hal::AdcCode;
using hal::kAdcChannels;

constexpr double kPi = 3.14159265358979323846;
constexpr double kSqrt2 = 1.41421356237309504880;
constexpr std::int32_t kMidScale = 32768;

// Bounds on what a mains cycle can be; wider than the 45..65 Hz the meter is specified for so that
// the edges of that range are measured, not clamped.
constexpr double kMinFrequencyHz = 40.0;
constexpr double kMaxFrequencyHz = 70.0;
// The zero-crossing detector re-arms only below this fraction of the reference's peak: noise and
// harmonics near the crossing cannot fire it twice.
constexpr double kHysteresisFraction = 0.1;
// The crossing level follows the reference's DC only when it has moved by more than this: within
// it, the window mean's own jitter (a fraction of a code) would shift crossings for nothing.
constexpr std::int32_t kLevelDeadbandCodes = 2;
// A synchronised window that finds no crossing ends at this multiple of the nominal length.
constexpr std::uint32_t kRunawayFactor = 2;
// Below this the power factor is meaningless and is reported as 0.
constexpr double kMinApparentVa = 1e-6;
// IT: a voltage input counts as wired from this star-referenced RMS on. Wired, a channel carries
// at least half the smallest line-to-line voltage (L1 and L2 only: U12 / 2, >= 42 V at 85 V);
// unwired, it reads ~0.
constexpr double kItWiredMinV = 20.0;
constexpr double kSqrt3 = 1.73205080756887729353;

// The DFT's local oscillator: a 32-bit phase accumulator indexing a 1024-point sine table, linearly
// interpolated. Without interpolation the index rounding (+-0.18 deg) beats with the signal at
// some frequencies (e.g. 50.1 Hz at 6.4 kHz) and turns the phasors by up to 0.08 deg; with it the
// basis is within 5e-6 for a few instructions per frame shared by the six channels.
constexpr int kSineBits = 10;
constexpr std::uint32_t kSineSize = 1u << kSineBits;
constexpr int kFractionBits = 32 - kSineBits;
constexpr std::uint32_t kFractionMask = (1u << kFractionBits) - 1;
constexpr float kFractionScale = 1.0f / static_cast<float>(1u << kFractionBits);

struct SineTable {
  float value[kSineSize + 1];  // the extra point lets interpolation read i + 1 without wrapping
};

// Taylor series, used on [-pi, pi] only, so that the compiler builds the table into flash.
constexpr double series_sin(double x) {
  double term = x;
  double sum = x;
  for (int n = 1; n < 30; ++n) {
    term *= -x * x / ((2.0 * n) * (2.0 * n + 1.0));
    sum += term;
  }
  return sum;
}

constexpr SineTable make_sine_table() {
  SineTable table{};
  for (std::uint32_t i = 0; i <= kSineSize; ++i) {
    double angle = 2.0 * kPi * i / kSineSize;
    if (angle > kPi) angle -= 2.0 * kPi;
    table.value[i] = static_cast<float>(series_sin(angle));
  }
  return table;
}

constexpr SineTable kSine = make_sine_table();

struct Basis {
  float cos;
  float sin;
};

inline Basis basis_at(std::uint32_t phase) {
  const std::uint32_t i = phase >> kFractionBits;
  const std::uint32_t j = (i + kSineSize / 4) & (kSineSize - 1);
  const float fraction = static_cast<float>(phase & kFractionMask) * kFractionScale;
  const float* t = kSine.value;
  return {t[j] + fraction * (t[j + 1] - t[j]), t[i] + fraction * (t[i + 1] - t[i])};
}

struct Phasor {
  double re;
  double im;
};

// a * conj(b)
Phasor times_conjugate(const Phasor& a, const Phasor& b) {
  return {a.re * b.re + a.im * b.im, a.im * b.re - a.re * b.im};
}

Phasor rotate(const Phasor& a, double angle_rad) {
  const double c = std::cos(angle_rad);
  const double s = std::sin(angle_rad);
  return {a.re * c - a.im * s, a.re * s + a.im * c};
}

// Angle of `a` relative to `reference`, in (-180, 180].
float relative_angle_deg(const Phasor& a, const Phasor& reference) {
  const Phasor r = times_conjugate(a, reference);
  double deg = std::atan2(r.im, r.re) * (180.0 / kPi);
  if (deg <= -180.0) deg += 360.0;
  return static_cast<float>(deg);
}

bool valid_calibration(const ChannelCalibration& c) {
  return std::isfinite(c.gain) && c.gain != 0.0f && std::isfinite(c.phase_deg) &&
         std::fabs(c.phase_deg) <= 20.0f;
}

}  // namespace

Status Metering::configure(const MeteringConfig& config) {
  if (config.sample_rate_hz < 1000 || config.sample_rate_hz > 200000) return Status::out_of_range;
  if (!(config.nominal_frequency_hz >= 45.0f && config.nominal_frequency_hz <= 65.0f)) {
    return Status::out_of_range;
  }
  // At least a few cycles, and few enough samples that the int64 sums cannot overflow.
  if (!(config.window_s >= 0.05f && config.window_s <= 2.0f)) return Status::out_of_range;
  if (!(config.sync_min_voltage_v >= 0.0f) || !std::isfinite(config.sync_min_voltage_v)) {
    return Status::invalid_argument;
  }
  for (int p = 0; p < kPhases; ++p) {
    if (!valid_calibration(config.voltage[p]) || !valid_calibration(config.current[p])) {
      return Status::invalid_argument;
    }
  }
  // Each phase must be measured by exactly one input: never twice, never not at all.
  int inputs_on_phase[kPhases] = {};
  for (int k = 0; k < kPhases; ++k) {
    if (config.scheme.phase[k] >= kPhases) return Status::invalid_argument;
    ++inputs_on_phase[config.scheme.phase[k]];
  }
  for (int p = 0; p < kPhases; ++p) {
    if (inputs_on_phase[p] != 1) return Status::invalid_argument;
  }
  m_config = config;
  for (int k = 0; k < kPhases; ++k) {
    m_current_channel[config.scheme.phase[k]] = hal::kI1 + k;
    m_current_gain[k] =
        config.scheme.inverted[k] ? -config.current[k].gain : config.current[k].gain;
  }
  m_configured = true;
  m_target_samples = static_cast<double>(config.sample_rate_hz) * config.window_s;
  m_nominal_samples = static_cast<std::uint32_t>(std::lround(m_target_samples));
  for (int p = 0; p < kPhases; ++p) {
    m_energy_import_mj[p] = 0;
    m_energy_export_mj[p] = 0;
    m_import_remainder_mj[p] = 0;
    m_export_remainder_mj[p] = 0;
  }
  m_sample_index = 0;
  m_nco_phase = 0;
  for (auto& code : m_last_frame) code = kMidScale;
  restart();
  return Status::ok;
}

void Metering::restart() {
  m_latest = Measurements{};
  for (int p = 0; p < kPhases; ++p) {
    m_latest.phase[p].energy_import_mj = m_energy_import_mj[p];
    m_latest.phase[p].energy_export_mj = m_energy_export_mj[p];
  }
  for (auto& dc : m_dc_code) dc = kMidScale;
  for (auto& v : m_channel_rms_v) v = 0.0f;
  m_reference = -1;
  m_armed = false;
  m_have_previous_crossing = false;
  set_nco_frequency(m_config.nominal_frequency_hz);
  begin_window(static_cast<double>(m_sample_index) - 0.5, 0.0, m_last_frame, false);
}

void Metering::process(Span<const AdcCode> frames) {
  if (!m_configured) return;
  const std::size_t count = frames.size() / kAdcChannels;
  const AdcCode* data = frames.data();
  std::size_t k = 0;
  while (k < count) {
    Event event = Event::none;
    const AdcCode* from = data + k * kAdcChannels;
    // TN runs the loop without the IT cross products: its per-frame cost is unchanged.
    if (m_config.network == NetworkType::it) {
      k += m_reference >= 0 ? accumulate<true, true>(from, count - k, &event)
                            : accumulate<false, true>(from, count - k, &event);
    } else {
      k += m_reference >= 0 ? accumulate<true, false>(from, count - k, &event)
                            : accumulate<false, false>(from, count - k, &event);
    }
    if (event == Event::none) break;
    // Frame k raised the event and is not accumulated yet: it belongs to whichever window
    // is open once the event has been handled.
    const AdcCode* frame = data + k * kAdcChannels;
    const AdcCode* previous = k > 0 ? frame - kAdcChannels : m_last_frame;
    if (event == Event::crossing) {
      on_crossing(frame, previous);
    } else {
      close_window(static_cast<double>(m_sample_index) - 0.5, 0.0, frame, false, false, false);
    }
  }
  if (count > 0) {
    const AdcCode* last = data + (count - 1) * kAdcChannels;
    for (int ch = 0; ch < kAdcChannels; ++ch) m_last_frame[ch] = last[ch];
  }
}

// The per-sample work. State is copied into locals so that it stays in registers; the loop
// leaves on the first event (window full, reference crossing) without accumulating that frame.
template <bool kSynchronising, bool kLineToLine>
std::size_t Metering::accumulate(const AdcCode* frames, std::size_t count, Event* event) {
  std::uint64_t sum[kAdcChannels];
  std::uint64_t sum_sq[kAdcChannels];
  float dft_re[kAdcChannels];
  float dft_im[kAdcChannels];
  std::int32_t dc[kAdcChannels];
  for (int ch = 0; ch < kAdcChannels; ++ch) {
    sum[ch] = static_cast<std::uint64_t>(m_acc[ch].sum);
    sum_sq[ch] = static_cast<std::uint64_t>(m_acc[ch].sum_sq);
    dft_re[ch] = m_acc[ch].dft_re;
    dft_im[ch] = m_acc[ch].dft_im;
    dc[ch] = m_dc_code[ch];
  }
  std::uint64_t sum_vi[kPhases];
  for (int p = 0; p < kPhases; ++p) sum_vi[p] = static_cast<std::uint64_t>(m_sum_vi[p]);
  std::uint64_t sum_vv[kPhases] = {};
  if constexpr (kLineToLine) {
    for (int p = 0; p < kPhases; ++p) sum_vv[p] = static_cast<std::uint64_t>(m_sum_vv[p]);
  }
  float sum_cos = m_sum_cos;
  float sum_sin = m_sum_sin;
  std::uint32_t phase = m_nco_phase;
  const std::uint32_t step = m_nco_step;
  std::uint32_t samples = m_samples_in_window;
  const std::uint32_t limit = m_window_limit;
  // The current scheme's channel per phase, one per byte: the loop's fifteen 64-bit sums already
  // outnumber the registers, and three more indices cost ~20 % per frame where this costs ~4 %.
  const std::uint32_t current_channels = static_cast<std::uint32_t>(m_current_channel[0]) |
                                         static_cast<std::uint32_t>(m_current_channel[1]) << 8 |
                                         static_cast<std::uint32_t>(m_current_channel[2]) << 16;
  const int reference = kSynchronising ? m_reference : 0;
  const std::int32_t reference_level = m_reference_level_code;
  const std::int32_t arm_below = -m_hysteresis_code;
  bool armed = m_armed;

  std::size_t k = 0;
  for (; k < count; ++k) {
    const AdcCode* f = frames + k * kAdcChannels;
    if (samples >= limit) {
      *event = Event::window_full;
      break;
    }
    if constexpr (kSynchronising) {
      const std::int32_t x = static_cast<std::int32_t>(f[reference]) - reference_level;
      if (x < arm_below) {
        armed = true;
      } else if (armed && x >= 0) {
        armed = false;
        *event = Event::crossing;
        break;
      }
    }
    const Basis b = basis_at(phase);
    phase += step;
    sum_cos += b.cos;
    sum_sin += b.sin;
#pragma GCC unroll 6
    for (int ch = 0; ch < kAdcChannels; ++ch) {
      const std::uint32_t c = f[ch];
      sum[ch] += c;
      sum_sq[ch] += c * c;
      const float x = static_cast<float>(static_cast<std::int32_t>(c) - dc[ch]);
      dft_re[ch] += x * b.cos;
      dft_im[ch] += x * b.sin;
    }
    sum_vi[0] += std::uint32_t{f[hal::kV1]} * std::uint32_t{f[current_channels & 0xff]};
    sum_vi[1] += std::uint32_t{f[hal::kV2]} * std::uint32_t{f[(current_channels >> 8) & 0xff]};
    sum_vi[2] += std::uint32_t{f[hal::kV3]} * std::uint32_t{f[current_channels >> 16]};
    if constexpr (kLineToLine) {
      sum_vv[0] += std::uint32_t{f[hal::kV1]} * std::uint32_t{f[hal::kV2]};
      sum_vv[1] += std::uint32_t{f[hal::kV2]} * std::uint32_t{f[hal::kV3]};
      sum_vv[2] += std::uint32_t{f[hal::kV3]} * std::uint32_t{f[hal::kV1]};
    }
    ++samples;
  }

  for (int ch = 0; ch < kAdcChannels; ++ch) {
    m_acc[ch].sum = static_cast<std::int64_t>(sum[ch]);
    m_acc[ch].sum_sq = static_cast<std::int64_t>(sum_sq[ch]);
    m_acc[ch].dft_re = dft_re[ch];
    m_acc[ch].dft_im = dft_im[ch];
  }
  for (int p = 0; p < kPhases; ++p) m_sum_vi[p] = static_cast<std::int64_t>(sum_vi[p]);
  if constexpr (kLineToLine) {
    for (int p = 0; p < kPhases; ++p) m_sum_vv[p] = static_cast<std::int64_t>(sum_vv[p]);
  }
  m_sum_cos = sum_cos;
  m_sum_sin = sum_sin;
  m_nco_phase = phase;
  m_samples_in_window = samples;
  m_armed = armed;
  m_sample_index += k;
  return k;
}

void Metering::on_crossing(const AdcCode* frame, const AdcCode* previous) {
  const int ref = m_reference;
  const double level = m_reference_level_code;
  const double before = static_cast<double>(previous[ref]) - level;
  const double after = static_cast<double>(frame[ref]) - level;
  // Linear interpolation between the last sample below the level and the first at or above it.
  const double fraction = before < 0.0 ? before / (before - after) : 0.0;
  const double t = static_cast<double>(m_sample_index) - 1.0 + fraction;

  const double fs = m_config.sample_rate_hz;
  double period = fs / m_nco_frequency_hz;
  if (m_have_previous_crossing) {
    const double since = t - m_previous_crossing_t;
    // Far sooner than any mains cycle: a glitch the hysteresis did not stop.
    if (since < 0.5 * fs / kMaxFrequencyHz) return;
    if (since > fs / kMinFrequencyHz) {
      // Cycles were missed (a sag, a dropout): the crossings before this one cannot be counted
      // as consecutive cycles, so the window no longer spans a known number of them.
      m_start_on_crossing = false;
      m_crossings = 0;
    } else {
      period = since;
    }
  }
  m_have_previous_crossing = true;
  m_previous_crossing_t = t;
  // Sample k's period is [k - 0.5, k + 0.5]; a crossing at k - 1 + fraction splits either
  // sample k - 1's period (fraction < 0.5) or sample k's.
  const double weight = fraction - 0.5;
  const double edge_code = (weight < 0.0 ? previous : frame)[ref];
  const double sum_to_crossing = static_cast<double>(m_acc[ref].sum) + weight * edge_code;
  const double samples_to_crossing = static_cast<double>(m_samples_in_window) + weight;
  if (m_crossings == 0) {
    m_first_crossing_t = t;
    m_cycle_start_sum = sum_to_crossing;
    m_cycle_start_samples = samples_to_crossing;
  }
  ++m_crossings;
  m_last_crossing_t = t;

  // End on the crossing that brings the window closest to its target length: for a window that
  // began on a crossing, the whole number of cycles closest to window_s.
  if (t - m_window_start_t + 0.5 * period < m_target_samples) return;

  bool level_moved = false;
  bool next_on_crossing = true;
  double end_fraction = fraction;
  if (m_crossings >= 2) {
    const double mean =
        (sum_to_crossing - m_cycle_start_sum) / (samples_to_crossing - m_cycle_start_samples);
    const auto new_level = static_cast<std::int32_t>(std::lround(mean));
    const std::int32_t moved = new_level - m_reference_level_code;
    if (moved > kLevelDeadbandCodes || moved < -kLevelDeadbandCodes) {
      // Re-time this crossing at the new level, so that the next window starts and ends on
      // crossings of one level. This window mixes levels and is not whole cycles.
      level_moved = true;
      m_reference_level_code = new_level;
      const double b = static_cast<double>(previous[ref]) - new_level;
      const double a = static_cast<double>(frame[ref]) - new_level;
      if (b < 0.0 && a >= 0.0) {
        end_fraction = b / (b - a);
      } else {
        next_on_crossing = false;  // the new level is not crossed between these two samples
      }
    }
  }
  const double end_t = static_cast<double>(m_sample_index) - 1.0 + end_fraction;
  const double end_weight = end_fraction - 0.5;
  m_previous_crossing_t = end_t;
  close_window(end_t, end_weight, end_weight < 0.0 ? previous : frame, true, !level_moved,
               next_on_crossing);
}

void Metering::close_window(double end_t, double edge_weight, const AdcCode* edge_frame,
                            bool at_crossing, bool whole_cycles, bool next_on_crossing) {
  const double length = static_cast<double>(m_samples_in_window) + edge_weight - m_start_weight;
  publish(length, edge_weight, edge_frame, m_start_on_crossing && whole_cycles);

  // The reference is a voltage channel, on IT too: there each channel is its line against the
  // star point, crossing 30 degrees before the line-to-line voltage that follows it (exactly with
  // U12 when only L1 and L2 are wired, the channel then being U12 / 2). Any consistent reference
  // makes whole-cycle windows; the reported angles are taken against U12 in publish().
  int reference = -1;
  for (int p = 0; p < kPhases; ++p) {
    if (m_channel_rms_v[p] >= m_config.sync_min_voltage_v) {
      reference = p;
      break;
    }
  }
  const bool same_reference = reference >= 0 && reference == m_reference;
  if (!same_reference || !at_crossing) {
    // A new reference, or the old one lost (its level may have left the signal's range): start
    // from this window's mean. It is biased if the window was not whole cycles, but the next
    // window does not start on a crossing either, and it measures the unbiased level.
    m_armed = false;
    m_have_previous_crossing = false;
    if (reference >= 0) m_reference_level_code = m_dc_code[reference];
  }
  m_reference = reference;
  if (reference >= 0) {
    const double rms_code =
        m_channel_rms_v[reference] / std::fabs(m_config.voltage[reference].gain);
    const long hysteresis = std::lround(kHysteresisFraction * kSqrt2 * rms_code);
    m_hysteresis_code = hysteresis > 1 ? static_cast<std::int32_t>(hysteresis) : 1;
  }
  const float f = m_latest.frequency_hz;
  if (f >= kMinFrequencyHz && f <= kMaxFrequencyHz) {
    set_nco_frequency(f);
  } else if (reference < 0) {
    set_nco_frequency(m_config.nominal_frequency_hz);
  }
  begin_window(end_t, edge_weight, edge_frame, next_on_crossing && same_reference);
}

void Metering::publish(double length, double end_weight, const AdcCode* end_edge,
                       bool synchronised) {
  const double fs = m_config.sample_rate_hz;
  const std::int64_t count = m_samples_in_window;
  const double start_weight = m_start_weight;
  const Basis end_basis = basis_at(end_weight < 0.0 ? m_nco_phase - m_nco_step : m_nco_phase);
  const double sum_cos = m_sum_cos + end_weight * end_basis.cos - start_weight * m_start_cos;
  const double sum_sin = m_sum_sin + end_weight * end_basis.sin - start_weight * m_start_sin;

  // Per channel, about the DC estimate b the window was accumulated with: the integer sums are
  // re-centred exactly, then the fractional edge samples are added.
  double mean[kAdcChannels];  // relative to b
  double variance[kAdcChannels];
  double rms_code[kAdcChannels];
  Phasor phasor[kAdcChannels];  // fundamental, RMS, physical units
  for (int ch = 0; ch < kAdcChannels; ++ch) {
    const ChannelAccumulator& a = m_acc[ch];
    const std::int64_t b = m_dc_code[ch];
    const std::int64_t s1 = a.sum - b * count;
    const std::int64_t s2 = a.sum_sq - 2 * b * a.sum + b * b * count;
    const double x_end = static_cast<double>(end_edge[ch]) - static_cast<double>(b);
    const double x_start = static_cast<double>(m_start_edge[ch]) - static_cast<double>(b);
    const double sx = static_cast<double>(s1) + end_weight * x_end - start_weight * x_start;
    const double sxx =
        static_cast<double>(s2) + end_weight * x_end * x_end - start_weight * x_start * x_start;
    mean[ch] = sx / length;
    variance[ch] = sxx / length - mean[ch] * mean[ch];
    rms_code[ch] = variance[ch] > 0.0 ? std::sqrt(variance[ch]) : 0.0;

    const double re = a.dft_re + end_weight * x_end * end_basis.cos -
                      start_weight * x_start * m_start_cos - mean[ch] * sum_cos;
    const double im = a.dft_im + end_weight * x_end * end_basis.sin -
                      start_weight * x_start * m_start_sin - mean[ch] * sum_sin;
    const double gain = ch < kPhases ? m_config.voltage[ch].gain : m_current_gain[ch - kPhases];
    const double scale = gain * kSqrt2 / length;
    phasor[ch] = {re * scale, -im * scale};  // sum of x * exp(-j phase)
  }

  // Covariance in codes² of channels a and b over the window, from their integer sum of
  // products: re-centred on the DC estimates exactly, then the fractional edge samples added.
  const auto covariance = [&](std::int64_t sum_ab, int a, int b) {
    const std::int64_t ba = m_dc_code[a];
    const std::int64_t bb = m_dc_code[b];
    const std::int64_t centred = sum_ab - bb * m_acc[a].sum - ba * m_acc[b].sum + ba * bb * count;
    const double s = static_cast<double>(centred) +
                     end_weight * (end_edge[a] - ba) * (end_edge[b] - bb) -
                     start_weight * (m_start_edge[a] - ba) * (m_start_edge[b] - bb);
    return s / length - mean[a] * mean[b];
  };

  for (int ch = 0; ch < kPhases; ++ch) {
    m_channel_rms_v[ch] = static_cast<float>(
        std::fabs(static_cast<double>(m_config.voltage[ch].gain)) * rms_code[ch]);
  }

  const double measured_hz = m_crossings >= 2 && m_last_crossing_t > m_first_crossing_t
                                 ? (m_crossings - 1) * fs / (m_last_crossing_t - m_first_crossing_t)
                                 : 0.0;
  const double frequency_hz = measured_hz > 0.0 ? measured_hz : m_nco_frequency_hz;
  const double length_s = length / fs;

  // IT (see MeteringConfig::network). Voltage channel k carries line k against the star point of
  // the wired lines' dividers; an unwired channel reads ~0.
  // - Line pair p (U12, U23, U31: channels p and p + 1) is measured when both its lines are wired.
  //   Its RMS is exact, harmonics included: var(ga a - gb b) from the integer sums of a^2, b^2 and
  //   a b; its fundamental is the difference of the channels' phasors (the DFT is linear). A pair
  //   that is not measured is reported as 0 V (angle 0), never guessed.
  // - Three lines wired: the channels are the star-equivalent voltages, and power is taken
  //   against them exactly as on TN (active power from the integer sums, harmonics included).
  // - Two lines wired (L1 and L2: the standard installation without generation): the star
  //   voltages are derived from the one measured pair assuming a symmetric supply in the right
  //   sequence, V_p* = U_p,p+1 / sqrt(3) at -30 deg, the next line's at -120 deg from it, the
  //   other's at +120 deg. Power is then the fundamental's only, P + jQ = V* conj(I), and the
  //   apparent power |V*| I_rms: harmonics are not included in this mode. The total is the
  //   two-wattmeter result Re(U13 conj(I1)) + Re(U23 conj(I2)) whenever I1 + I2 + I3 = 0.
  // - Angles are relative to U12's fundamental; without U12 (L1 or L2 not wired) they are 0.
  const bool it = m_config.network == NetworkType::it;
  double line_rms_v[kPhases] = {};
  Phasor line[kPhases] = {};
  bool line_measured[kPhases] = {};
  Phasor star[kPhases] = {};
  bool symmetric = false;  // star voltages derived from one line pair
  if (it) {
    bool wired[kPhases];
    int wired_count = 0;
    for (int ch = 0; ch < kPhases; ++ch) {
      wired[ch] = m_channel_rms_v[ch] >= kItWiredMinV;
      wired_count += wired[ch] ? 1 : 0;
    }
    for (int p = 0; p < kPhases; ++p) {
      const int a = p;
      const int b = (p + 1) % kPhases;
      line_measured[p] = wired[a] && wired[b];
      if (!line_measured[p]) continue;
      const double cov_ab = covariance(m_sum_vv[p], a, b);
      const double ga = m_config.voltage[a].gain;
      const double gb = m_config.voltage[b].gain;
      const double var = ga * ga * variance[a] + gb * gb * variance[b] - 2.0 * ga * gb * cov_ab;
      line_rms_v[p] = var > 0.0 ? std::sqrt(var) : 0.0;
      line[p] = {phasor[a].re - phasor[b].re, phasor[a].im - phasor[b].im};
    }
    if (wired_count == 2) {
      for (int w = 0; w < kPhases; ++w) {
        if (!line_measured[w]) continue;
        symmetric = true;
        const Phasor v = rotate({line[w].re / kSqrt3, line[w].im / kSqrt3}, -kPi / 6.0);
        star[w] = v;
        star[(w + 1) % kPhases] = rotate(v, -2.0 * kPi / 3.0);
        star[(w + 2) % kPhases] = rotate(v, 2.0 * kPi / 3.0);
      }
    }
  }
  const Phasor* angle_reference = nullptr;
  if (it) {
    if (line_measured[0] && line_rms_v[0] >= m_config.sync_min_voltage_v) {
      angle_reference = &line[0];
    }
  } else if (m_channel_rms_v[0] >= m_config.sync_min_voltage_v) {
    angle_reference = &phasor[hal::kV1];
  }

  Measurements& out = m_scratch;
  out = Measurements{};
  double total_power_w = 0.0;
  for (int p = 0; p < kPhases; ++p) {
    const int v = p;
    const int i = m_current_channel[p];
    const int input = i - kPhases;
    const double gain_v = m_config.voltage[p].gain;
    const double gain_i = m_current_gain[input];

    // The CT's lead (magnetising inductance: inversely proportional to frequency) is removed from
    // the current's fundamental. A lead of d makes a resistive load look capacitive: measured
    // S1 = V conj(I e^{jd}) = S1_true e^{-jd}, so S1_true = S1 e^{jd}. Only the fundamental's part
    // of P is corrected; a harmonic of order h sees a lead of d / h, not d.
    const double lead_rad = m_config.current[input].phase_deg * (kPi / 180.0) *
                            (m_config.nominal_frequency_hz / frequency_hz);
    const Phasor current = rotate(phasor[i], -lead_rad);

    PhaseMeasurement& m = out.phase[p];
    m.voltage_v = it ? static_cast<float>(line_rms_v[p]) : m_channel_rms_v[p];
    m.current_a = static_cast<float>(std::fabs(gain_i) * rms_code[i]);
    double active_w = 0.0;
    double reactive_var = 0.0;
    double star_v = 0.0;  // the voltage power is taken against: RMS, or |V*| when symmetric
    if (symmetric) {
      const Phasor s1 = times_conjugate(star[p], current);
      active_w = s1.re;
      reactive_var = s1.im;
      star_v = std::hypot(star[p].re, star[p].im);
    } else {
      const double power_w = gain_v * gain_i * covariance(m_sum_vi[p], v, i);
      const Phasor s1_measured = times_conjugate(phasor[v], phasor[i]);
      const Phasor s1 = times_conjugate(phasor[v], current);
      active_w = power_w + (s1.re - s1_measured.re);
      reactive_var = s1.im;
      star_v = m_channel_rms_v[p];
    }
    const double apparent_va = star_v * m.current_a;
    m.power_w = static_cast<float>(active_w);
    m.reactive_var = static_cast<float>(reactive_var);
    m.apparent_va = static_cast<float>(apparent_va);
    if (apparent_va >= kMinApparentVa) {
      const double pf = active_w / apparent_va;
      m.power_factor = static_cast<float>(pf > 1.0 ? 1.0 : pf < -1.0 ? -1.0 : pf);
    }
    if (angle_reference != nullptr) {
      if (!it) {
        m.voltage_angle_deg = relative_angle_deg(phasor[v], *angle_reference);
      } else if (line_measured[p]) {
        m.voltage_angle_deg = relative_angle_deg(line[p], *angle_reference);
      }
      m.current_angle_deg = relative_angle_deg(current, *angle_reference);
    }

    const double energy_mj = active_w * length_s * 1000.0;
    if (energy_mj >= 0.0) {
      m_import_remainder_mj[p] += energy_mj;
      const double whole = std::floor(m_import_remainder_mj[p]);
      m_energy_import_mj[p] += static_cast<std::int64_t>(whole);
      m_import_remainder_mj[p] -= whole;
    } else {
      m_export_remainder_mj[p] -= energy_mj;
      const double whole = std::floor(m_export_remainder_mj[p]);
      m_energy_export_mj[p] += static_cast<std::int64_t>(whole);
      m_export_remainder_mj[p] -= whole;
    }
    m.energy_import_mj = m_energy_import_mj[p];
    m.energy_export_mj = m_energy_export_mj[p];
    total_power_w += active_w;
  }
  out.frequency_hz = static_cast<float>(measured_hz);
  out.total_power_w = static_cast<float>(total_power_w);
  out.window_count = m_latest.window_count + 1;
  out.window_end_sample = m_sample_index;
  out.synchronised = synchronised;
  m_latest = out;

  for (int ch = 0; ch < kAdcChannels; ++ch) {
    const long dc = std::lround(static_cast<double>(m_dc_code[ch]) + mean[ch]);
    m_dc_code[ch] = static_cast<std::int32_t>(dc < 0 ? 0 : dc > 65535 ? 65535 : dc);
  }
}

void Metering::begin_window(double start_t, double edge_weight, const AdcCode* edge_frame,
                            bool at_crossing) {
  for (auto& a : m_acc) a = ChannelAccumulator{};
  for (auto& s : m_sum_vi) s = 0;
  for (auto& s : m_sum_vv) s = 0;
  m_sum_cos = 0.0f;
  m_sum_sin = 0.0f;
  m_samples_in_window = 0;
  m_window_start_t = start_t;
  // The sample period cut by the boundary is counted here with the opposite sign to the window
  // that just ended, so that consecutive windows tile time (and energy) exactly.
  m_start_weight = edge_weight;
  for (int ch = 0; ch < kAdcChannels; ++ch) m_start_edge[ch] = edge_frame[ch];
  const Basis b = basis_at(edge_weight < 0.0 ? m_nco_phase - m_nco_step : m_nco_phase);
  m_start_cos = b.cos;
  m_start_sin = b.sin;
  m_start_on_crossing = at_crossing;
  m_crossings = at_crossing ? 1 : 0;
  m_first_crossing_t = start_t;
  m_last_crossing_t = start_t;
  // A start on a crossing is the start of the whole-cycle span, with the same edge correction.
  const bool on_reference = at_crossing && m_reference >= 0;
  m_cycle_start_sum = on_reference ? edge_weight * edge_frame[m_reference] : 0.0;
  m_cycle_start_samples = on_reference ? edge_weight : 0.0;
  m_window_limit = m_reference >= 0 ? kRunawayFactor * m_nominal_samples : m_nominal_samples;
}

void Metering::set_nco_frequency(float frequency_hz) {
  m_nco_frequency_hz = frequency_hz;
  const double cycles_per_sample = frequency_hz / static_cast<double>(m_config.sample_rate_hz);
  m_nco_step = static_cast<std::uint32_t>(std::llround(cycles_per_sample * 4294967296.0));
}

}  // namespace amprig::fw
