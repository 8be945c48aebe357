#include "loads/load.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <stdexcept>
#include <string>

#include "common/oscillator.h"

namespace amprig::models {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kSqrt2 = 1.41421356237309504880;

using Complex = std::complex<double>;

Complex int_power(Complex z, int exponent) {
  Complex result(1, 0);
  while (exponent > 0) {
    if (exponent & 1) result *= z;
    z *= z;
    exponent >>= 1;
  }
  return result;
}

// Displacement angle of the fundamental: + lagging (inductive), - leading.
double displacement_rad(const LoadConfig& config) {
  const double phi_rad = std::acos(std::clamp(config.power_factor, 0.0, 1.0));
  return config.leading ? -phi_rad : phi_rad;
}

// RMS of the fundamental such that the whole waveform's RMS is current_a.
double fundamental_rms_a(const LoadConfig& config) {
  double sum_sq = 1;
  for (const Harmonic& h : config.harmonics) sum_sq += (h.percent / 100) * (h.percent / 100);
  return config.current_a / std::sqrt(sum_sq);
}

}  // namespace

// Waveforms, with theta the reference angle (the phase's voltage fundamental,
// or for a line-to-line load u_ab's) and phi the displacement angle (acos(pf),
// negative when leading):
//   sine:       i = sqrt2*I1*[sin(theta - phi) + sum_h (pct_h/100)*sin(h*(theta - phi) + psi_h)]
//               I1 = current_a / sqrt(1 + sum_h (pct_h/100)^2), so the RMS is current_a;
//               each harmonic keeps its phase psi_h relative to the current's own
//               fundamental, as a rectifier's harmonics do when the load shifts.
//   half-wave:  i = 2*current_a * max(0, sin(theta - phi)); the RMS of a half-wave
//               rectified sine is half its peak. Harmonics do not apply.
// A line-to-line load on {a, b} draws i on a and -i on b, so it takes
// u_ab * i = U_ab * current_a * pf from the grid for a sine.
// Against the neutral (TN), the load is the impedance that draws current_a from
// its phase's supply voltage. When the building's neutral floats (lost upstream),
// the voltage across it is load_ratio r times that voltage, so it draws r times
// the current: the whole waveform scaled by |r| and shifted by arg(r), i.e.
// sqrt2*I1*|r|*sin(theta + arg(r) - phi) and so on (the harmonics and the
// rectifier follow the fundamental, as above).

Load::Load(const sc_core::sc_module_name& name, const LoadConfig& config)
    : sc_core::sc_module(name), out("out"), m_config(config) {
  if (const std::string problem = check(m_config); !problem.empty()) {
    throw std::invalid_argument(std::string(this->name()) + ": " + problem);
  }
  out.bind(*this);
}

std::string Load::check(const LoadConfig& config) {
  if (!(config.current_a >= 0)) return "current_a must be >= 0";
  if (!(config.power_factor >= 0 && config.power_factor <= 1)) {
    return "power_factor must be in 0..1";
  }
  for (Phase p : config.phases) {
    if (p < L1 || p > L3) return "phase out of range";
  }
  if (config.line_to_line && (config.phases.size() != 2 || config.phases[0] == config.phases[1])) {
    return "line_to_line needs exactly two distinct phases (the two lines it is connected to)";
  }
  for (const Harmonic& h : config.harmonics) {
    if (h.order < 2 || h.order > 50) {
      return "harmonic order " + std::to_string(h.order) + " is outside 2..50";
    }
    if (!(h.percent >= 0)) return "harmonic percent must be >= 0";
  }
  return {};
}

void Load::add_current(const MainsBlock& mains, CurrentBlock& out) {
  const std::size_t n = mains.time.n;
  if (n == 0 || m_config.current_a == 0) return;

  if (m_config.line_to_line) {
    const Phase a = m_config.phases[0];
    const Phase b = m_config.phases[1];
    if (mains.present[a] == 0 || mains.present[b] == 0) return;
    // u_ab's fundamental is proportional to e^{j theta_a} - e^{j theta_b}: its
    // unit phasor is that difference normalised, with no sin() per sample.
    const double* ca = mains.cos_theta[a].data();
    const double* sa = mains.sin_theta[a].data();
    const double* cb = mains.cos_theta[b].data();
    const double* sb = mains.sin_theta[b].data();
    for (std::size_t k = 0; k < n; ++k) {
      const double x = ca[k] - cb[k];
      const double y = sa[k] - sb[k];
      const double inv_norm = 1 / std::sqrt(x * x + y * y);
      m_ref_cos[k] = x * inv_norm;
      m_ref_sin[k] = y * inv_norm;
    }
    add_waveform(m_ref_cos.data(), m_ref_sin.data(), n, 1, 1.0, out.i[a].data());
    add_waveform(m_ref_cos.data(), m_ref_sin.data(), n, -1, 1.0, out.i[b].data());
    return;
  }

  for (Phase p : m_config.phases) {
    if (mains.present[p] == 0) continue;
    add_waveform(mains.cos_theta[p].data(), mains.sin_theta[p].data(), n, 1, mains.load_ratio[p],
                 out.i[p].data());
  }
}

std::complex<double> Load::neutral_load_a(Phase phase) const {
  if (m_config.line_to_line || m_config.current_a == 0) return 0.0;
  const auto copies = std::count(m_config.phases.begin(), m_config.phases.end(), phase);
  if (copies == 0) return 0.0;
  // A half-wave rectified sine of peak 2*I has a fundamental of peak I.
  const double fundamental_a = m_config.waveform == LoadWaveform::half_wave_rectified
                                   ? m_config.current_a / kSqrt2
                                   : fundamental_rms_a(m_config);
  return static_cast<double>(copies) * std::polar(fundamental_a, -displacement_rad(m_config));
}

void Load::add_waveform(const double* c, const double* s, std::size_t n, double sign,
                        std::complex<double> ratio, double* i) const {
  sign *= std::abs(ratio);
  const double phi_rad = displacement_rad(m_config) - std::arg(ratio);
  const double cos_phi = std::cos(phi_rad);
  const double sin_phi = std::sin(phi_rad);

  if (m_config.waveform == LoadWaveform::half_wave_rectified) {
    const double peak_a = sign * 2 * m_config.current_a;
    for (std::size_t k = 0; k < n; ++k) {
      // sin(theta - phi) by the angle-difference identity, no sin() per sample.
      i[k] += peak_a * std::max(0.0, s[k] * cos_phi - c[k] * sin_phi);
    }
    return;
  }

  const double peak1_a = sign * kSqrt2 * fundamental_rms_a(m_config);
  const double a = peak1_a * cos_phi;
  const double b = peak1_a * sin_phi;
  for (std::size_t k = 0; k < n; ++k) i[k] += a * s[k] - b * c[k];

  if (m_config.harmonics.empty()) return;
  // Harmonic h is Im(z^h * e^{j(psi_h - h*phi)}) with z = e^{j*theta}. The
  // mains turns z uniformly within a block, so z^h is a rotation oscillator:
  // start at z0^h, step by (z1 / z0)^h; both come from the block's own
  // phasors, so the load stays locked to the grid through frequency changes.
  const Complex z0(c[0], s[0]);
  const Complex step1 = n > 1 ? Complex(c[1], s[1]) * std::conj(z0) : Complex(1, 0);
  for (const Harmonic& h : m_config.harmonics) {
    const double amplitude_a = peak1_a * h.percent / 100;
    const Complex u0 =
        int_power(z0, h.order) * std::polar(1.0, h.phase_deg * (kPi / 180) - h.order * phi_rad);
    const Complex step = int_power(step1, h.order);
    add_rotating_sine(i, n, amplitude_a, u0.real(), u0.imag(), step.real(), step.imag());
  }
}

Load::Waveform Load::waveform(std::complex<double> ratio) const {
  Waveform w;
  w.shift_rad = std::arg(ratio);
  w.displacement_rad = displacement_rad(m_config);
  const double scale = std::abs(ratio);
  w.half_wave = m_config.waveform == LoadWaveform::half_wave_rectified;
  w.gain_a = w.half_wave ? scale * 2 * m_config.current_a
                         : scale * kSqrt2 * fundamental_rms_a(m_config);
  return w;
}

double Load::waveform_point(const Waveform& w, double ref_rad) const {
  // Closed form with std::sin: the ground-truth path, deliberately independent
  // of add_current's oscillators.
  const double x_rad = ref_rad + w.shift_rad - w.displacement_rad;
  if (w.half_wave) return w.gain_a * std::max(0.0, std::sin(x_rad));
  double wave = std::sin(x_rad);
  for (const Harmonic& h : m_config.harmonics) {
    wave += h.percent / 100 * std::sin(h.order * x_rad + h.phase_deg * (kPi / 180));
  }
  return w.gain_a * wave;
}

double Load::waveform_at(double ref_rad, std::complex<double> ratio) const {
  return waveform_point(waveform(ratio), ref_rad);
}

double Load::current_at(Phase phase, double theta_rad, const mains_if& mains) const {
  if (!mains.present(phase)) return 0;
  if (m_config.line_to_line) {
    const Phase a = m_config.phases[0];
    const Phase b = m_config.phases[1];
    if (phase != a && phase != b) return 0;
    if (!mains.present(a) || !mains.present(b)) return 0;
    // Both lines' angles from this phase's, then u_ab's angle in closed form.
    const double theta_a_rad =
        theta_rad + mains.angle_offset_rad(a) - mains.angle_offset_rad(phase);
    const double theta_b_rad =
        theta_rad + mains.angle_offset_rad(b) - mains.angle_offset_rad(phase);
    const double psi_ab_rad = std::atan2(std::sin(theta_a_rad) - std::sin(theta_b_rad),
                                         std::cos(theta_a_rad) - std::cos(theta_b_rad));
    const double i_a = waveform_at(psi_ab_rad, 1.0);
    return phase == a ? i_a : -i_a;
  }
  const auto copies = std::count(m_config.phases.begin(), m_config.phases.end(), phase);
  if (copies == 0) return 0;
  return static_cast<double>(copies) * waveform_at(theta_rad, mains.load_ratio(phase));
}

void Load::append_config_key(std::vector<double>& key) const {
  const LoadConfig& c = m_config;
  key.insert(key.end(),
             {c.current_a, c.power_factor, c.leading ? 1.0 : 0.0, c.line_to_line ? 1.0 : 0.0,
              static_cast<double>(c.waveform), static_cast<double>(c.phases.size()),
              static_cast<double>(c.harmonics.size())});
  for (Phase p : c.phases) key.push_back(p);
  for (const Harmonic& h : c.harmonics) {
    key.insert(key.end(), {static_cast<double>(h.order), h.percent, h.phase_deg});
  }
}

bool Load::truth_key(Phase phase, const mains_if& mains, std::vector<double>& key) const {
  // Everything current_at(phase, ., mains) reads.
  key.push_back(phase);
  append_config_key(key);
  for (int p = 0; p < kPhases; ++p) {
    key.push_back(mains.present(static_cast<Phase>(p)) ? 1.0 : 0.0);
    key.push_back(mains.angle_offset_rad(static_cast<Phase>(p)));
  }
  const std::complex<double> ratio = mains.load_ratio(phase);
  key.insert(key.end(), {ratio.real(), ratio.imag()});
  return true;
}

void Load::truth_waveform(std::complex<double> ratio, double* out) const {
  // waveform_at at every point, with what does not depend on the angle worked out once.
  const Waveform w = waveform(ratio);
  const double* theta = TruthGrid::get().theta();
  for (int k = 0; k < TruthGrid::kPoints; ++k) out[k] = waveform_point(w, theta[k]);
}

void Load::add_truth_currents(Phase phase, const mains_if& mains, double* out) const {
  std::vector<double>& key = m_truth_key;
  key.clear();
  if (m_config.line_to_line) {
    truth_key(phase, mains, key);
    // current_at itself, point by point, per phase.
    TruthCache& cache = m_truth_line[phase];
    if (cache.current.empty() || key != cache.key) {
      cache.current.resize(TruthGrid::kPoints);
      const double* theta = TruthGrid::get().theta();
      for (int k = 0; k < TruthGrid::kPoints; ++k) {
        cache.current[k] = current_at(phase, theta[k], mains);
      }
      cache.key.swap(key);
    }
    for (int k = 0; k < TruthGrid::kPoints; ++k) out[k] += cache.current[k];
    return;
  }
  // current_at: 0 on a lost phase or one the load is not on (adding 0 changes no sum), else
  // copies * waveform_at(theta, load_ratio).
  if (!mains.present(phase)) return;
  const auto copies = std::count(m_config.phases.begin(), m_config.phases.end(), phase);
  if (copies == 0) return;
  // The waveform depends on the configuration and the ratio, not on the phase.
  const std::complex<double> ratio = mains.load_ratio(phase);
  append_config_key(key);
  key.insert(key.end(), {ratio.real(), ratio.imag()});
  TruthCache& cache = m_truth_waveform;
  if (cache.current.empty() || key != cache.key) {
    cache.current.resize(TruthGrid::kPoints);
    truth_waveform(ratio, cache.current.data());
    cache.key.swap(key);
  }
  const double count = static_cast<double>(copies);
  const double* wave = cache.current.data();
  for (int k = 0; k < TruthGrid::kPoints; ++k) out[k] += count * wave[k];
}

}  // namespace amprig::models
