#include "fuse/main_fuse.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace amprig::models {
namespace {

constexpr double kSecondsPerHour = 3600;
constexpr int kBisectionSteps = 200;

bool finite(double x) { return std::isfinite(x); }

// IEC 60269-1, Table 2 (gG): conventional non-fusing and fusing currents, as
// multiples of In, and the conventional time.
struct Conventional {
  double non_fusing = 0;
  double fusing = 0;
  double time_h = 0;
};

Conventional conventional(double rating_a) {
  if (rating_a <= 4) return {1.5, 2.1, 1};
  if (rating_a < 16) return {1.5, 1.9, 1};
  if (rating_a <= 63) return {1.25, 1.6, 1};
  if (rating_a <= 160) return {1.25, 1.6, 2};
  if (rating_a <= 400) return {1.25, 1.6, 3};
  return {1.25, 1.6, 4};
}

// T * (a^alpha - 1) - t5 * (b^alpha - 1): zero where the curve passes through
// both calibration points.
double calibration_error(double alpha, double a, double b, double conventional_s, double t5_s) {
  return conventional_s * (std::pow(a, alpha) - 1) - t5_s * (std::pow(b, alpha) - 1);
}

}  // namespace

// The time-current curve. gG pre-arcing curves are published as bands between
// the gates of IEC 60269-2, not as formulas, so the rig fits one: the
// inverse-time form of IEC 60255-151 relays, which protection engineers use to
// emulate fuses,
//   t(I) = k / ((I / I_nf)^alpha - 1)   for I > I_nf, never below,
// with its pickup at the conventional non-fusing current, so that no current at
// or below I_nf ever melts the fuse, and k, alpha chosen so that
//   t(I_f) = conventional time   and   t(5 In) = time_at_5in_s.
// For In = 25 A (1 h, 3 s at 5 In) that gives alpha = 6.0, k = 12 200 s, and
// t = 0.047 s at 10 In, 21 s at 3.6 In, 1150 s at 1.88 In: inside the
// IEC 60269-2 gG gates for 16..63 A (melts within 5 s at 5.2 In and within
// 0.1 s at 10 In; holds 10 s at 1.88 In and 0.1 s at 3.6 In).
//
// Varying current: each phase integrates its share of the way to melting,
// ds/dt = 1 / t(I_rms of the block) above I_nf (Miner's rule, exact for a
// constant current), and relaxes, ds/dt = -s / tau, at or below it.

MainFuse::MainFuse(const sc_core::sc_module_name& name, const MainFuseConfig& config)
    : sc_core::sc_module(name), m_config(config) {
  if (const std::string problem = check(m_config); !problem.empty()) {
    throw std::invalid_argument(std::string(this->name()) + ": " + problem);
  }
  const Conventional c = conventional(m_config.rating_a);
  m_non_fusing_a = c.non_fusing * m_config.rating_a;
  m_fusing_a = c.fusing * m_config.rating_a;
  m_conventional_s = c.time_h * kSecondsPerHour;
  const double a = c.fusing / c.non_fusing;
  const double b = 5 / c.non_fusing;
  const double t5_s = m_config.time_at_5in_s;
  // calibration_error rises from 0 at alpha = 0 and then falls for good (its
  // derivative changes sign once), so it has one positive root.
  double lo = 0, hi = 1;
  while (calibration_error(hi, a, b, m_conventional_s, t5_s) > 0) hi *= 2;
  for (int k = 0; k < kBisectionSteps && hi - lo > 0; ++k) {
    const double mid = 0.5 * (lo + hi);
    (calibration_error(mid, a, b, m_conventional_s, t5_s) > 0 ? lo : hi) = mid;
  }
  m_alpha = 0.5 * (lo + hi);
  m_k_s = m_conventional_s * (std::pow(a, m_alpha) - 1);
}

std::string MainFuse::check(const MainFuseConfig& config) {
  if (!(config.rating_a > 0) || !finite(config.rating_a)) return "rating_a must be > 0";
  if (!(config.cooling_time_constant_s > 0) || !finite(config.cooling_time_constant_s)) {
    return "cooling_time_constant_s must be > 0";
  }
  if (!(config.time_at_5in_s > 0)) return "time_at_5in_s must be > 0";
  // The curve through (I_f, T) and (5 In, t5) rises from I_f only when
  // T * ln(I_f / I_nf) > t5 * ln(5 In / I_nf).
  const Conventional c = conventional(config.rating_a);
  const double limit_s =
      c.time_h * kSecondsPerHour * std::log(c.fusing / c.non_fusing) / std::log(5 / c.non_fusing);
  if (!(config.time_at_5in_s < limit_s)) {
    return "time_at_5in_s must be < " + std::to_string(limit_s) + " s for this rating";
  }
  return {};
}

double MainFuse::prearcing_time_s(double current_a) const {
  if (!(current_a > m_non_fusing_a)) return std::numeric_limits<double>::infinity();
  return m_k_s / (std::pow(current_a / m_non_fusing_a, m_alpha) - 1);
}

void MainFuse::update(const CurrentBlock& block) {
  const std::size_t n = block.time.n <= kMaxBlockSamples ? block.time.n : kMaxBlockSamples;
  if (n == 0) return;
  std::array<double, kPhases> rms_a{};
  for (int p = 0; p < kPhases; ++p) {
    double sum_sq = 0;
    for (std::size_t k = 0; k < n; ++k) sum_sq += block.i[p][k] * block.i[p][k];
    rms_a[p] = std::sqrt(sum_sq / static_cast<double>(n));
  }
  update_rms(rms_a, block.time.t0_s, static_cast<double>(n) * block.time.dt_s);
}

void MainFuse::update_rms(const std::array<double, kPhases>& current_a, double t0_s,
                          double duration_s) {
  for (int p = 0; p < kPhases; ++p) {
    if (m_tripped[p]) continue;
    const double i_a = std::abs(current_a[p]);
    if (!(i_a > m_non_fusing_a)) {
      m_state[p] *= std::exp(-duration_s / m_config.cooling_time_constant_s);
      continue;
    }
    const double rate_per_s = 1 / prearcing_time_s(i_a);
    const double state = m_state[p] + rate_per_s * duration_s;
    if (state < 1) {
      m_state[p] = state;
      continue;
    }
    m_trip_time_s[p] = t0_s + (1 - m_state[p]) / rate_per_s;
    m_state[p] = 1;
    m_tripped[p] = true;
    SC_REPORT_INFO(name(), ("L" + std::to_string(p + 1) + ": melted at " + std::to_string(i_a) +
                            " A RMS, t = " + std::to_string(m_trip_time_s[p]) + " s")
                               .c_str());
  }
}

void MainFuse::replace(Phase phase) {
  m_state[phase] = 0;
  m_tripped[phase] = false;
  m_trip_time_s[phase] = -1;
}

}  // namespace amprig::models
