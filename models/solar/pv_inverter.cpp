#include "solar/pv_inverter.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace amprig::models {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kSqrt2 = 1.41421356237309504880;
constexpr double kSecondsPerHour = 3600;
constexpr double kHoursPerDay = 24;
constexpr double kClearSkyExponent = 1.2;
// A grid-tied inverter synchronises to its phase's voltage and feeds in only
// while there is one; below this it treats the phase as dead, as when it is lost
// (anti-islanding). It also keeps I = S / V finite on a deeply sagged phase.
constexpr double kMinGridVoltageV = 20;
// Points per period for the fundamental of mains_if::voltage_at: the sum of
// sin(h theta + psi) sin(theta) over N uniform points vanishes unless h +- 1 is
// a multiple of N, so 64 points are exact for every order the mains allows (<= 50).
constexpr int kFundamentalPoints = 64;
// The lowest mains frequency the voltage sensing must hold a whole period of
// (the mains allows 45 Hz).
constexpr double kMinGridFrequencyHz = 40;
// Fewer samples than this (in sum of sin^2, about half their number for a
// uniform spread of angles) sit too close to a zero crossing to tell the
// fundamental's amplitude.
constexpr double kMinSineWeight = 0.25;

bool finite(double x) { return std::isfinite(x); }

// 0 before the cloud, rising linearly to 1 over edge_s, 1 for duration_s,
// falling back to 0 over edge_s. An edge of 0 is a step.
double cloud_shape(const Cloud& c, double t_s) {
  const double full_s = c.start_s + c.edge_s;
  const double clearing_s = full_s + c.duration_s;
  const double gone_s = clearing_s + c.edge_s;
  if (t_s <= c.start_s || t_s >= gone_s) return 0;
  if (t_s < full_s) return (t_s - c.start_s) / c.edge_s;
  if (t_s <= clearing_s) return 1;
  return (gone_s - t_s) / c.edge_s;
}

// RMS of the fundamental of `phase`, from the closed-form voltage: the mains
// defines its fundamental as sqrt2 * V * sin(theta).
double fundamental_rms_v(const mains_if& mains, Phase phase) {
  double sum = 0;
  for (int k = 0; k < kFundamentalPoints; ++k) {
    const double theta_rad = 2 * kPi * k / kFundamentalPoints;
    sum += mains.voltage_at(phase, theta_rad) * std::sin(theta_rad);
  }
  return (2.0 / kFundamentalPoints) * sum / kSqrt2;
}

}  // namespace

// The inverter delivers phase power Pp and absorbs Qp (both per phase, at the
// inverter's terminals). Into the building, with the voltage's fundamental
// sqrt2*V*sin(theta):
//   i = sqrt2*I*sin(theta - phi), I = sqrt(Pp^2 + Qp^2) / V,
//   cos(phi) = -Pp / (V*I), sin(phi) = Qp / (V*I),
// so V*I*cos(phi) = -Pp (export) and V*I*sin(phi) = +Qp (inductive). Expanded:
//   i = -sqrt2 * (Pp*sin(theta) + Qp*cos(theta)) / V,
// a pure fundamental: harmonics in the voltage exchange no power with it.

PvInverter::PvInverter(const sc_core::sc_module_name& name, const SolarConfig& config)
    : sc_core::sc_module(name), out("out"), m_config(config) {
  if (const std::string problem = check(m_config); !problem.empty()) {
    throw std::invalid_argument(std::string(this->name()) + ": " + problem);
  }
  out.bind(*this);
}

std::string PvInverter::check(const SolarConfig& config) {
  if (config.phases.empty()) return "phases must name at least one phase";
  bool seen[kPhases] = {false, false, false};
  for (Phase p : config.phases) {
    if (p < L1 || p > L3) return "phase out of range";
    if (seen[p]) return "phases must not name a phase twice";
    seen[p] = true;
  }
  if (!(config.power_w >= 0) || !finite(config.power_w)) return "power_w must be >= 0";
  if (!(config.ramp_from_w >= 0) || !finite(config.ramp_from_w)) {
    return "ramp_from_w must be >= 0";
  }
  if (!finite(config.ramp_start_s)) return "ramp_start_s must be finite";
  if (!(config.ramp_duration_s > 0) || !finite(config.ramp_duration_s)) {
    return "ramp_duration_s must be > 0";
  }
  if (!(config.sunrise_h >= 0 && config.sunrise_h <= kHoursPerDay)) {
    return "sunrise_h must be in 0..24";
  }
  if (!(config.sunset_h >= 0 && config.sunset_h <= kHoursPerDay)) {
    return "sunset_h must be in 0..24";
  }
  if (!(config.sunset_h > config.sunrise_h)) return "sunset_h must be after sunrise_h";
  if (!(config.start_time_of_day_h >= 0 && config.start_time_of_day_h <= kHoursPerDay)) {
    return "start_time_of_day_h must be in 0..24";
  }
  if (!finite(config.reactive_var)) return "reactive_var must be finite";
  for (std::size_t k = 0; k < config.clouds.size(); ++k) {
    const Cloud& c = config.clouds[k];
    const std::string which = "cloud " + std::to_string(k + 1) + ": ";
    if (!finite(c.start_s)) return which + "start_s must be finite";
    if (!(c.duration_s > 0) || !finite(c.duration_s)) return which + "duration_s must be > 0";
    if (!(c.depth >= 0 && c.depth <= 1)) return which + "depth must be in 0..1";
    if (!(c.edge_s >= 0) || !finite(c.edge_s)) return which + "edge_s must be >= 0";
  }
  return {};
}

double PvInverter::power_at(double t_s) const {
  const SolarConfig& c = m_config;
  double p_w = c.power_w;
  switch (c.profile) {
    case SolarProfile::constant:
      break;
    case SolarProfile::ramp:
      if (t_s <= c.ramp_start_s) {
        p_w = c.ramp_from_w;
      } else if (t_s < c.ramp_start_s + c.ramp_duration_s) {
        p_w = c.ramp_from_w +
              (c.power_w - c.ramp_from_w) * (t_s - c.ramp_start_s) / c.ramp_duration_s;
      }
      break;
    case SolarProfile::clear_sky: {
      double h = std::fmod(c.start_time_of_day_h + t_s / kSecondsPerHour, kHoursPerDay);
      if (h < 0) h += kHoursPerDay;
      if (h <= c.sunrise_h || h >= c.sunset_h) return 0;
      const double day = std::sin(kPi * (h - c.sunrise_h) / (c.sunset_h - c.sunrise_h));
      p_w = c.power_w * std::pow(day, kClearSkyExponent);
      break;
    }
  }
  // Overlapping clouds shade what the others let through.
  for (const Cloud& cloud : c.clouds) p_w *= 1 - cloud.depth * cloud_shape(cloud, t_s);
  return std::max(0.0, p_w);
}

// The block carries samples, not the mains' amplitude, so the inverter senses
// each phase's voltage as a real one does: the fundamental's amplitude is the
// projection of v onto sin(theta) over the last period of samples,
// sum(v sin) / sum(sin^2). That is exact for a sinusoidal voltage over any
// span. A harmonic of order h adds sum(sin(h theta + psi) sin theta), which
// vanishes over whole periods of whole samples (50 Hz at 6.4 kHz) and is
// otherwise at most pi / 4 of the harmonic's amplitude against sum(sin^2) of
// about N / 2 (N samples per period): under 1e-3 for a 5 % harmonic at 60 Hz.
// One block alone would not do: over half a period at 60 Hz it is off by over 1 %.
void PvInverter::sense_voltages(const MainsBlock& mains) {
  const BlockTime& time = mains.time;
  const std::size_t n = time.n;
  const bool follows = m_have_block && time.index == m_next_index && time.dt_s == m_sensing_dt_s;
  if (!follows) {
    // After a gap the samples before it need not continue this block's angles.
    if (time.dt_s != m_sensing_dt_s) {
      const auto capacity =
          static_cast<std::size_t>(std::ceil(1 / (kMinGridFrequencyHz * time.dt_s))) + 1;
      for (Sensing& s : m_sensing) {
        s.vs.assign(capacity, 0);
        s.ss.assign(capacity, 0);
      }
      m_sensing_dt_s = time.dt_s;
    }
    for (Sensing& s : m_sensing) s.count = 0;
  }
  m_next_index = time.index + n;

  for (Phase p : m_config.phases) {
    Sensing& sensing = m_sensing[p];
    if (mains.present[p] == 0) {
      // The voltage after a loss is a new grid, not to be mixed with zeros.
      sensing.count = 0;
      m_voltage_v[p] = 0;
      continue;
    }
    const double* v = mains.v[p].data();
    const double* s = mains.sin_theta[p].data();
    const double* c = mains.cos_theta[p].data();
    const std::size_t capacity = sensing.vs.size();
    if (n >= 2) {
      // The fundamental's angle per sample, from the block's own phasors.
      const double step_rad =
          std::abs(std::atan2(s[1] * c[0] - c[1] * s[0], c[1] * c[0] + s[1] * s[0]));
      const double period = step_rad > 0 ? 2 * kPi / step_rad : static_cast<double>(capacity);
      sensing.period = static_cast<std::size_t>(
          std::lround(std::clamp(period, 1.0, static_cast<double>(capacity))));
    }
    // The ring is filled and summed in runs of contiguous slots, with no wrap test per sample.
    double* ring_vs = sensing.vs.data();
    double* ring_ss = sensing.ss.data();
    for (std::size_t k = 0; k < n;) {
      const std::size_t run = std::min(n - k, capacity - sensing.next);
      for (std::size_t r = 0; r < run; ++r, ++k) {
        ring_vs[sensing.next + r] = v[k] * s[k];
        ring_ss[sensing.next + r] = s[k] * s[k];
      }
      sensing.next = sensing.next + run == capacity ? 0 : sensing.next + run;
    }
    sensing.count = std::min(sensing.count + n, capacity);
    const std::size_t window =
        sensing.period > 0 ? std::min(sensing.period, sensing.count) : sensing.count;
    // Newest first: back from the slot before `next`, then on from the ring's end.
    double vs = 0, ss = 0;
    const std::size_t recent = std::min(window, sensing.next);
    for (std::size_t j = sensing.next; j > sensing.next - recent;) {
      --j;
      vs += ring_vs[j];
      ss += ring_ss[j];
    }
    for (std::size_t j = capacity; j > capacity - (window - recent);) {
      --j;
      vs += ring_vs[j];
      ss += ring_ss[j];
    }
    // Too little to tell: keep the previous estimate (0 before the first).
    if (ss >= kMinSineWeight * static_cast<double>(window)) m_voltage_v[p] = vs / ss / kSqrt2;
  }
}

void PvInverter::add_current(const MainsBlock& mains, CurrentBlock& out) {
  const std::size_t n = mains.time.n;
  if (n == 0) return;
  const double mid_s = mains.time.t0_s + 0.5 * static_cast<double>(n) * mains.time.dt_s;
  m_output_w = power_at(mid_s);
  sense_voltages(mains);
  m_have_block = true;
  const double share = 1.0 / static_cast<double>(m_config.phases.size());
  const double phase_w = m_output_w * share;
  const double phase_var = m_config.reactive_var * share;

  m_power_w = 0;
  for (Phase p : m_config.phases) {
    const bool feeding = m_voltage_v[p] >= kMinGridVoltageV;
    if (feeding != m_feeding[p]) {
      m_feeding[p] = feeding;
      const std::string phase_name = "L" + std::to_string(p + 1);
      SC_REPORT_INFO(name(), (phase_name + (feeding ? ": grid voltage back, feeding in"
                                                    : ": no grid voltage, output off"))
                                 .c_str());
    }
    if (!feeding) continue;
    m_power_w += phase_w;
    const double a = -kSqrt2 * phase_w / m_voltage_v[p];
    const double b = -kSqrt2 * phase_var / m_voltage_v[p];
    const double* c = mains.cos_theta[p].data();
    const double* s = mains.sin_theta[p].data();
    double* i = out.i[p].data();
    for (std::size_t k = 0; k < n; ++k) i[k] += a * s[k] + b * c[k];
  }
}

bool PvInverter::steady_output(Phase phase, const mains_if& mains, double& v, double& output_w,
                               double& gain) const {
  if (!mains.present(phase)) return false;
  if (std::find(m_config.phases.begin(), m_config.phases.end(), phase) == m_config.phases.end()) {
    return false;
  }
  // The output the blocks deliver now: the last block's power and its measure of
  // the grid voltage, so that the ground truth is the current the CTs see.
  v = m_have_block ? m_voltage_v[phase] : fundamental_rms_v(mains, phase);
  if (!(v >= kMinGridVoltageV)) return false;
  output_w = m_have_block ? m_output_w : power_at(sc_core::sc_time_stamp().to_seconds());
  const double share = 1.0 / static_cast<double>(m_config.phases.size());
  gain = -kSqrt2 * share;
  return true;
}

double PvInverter::current_at(Phase phase, double theta_rad, const mains_if& mains) const {
  double v, output_w, gain;
  if (!steady_output(phase, mains, v, output_w, gain)) return 0;
  // Closed form with std::sin: independent of the block path's phasor arrays.
  return gain * (output_w * std::sin(theta_rad) + m_config.reactive_var * std::cos(theta_rad)) / v;
}

void PvInverter::add_truth_currents(Phase phase, const mains_if& mains, double* out) const {
  // current_at with the grid's sines and cosines.
  double v, output_w, gain;
  if (!steady_output(phase, mains, v, output_w, gain)) return;
  const double var = m_config.reactive_var;
  const double* s = TruthGrid::get().sin();
  const double* c = TruthGrid::get().cos();
  for (int k = 0; k < TruthGrid::kPoints; ++k) out[k] += gain * (output_w * s[k] + var * c[k]) / v;
}

bool PvInverter::truth_key(Phase phase, const mains_if& mains, std::vector<double>& key) const {
  if (!m_have_block) return false;
  const bool ours =
      std::find(m_config.phases.begin(), m_config.phases.end(), phase) != m_config.phases.end();
  key.insert(key.end(),
             {mains.present(phase) ? 1.0 : 0.0, ours ? 1.0 : 0.0, m_voltage_v[phase], m_output_w,
              m_config.reactive_var, static_cast<double>(m_config.phases.size())});
  return true;
}

}  // namespace amprig::models
