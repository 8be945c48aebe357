#include "ct/current_transformer.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <stdexcept>
#include <string>

namespace amprig::models {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kSqrt2 = 1.41421356237309504880;
// Past the knee the core's incremental inductance drops to this fraction of
// L_m: a hard but finite saturation, so the implicit step stays well posed.
constexpr double kSaturatedInductanceRatio = 1.0 / 1000;

}  // namespace

// Model (core referred to the secondary, in the primary's orientation):
//   i_p' = i_p / N',  N' = ratio / (1 + ratio_error_pct/100)
//   i_s  = i_p' - i_m(lambda),  d lambda/dt = R_b * i_s,  pin = +-R_b * i_s
//   i_m(lambda) = lambda / L_m for |lambda| <= lambda_sat, slope 1/L_sat beyond.
// Linear transfer i_s / i_p' = j w L_m / (R_b + j w L_m): the secondary leads by
// atan(R_b / (w L_m)), so L_m = R_b / (w_nom * tan(phase_displacement)). The
// knee lambda_sat is the linear model's peak flux for a sine of
// saturation_current_a RMS at nominal frequency.
// Orientation only flips the output: the core itself does not care which way
// the secondary leads are wired, so toggling `reversed` causes no transient.
// A phase displacement of 0 means an ideal core (no magnetising current, no
// saturation): L_m would be infinite.

CurrentTransformer::CurrentTransformer(const sc_core::sc_module_name& name, const CtConfig& config)
    : sc_core::sc_module(name), primary("primary"), out("out"), m_config(config) {
  if (const std::string problem = check(m_config); !problem.empty()) {
    throw std::invalid_argument(std::string(this->name()) + ": " + problem);
  }
  out.bind(*this);
}

std::string CurrentTransformer::check(const CtConfig& config) {
  if (!(config.ratio > 0)) return "ratio must be > 0";
  if (!(config.burden_ohm > 0)) return "burden_ohm must be > 0";
  if (!(config.ratio_error_pct > -100)) return "ratio_error_pct must be > -100";
  if (!(config.phase_displacement_deg >= 0 && config.phase_displacement_deg < 90)) {
    return "phase_displacement_deg must be in [0, 90)";
  }
  if (!(config.nominal_frequency_hz > 0)) return "nominal_frequency_hz must be > 0";
  if (!(config.saturation_current_a > 0)) return "saturation_current_a must be > 0";
  if (config.phase < L1 || config.phase > L3) return "phase out of range";
  return {};
}

void CurrentTransformer::reset() {
  m_flux_vs = 0;
  m_prev_secondary_a = 0;
  m_have_state = false;
}

void CurrentTransformer::warm_start(const BlockTime& time, const double* primary_a, double turns,
                                    double magnetising_h) {
  // The rig's plant has been running long before t = 0 (and a CT is clamped on
  // long before it is read): start the core at the steady state of the block's
  // fundamental instead of at zero flux, which would add a DC flux offset that
  // decays with L_m / R_b (hundreds of ms) and could even saturate the core.
  // Least-squares fit of a*cos(wt) + b*sin(wt) + c over the block; the constant
  // keeps a DC component from biasing the fundamental, and is left to settle
  // through the model as the physics dictates.
  m_flux_vs = 0;
  const double f_hz = primary->frequency_hz();
  const std::size_t n = time.n;
  if (n < 3 || !(f_hz > 0) || static_cast<double>(n) * time.dt_s * f_hz < 0.5) return;
  const double w_rad_s = 2 * kPi * f_hz;
  double cc = 0, ss = 0, cs = 0, c1 = 0, s1 = 0, yc = 0, ys = 0, y1 = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const double c = std::cos(w_rad_s * time.dt_s * static_cast<double>(k));
    const double s = std::sin(w_rad_s * time.dt_s * static_cast<double>(k));
    const double y = primary_a[k] / turns;
    cc += c * c;
    ss += s * s;
    cs += c * s;
    c1 += c;
    s1 += s;
    yc += y * c;
    ys += y * s;
    y1 += y;
  }
  const double m1 = static_cast<double>(n);
  // Cramer's rule on [cc cs c1; cs ss s1; c1 s1 m1] [a b c]' = [yc ys y1]'.
  const double det = cc * (ss * m1 - s1 * s1) - cs * (cs * m1 - s1 * c1) + c1 * (cs * s1 - ss * c1);
  if (!(std::abs(det) > 1e-9 * m1 * m1 * m1)) return;
  const double a =
      (yc * (ss * m1 - s1 * s1) - cs * (ys * m1 - s1 * y1) + c1 * (ys * s1 - ss * y1)) / det;
  const double b =
      (cc * (ys * m1 - y1 * s1) - yc * (cs * m1 - s1 * c1) + c1 * (cs * y1 - ys * c1)) / det;
  // i = a cos + b sin = Im(I e^{jwt}) with I = b + j a; lambda = Im(Lambda e^{jwt}).
  const std::complex<double> current(b, a);
  const double rb = m_config.burden_ohm;
  const std::complex<double> flux =
      rb * magnetising_h * current / std::complex<double>(rb, w_rad_s * magnetising_h);
  m_flux_vs = flux.imag();
}

void CurrentTransformer::sample(const BlockTime& time, double* pin_v) {
  const CtConfig& cfg = m_config;
  const std::size_t n = time.n;
  const bool was_saturated = m_saturated;
  m_saturated = false;
  if (!cfg.connected) {
    // An open secondary carries no current; when it is closed again the core
    // starts afresh.
    std::fill(pin_v, pin_v + n, 0.0);
    reset();
    return;
  }
  // Re-clamping on another conductor, or a gap in the sample stream, breaks
  // the continuity the integrator relies on.
  if (m_have_state &&
      (cfg.phase != m_state_phase || time.index != m_next_index || time.dt_s != m_dt_s)) {
    reset();
  }
  const double* ip_a = primary->currents(time).i[cfg.phase].data();
  const double turns = cfg.ratio / (1 + cfg.ratio_error_pct / 100);
  const double inv_turns = 1 / turns;
  const double rb = cfg.burden_ohm;
  const double out_gain = cfg.reversed ? -rb : rb;
  m_state_phase = cfg.phase;
  m_next_index = time.index + n;
  m_dt_s = time.dt_s;

  if (cfg.phase_displacement_deg <= 0) {
    for (std::size_t k = 0; k < n; ++k) pin_v[k] = out_gain * ip_a[k] * inv_turns;
    m_have_state = true;
    return;
  }

  const double w0_rad_s = 2 * kPi * cfg.nominal_frequency_hz;
  const double tan_lead = std::tan(cfg.phase_displacement_deg * (kPi / 180));
  const double lm_h = rb / (w0_rad_s * tan_lead);
  const double inv_lm = 1 / lm_h;
  const double inv_lsat = inv_lm / kSaturatedInductanceRatio;
  const double cos_lead = 1 / std::sqrt(1 + tan_lead * tan_lead);
  const double flux_sat_vs =
      rb * kSqrt2 * cfg.saturation_current_a * inv_turns * cos_lead / w0_rad_s;
  const double im_sat_a = flux_sat_vs * inv_lm;

  // Trapezoidal step: lambda' + a*i_m(lambda') = lambda + a*(i_s + i_p'(next)),
  // a = dt*R_b/2. The left side g(lambda') is piecewise linear and monotonic, so
  // the segment follows from comparing the right side with g(lambda_sat), and
  // each segment is solved exactly. The loop carries u = lambda + a*i_s; in the
  // linear segment u' = K*rhs + a*i_p' with rhs = u + a*i_p', which keeps the
  // sample-to-sample dependency chain (the loop's speed limit) to a multiply
  // and two adds. Multiplying by reciprocals keeps divisions out of it.
  const double a = 0.5 * time.dt_s * rb;
  const double inv_g_lin = 1 / (1 + a * inv_lm);
  const double inv_g_sat = 1 / (1 + a * inv_lsat);
  const double k_lin = inv_g_lin * (1 - a * inv_lm);
  const double rhs_knee = flux_sat_vs * (1 + a * inv_lm);
  const auto magnetising_a = [&](double flux_vs) {
    return std::abs(flux_vs) <= flux_sat_vs
               ? flux_vs * inv_lm
               : std::copysign(im_sat_a + (std::abs(flux_vs) - flux_sat_vs) * inv_lsat, flux_vs);
  };

  std::size_t k = 0;
  double flux = m_flux_vs;
  double is_a = m_prev_secondary_a;
  bool saturated = false;
  if (!m_have_state && n > 0) {
    warm_start(time, ip_a, turns, lm_h);
    flux = m_flux_vs;
    is_a = ip_a[0] * inv_turns - magnetising_a(flux);
    pin_v[0] = out_gain * is_a;
    saturated = std::abs(flux) > flux_sat_vs;
    k = 1;
  }
  double u = flux + a * is_a;
  for (; k < n; ++k) {
    const double ip_next_a = ip_a[k] * inv_turns;
    const double rhs = u + a * ip_next_a;
    double im_a;
    if (std::abs(rhs) <= rhs_knee) {
      flux = rhs * inv_g_lin;
      im_a = flux * inv_lm;
      u = rhs * k_lin + a * ip_next_a;  // = flux + a*(ip' - im)
    } else {
      const double excess_vs = (std::abs(rhs) - rhs_knee) * inv_g_sat;
      flux = std::copysign(flux_sat_vs + excess_vs, rhs);
      im_a = std::copysign(im_sat_a + excess_vs * inv_lsat, rhs);
      u = flux + a * (ip_next_a - im_a);
      saturated = true;
    }
    is_a = ip_next_a - im_a;
    pin_v[k] = out_gain * is_a;
  }
  m_flux_vs = flux;
  m_prev_secondary_a = is_a;
  m_have_state = true;
  if (saturated != was_saturated) {
    SC_REPORT_INFO(name(), saturated ? "core saturated" : "core out of saturation");
  }
  m_saturated = saturated;
}

}  // namespace amprig::models
