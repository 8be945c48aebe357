#include "mains/mains.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "common/oscillator.h"

namespace amprig::models {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kTwoPi = 2.0 * kPi;
constexpr double kSqrt2 = 1.41421356237309504880;
constexpr double kSqrt3 = 1.73205080756887729353;
constexpr double kMinFrequencyHz = 45;
constexpr double kMaxFrequencyHz = 65;

// truth_shape's cache holds this many: offset 0 and the IT line-to-line offsets.
constexpr std::size_t kTruthShapes = 4;

bool same_harmonics(const std::vector<Harmonic>& a, const std::vector<Harmonic>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].order != b[i].order || a[i].percent != b[i].percent ||
        a[i].phase_deg != b[i].phase_deg) {
      return false;
    }
  }
  return true;
}

double wrap_angle(double theta_rad) {
  theta_rad = std::fmod(theta_rad, kTwoPi);
  return theta_rad < 0 ? theta_rad + kTwoPi : theta_rad;
}

}  // namespace

Mains::Mains(const sc_core::sc_module_name& name, const MainsConfig& config)
    : sc_core::sc_module(name), out("out"), m_config(config), m_frequency_hz(config.frequency_hz) {
  if (const std::string problem = check(m_config); !problem.empty()) {
    throw std::invalid_argument(std::string(this->name()) + ": " + problem);
  }
  out.bind(*this);
}

std::string Mains::check(const MainsConfig& config) {
  if (!(config.frequency_hz >= kMinFrequencyHz && config.frequency_hz <= kMaxFrequencyHz)) {
    return "frequency_hz = " + std::to_string(config.frequency_hz) + " is outside 45..65 Hz";
  }
  if (!(config.voltage_v >= 0)) return "voltage_v must be >= 0";
  bool seen[kPhases] = {false, false, false};
  for (Phase p : config.sequence) {
    if (p < L1 || p > L3 || seen[p]) return "sequence must name L1, L2 and L3 once each";
    seen[p] = true;
  }
  for (double level : config.level) {
    if (!(level >= 0)) return "level must be >= 0";
  }
  if (!(config.common_level >= 0)) return "common_level must be >= 0";
  if (!std::isfinite(config.frequency_drift_hz_per_s)) {
    return "frequency_drift_hz_per_s must be finite";
  }
  for (const Harmonic& h : config.harmonics) {
    if (h.order < 2 || h.order > 50) {
      return "harmonic order " + std::to_string(h.order) + " is outside 2..50";
    }
    if (!(h.percent >= 0)) return "harmonic percent must be >= 0";
  }
  return {};
}

double Mains::initial_angle_rad(Phase phase) const {
  for (int k = 0; k < kPhases; ++k) {
    if (m_config.sequence[k] == phase) return -k * (kTwoPi / 3.0);
  }
  return 0;  // unreachable for a validated sequence
}

double Mains::angle_offset_rad(Phase phase) const {
  const double offset_rad = initial_angle_rad(phase) - initial_angle_rad(L1);
  return offset_rad > 0 ? offset_rad - kTwoPi : offset_rad;
}

double Mains::harmonic_pct(int order) const {
  for (const Harmonic& h : m_config.harmonics) {
    if (h.order == order) return h.percent;
  }
  return 0;
}

void Mains::set_harmonic_pct(int order, double percent) {
  for (Harmonic& h : m_config.harmonics) {
    if (h.order == order) {
      h.percent = percent;
      return;
    }
  }
  m_config.harmonics.push_back(Harmonic{order, percent, 0});
}

double Mains::amplitude_v(Phase phase) const {
  if (!present(phase)) return 0;
  // IT: no neutral, so a phase's voltage is measured from the source's star
  // point, which sits at the mean of the three lines.
  const double star_rms_v =
      m_config.network == Network::it ? m_config.voltage_v / kSqrt3 : m_config.voltage_v;
  return kSqrt2 * star_rms_v * m_config.level[phase] * m_config.common_level;
}

const MainsBlock& Mains::block(const BlockTime& time) {
  if (m_have_block && time.index == m_block.time.index && time.n == m_block.time.n &&
      time.dt_s == m_block.time.dt_s) {
    return m_block;
  }
  if (time.n > kMaxBlockSamples) {
    SC_REPORT_ERROR(name(), "block longer than kMaxBlockSamples requested");
    return m_block;
  }
  // Drift is applied block by block: the frequency is constant within a block
  // (10 ms at most in the rig), and each block continues the last one's phase. The
  // rate moves the frequency from the block in which it was set on, as any change
  // does: f(t0) = f(set) + rate * (t0 - that block's start). A frequency set since
  // the last block is that block's frequency as it stands.
  const bool frequency_set = m_config.frequency_hz != m_frequency_hz;
  if (m_drift_hz_per_s != 0 && time.t0_s > m_drift_from_s && !frequency_set) {
    m_config.frequency_hz =
        std::clamp(m_config.frequency_hz + m_drift_hz_per_s * (time.t0_s - m_drift_from_s),
                   kMinFrequencyHz, kMaxFrequencyHz);
  }
  m_drift_from_s = std::max(m_drift_from_s, time.t0_s);
  m_drift_hz_per_s = m_config.frequency_drift_hz_per_s;
  m_frequency_hz = m_config.frequency_hz;
  const double f_hz = m_config.frequency_hz;
  if (!(f_hz >= kMinFrequencyHz && f_hz <= kMaxFrequencyHz)) {
    SC_REPORT_ERROR(name(),
                    ("frequency_hz = " + std::to_string(f_hz) + " is outside 45..65 Hz").c_str());
  }
  const double omega_rad_s = kTwoPi * f_hz;

  // A block that follows on from the last starts exactly where it ended, which
  // makes frequency changes phase-continuous. Any other block (the first, or
  // one after the ADC was stopped) is placed by its start time at the present
  // frequency.
  const bool follows = m_have_block && time.index == m_next_index && time.dt_s == m_block.time.dt_s;
  if (!follows) m_theta_rad = wrap_angle(m_theta_rad + omega_rad_s * (time.t0_s - m_next_t0_s));

  m_block.time = time;
  const std::size_t n = time.n;
  const double dtheta_rad = omega_rad_s * time.dt_s;
  for (int p = 0; p < kPhases; ++p) {
    const Phase phase = static_cast<Phase>(p);
    const double theta0_rad = m_theta_rad + initial_angle_rad(phase);
    const bool live = present(phase);
    m_block.present[p] = live ? 1.0 : 0.0;

    // The fundamental's unit phasor is filled even for a lost phase: it is the
    // grid's angle, which a load or a CT may still want to refer to.
    double* c_out = m_block.cos_theta[p].data();
    double* s_out = m_block.sin_theta[p].data();
    double* v_out = m_block.v[p].data();
    const double peak_v = amplitude_v(phase);
    // The fundamental's samples in the same pass.
    rotate_phasor(n, std::cos(theta0_rad), std::sin(theta0_rad), std::cos(dtheta_rad),
                  std::sin(dtheta_rad), [=](std::size_t k, double re, double im) {
                    c_out[k] = re;
                    s_out[k] = im;
                    v_out[k] = peak_v * im;
                  });
    if (!live) continue;
    for (const Harmonic& h : m_config.harmonics) {
      const double phi0_rad = h.order * theta0_rad + h.phase_deg * (kPi / 180.0);
      add_rotating_sine(v_out, n, peak_v * h.percent / 100.0, std::cos(phi0_rad),
                        std::sin(phi0_rad), std::cos(h.order * dtheta_rad),
                        std::sin(h.order * dtheta_rad));
    }
  }

  m_have_block = true;
  m_theta_rad = wrap_angle(m_theta_rad + dtheta_rad * static_cast<double>(n));
  m_next_index = time.index + n;
  m_next_t0_s = time.t0_s + time.dt_s * static_cast<double>(n);
  return m_block;
}

double Mains::voltage_at(Phase phase, double theta_rad) const {
  if (!present(phase)) return 0;
  return amplitude_v(phase) * shape_at(theta_rad);
}

double Mains::shape_at(double theta_rad) const {
  // Closed form with std::sin: the ground-truth path, deliberately independent
  // of the block path's oscillators.
  double v = std::sin(theta_rad);
  for (const Harmonic& h : m_config.harmonics) {
    v += h.percent / 100.0 * std::sin(h.order * theta_rad + h.phase_deg * (kPi / 180.0));
  }
  return v;
}

const double* Mains::truth_shape(double offset_rad) const {
  for (const TruthShape& cached : m_truth_shapes) {
    if (cached.offset_rad == offset_rad && same_harmonics(cached.harmonics, m_config.harmonics)) {
      return cached.shape.data();
    }
  }
  if (m_truth_shapes.size() >= kTruthShapes) m_truth_shapes.erase(m_truth_shapes.begin());
  TruthShape entry;
  entry.offset_rad = offset_rad;
  entry.harmonics = m_config.harmonics;
  entry.shape.resize(TruthGrid::kPoints);
  const double* theta = TruthGrid::get().theta();
  for (int k = 0; k < TruthGrid::kPoints; ++k) entry.shape[k] = shape_at(theta[k] + offset_rad);
  m_truth_shapes.push_back(std::move(entry));
  return m_truth_shapes.back().shape.data();
}

void Mains::truth_voltages(Phase phase, double offset_rad, double* out) const {
  if (!present(phase)) {
    std::fill(out, out + TruthGrid::kPoints, 0.0);
    return;
  }
  const double* shape = truth_shape(offset_rad);
  const double amplitude = amplitude_v(phase);
  for (int k = 0; k < TruthGrid::kPoints; ++k) out[k] = amplitude * shape[k];
}

bool Mains::truth_key(Phase phase, double offset_rad, std::vector<double>& key) const {
  // What truth_voltages reads: presence, amplitude, the shape's offset and harmonics.
  if (!present(phase)) {
    key.push_back(0);
    return true;
  }
  key.insert(key.end(),
             {1.0, amplitude_v(phase), offset_rad, static_cast<double>(m_config.harmonics.size())});
  for (const Harmonic& h : m_config.harmonics) {
    key.insert(key.end(), {static_cast<double>(h.order), h.percent, h.phase_deg});
  }
  return true;
}

}  // namespace amprig::models
