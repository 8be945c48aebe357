#include <boost/test/unit_test.hpp>
#include <cmath>
#include <complex>
#include <vector>

#include "measure.h"
#include "world.h"

using namespace amprig::models;
using namespace amprig::models::test;

namespace {

using Complex = std::complex<double>;

struct Run {
  std::vector<double> pin_v;
  std::vector<bool> saturated;  // per block
  double t0_s = 0;              // time of pin_v[0]
};

Run run(CtBench& bench, BlockClock& clock, double seconds) {
  Run r;
  r.t0_s = static_cast<double>(clock.next_index()) / clock.rate_hz();
  const auto blocks = static_cast<int>(std::lround(seconds * clock.rate_hz() / clock.n()));
  std::vector<double> pin(clock.n());
  for (int b = 0; b < blocks; ++b) {
    bench.ct.sample(clock.next(), pin.data());
    r.pin_v.insert(r.pin_v.end(), pin.begin(), pin.end());
    r.saturated.push_back(bench.ct.saturated());
  }
  return r;
}

// The last `seconds` of a run.
std::vector<double> tail(const Run& r, double seconds, double rate_hz, double* t0_s) {
  const auto n = static_cast<std::size_t>(std::lround(seconds * rate_hz));
  *t0_s = r.t0_s + static_cast<double>(r.pin_v.size() - n) / rate_hz;
  return {r.pin_v.end() - static_cast<std::ptrdiff_t>(n), r.pin_v.end()};
}

// Primary peak phasor of a scripted wave: i(t) = Im(X e^{jwt}).
Complex primary(const FakePlant::Wave& w) {
  return std::polar(kSqrt2 * w.rms, deg_to_rad(w.phase_deg));
}

// Closed-form linear CT, written from the circuit: the magnetising inductance
// L_m (chosen for the nominal phase lead) in parallel with the burden, fed by
// the primary current over the effective turns ratio. Burden voltage phasor:
//   V = R_b * I_p/N' * jwL_m / (R_b + jwL_m).
Complex expected_pin(const CtConfig& c, double f_hz, Complex ip_peak) {
  const double w0 = 2 * kPi * c.nominal_frequency_hz;
  const double lm_h = c.burden_ohm / (w0 * std::tan(deg_to_rad(c.phase_displacement_deg)));
  const Complex zm(0, 2 * kPi * f_hz * lm_h);
  const double turns = c.ratio / (1 + c.ratio_error_pct / 100);
  const double sign = c.reversed ? -1 : 1;
  return sign * c.burden_ohm * ip_peak / turns * zm / (c.burden_ohm + zm);
}

// 10 whole periods measured after 0.5 s. The CT starts in steady state (its
// warm start, tested on its own below); without it a DC flux transient with
// time constant L_m/R_b = 0.23 s would still be visible here.
void check_linear(CtBench& bench, double f_hz, double rate_hz, std::size_t n, Phase phase) {
  bench.plant.frequency = f_hz;
  BlockClock clock(rate_hz, n);
  const Run r = run(bench, clock, 0.5 + 10 / f_hz);
  double t0_s = 0;
  const std::vector<double> x = tail(r, 10 / f_hz, rate_hz, &t0_s);
  const Complex measured = phasor(x, f_hz, t0_s, 1 / rate_hz);
  const Complex ip = primary(bench.plant.current[phase]);
  const Complex expected = expected_pin(bench.ct.config(), f_hz, ip);
  BOOST_TEST_MESSAGE(bench.ct.name()
                     << ": magnitude error "
                     << relative_error(std::abs(measured), std::abs(expected)) << ", phase error "
                     << wrap_deg(angle_deg(measured) - angle_deg(expected)) << " deg");
  // Bounds: 10 ppm in magnitude, 1e-3 deg in phase; the trapezoidal rule's
  // frequency warping, (w*dt)^2/12 relative on tan(lead), costs ~2e-4 deg.
  BOOST_TEST(
      relative_error(std::abs(measured), std::abs(expected)) < 1e-5,
      bench.ct.name() << ": |V| " << std::abs(measured) << " expected " << std::abs(expected));
  BOOST_TEST(
      std::abs(wrap_deg(angle_deg(measured) - angle_deg(expected))) < 1e-3,
      bench.ct.name() << ": angle " << angle_deg(measured) << " expected " << angle_deg(expected));
  for (bool s : r.saturated) BOOST_TEST(!s);
}

void three_phase_primary(FakePlant& plant) {
  plant.current[L1] = {10, 0, false};
  plant.current[L2] = {7, -120, false};
  plant.current[L3] = {3, 120, false};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(current_transformer)

BOOST_AUTO_TEST_CASE(ratio_and_phase_lead_at_50hz) {
  CtBench& b = world().ct50;
  three_phase_primary(b.plant);
  check_linear(b, 50, 6400, 128, L1);
  // The design intent stated directly: at nominal frequency the lead is the
  // configured displacement and the magnitude is R_b*I/N*cos(lead).
  const Complex e = expected_pin(b.ct.config(), 50, primary(b.plant.current[L1]));
  BOOST_TEST(angle_deg(e) == 0.8, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(std::abs(e) == 27 * kSqrt2 * 10 / 2100 * std::cos(deg_to_rad(0.8)),
             boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(ratio_and_phase_lead_at_60hz) {
  // Nominal 50 Hz CT at 60 Hz: tan(lead) scales with 50/60.
  CtBench& b = world().ct60;
  three_phase_primary(b.plant);
  check_linear(b, 60, 6000, 100, L1);
  const Complex e = expected_pin(b.ct.config(), 60, primary(b.plant.current[L1]));
  BOOST_TEST(angle_deg(e) == std::atan(std::tan(deg_to_rad(0.8)) * 50 / 60) * 180 / kPi,
             boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(ratio_error_reads_high) {
  CtBench& b = world().ct_ratio;  // +1.5 %
  three_phase_primary(b.plant);
  check_linear(b, 50, 6400, 128, L1);
  const Complex nominal = 27.0 * primary(b.plant.current[L1]) / 2100.0;
  BOOST_TEST(
      std::abs(expected_pin(b.ct.config(), 50, primary(b.plant.current[L1]))) / std::abs(nominal) ==
          1.015 * std::cos(deg_to_rad(0.8)),
      boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(reversed_negates) {
  CtBench& b = world().ct_rev;
  three_phase_primary(b.plant);
  check_linear(b, 50, 6400, 128, L1);  // expected_pin carries the sign
  const Complex e = expected_pin(b.ct.config(), 50, primary(b.plant.current[L1]));
  BOOST_TEST(std::abs(wrap_deg(angle_deg(e) - 180.8)) < 1e-9);
}

BOOST_AUTO_TEST_CASE(clamped_on_the_wrong_phase_measures_that_phase) {
  CtBench& b = world().ct_wrong;  // phase = L2
  three_phase_primary(b.plant);
  check_linear(b, 50, 6400, 128, L2);
}

BOOST_AUTO_TEST_CASE(starts_in_steady_state) {
  // The plant runs long before t = 0, so the very first block must already be
  // the steady-state waveform (no DC flux transient). Bound 1e-4 of the peak,
  // against a discretisation error of ~(w*dt)^2/12 * tan(lead) ~ 3e-6.
  CtBench& fresh = world().ct_open;  // never sampled before this test
  three_phase_primary(fresh.plant);
  const Complex e = expected_pin(fresh.ct.config(), 50, primary(fresh.plant.current[L1]));
  BlockClock clock(6400, 128);
  const Run r = run(fresh, clock, 128 / 6400.0);
  double worst = 0;
  for (std::size_t k = 0; k < r.pin_v.size(); ++k) {
    const double t = r.t0_s + static_cast<double>(k) / 6400;
    worst = std::max(worst, std::abs(r.pin_v[k] - (e * std::polar(1.0, 2 * kPi * 50 * t)).imag()));
  }
  BOOST_TEST_MESSAGE("ct first block: worst deviation " << worst / std::abs(e) << " of peak");
  BOOST_TEST(worst < 1e-4 * std::abs(e), "worst " << worst / std::abs(e) << " of peak");

  // Open secondary: reads 0; closing it again starts in steady state too.
  fresh.ct.config().connected = false;
  const Run open = run(fresh, clock, 0.1);
  BOOST_TEST(rms(open.pin_v) == 0.0);
  for (bool s : open.saturated) BOOST_TEST(!s);
  fresh.ct.config().connected = true;
  const Run closed = run(fresh, clock, 128 / 6400.0);
  worst = 0;
  for (std::size_t k = 0; k < closed.pin_v.size(); ++k) {
    const double t = closed.t0_s + static_cast<double>(k) / 6400;
    worst =
        std::max(worst, std::abs(closed.pin_v[k] - (e * std::polar(1.0, 2 * kPi * 50 * t)).imag()));
  }
  BOOST_TEST(worst < 1e-4 * std::abs(e), "after reconnect: worst " << worst / std::abs(e));
}

BOOST_AUTO_TEST_CASE(linear_below_saturation_current) {
  // 90 % of saturation_current_a: the peak flux stays below the knee, so the
  // secondary RMS is the linear one (bound 0.1 %) and the core never saturates.
  CtBench& b = world().ct_sat_lo;
  b.plant.current[L1] = {0.9 * 75.6, 0, false};
  BlockClock clock(6400, 128);
  const Run r = run(b, clock, 1.0);
  double t0 = 0;
  const double measured = rms(tail(r, 0.2, 6400, &t0));
  const double linear =
      std::abs(expected_pin(b.ct.config(), 50, primary(b.plant.current[L1]))) / kSqrt2;
  BOOST_TEST(relative_error(measured, linear) < 1e-3, measured << " vs linear " << linear);
  for (bool s : r.saturated) BOOST_TEST(!s);
}

BOOST_AUTO_TEST_CASE(saturates_well_above_saturation_current) {
  // Three times saturation_current_a: the flux needs three times the knee, the
  // core saturates every half period and the secondary RMS falls clearly
  // (by more than 10 %) below the linear value.
  CtBench& b = world().ct_sat_hi;
  b.plant.current[L1] = {3 * 75.6, 0, false};
  BlockClock clock(6400, 128);
  const Run r = run(b, clock, 1.0);
  double t0 = 0;
  const double measured = rms(tail(r, 0.2, 6400, &t0));
  const double linear =
      std::abs(expected_pin(b.ct.config(), 50, primary(b.plant.current[L1]))) / kSqrt2;
  BOOST_TEST_MESSAGE("ct at 3x saturation current: secondary RMS " << measured / linear
                                                                   << " of linear");
  BOOST_TEST(measured < 0.9 * linear, measured << " vs linear " << linear);
  BOOST_TEST(r.saturated.back());
}

BOOST_AUTO_TEST_CASE(passes_no_dc) {
  // A half-wave rectified primary has a DC part (Ipk/pi = 3.2 A here). A CT
  // cannot pass DC: in steady state d(lambda)/dt = R_b*i_s averages to zero, so
  // the secondary has zero mean; the DC is carried by the magnetising branch,
  // which for this core means saturation (DC/N' = 1.5 mA exceeds the 0.7 mA
  // the linear region can carry).
  CtBench& b = world().ct_halfwave;
  b.plant.current[L1] = {5, 0, true};
  BlockClock clock(6400, 128);
  const Run r = run(b, clock, 3.0);
  double t0 = 0;
  const std::vector<double> x = tail(r, 0.2, 6400, &t0);
  BOOST_TEST(std::abs(mean(x)) < 1e-3 * rms(x), "mean " << mean(x) << " rms " << rms(x));
  BOOST_TEST(r.saturated.back());
}

BOOST_AUTO_TEST_CASE(zero_displacement_is_an_ideal_core) {
  CtBench& b = world().ct_ideal;
  three_phase_primary(b.plant);
  BlockClock clock(6400, 128);
  const Run r = run(b, clock, 0.1);
  double worst = 0;
  for (std::size_t k = 0; k < r.pin_v.size(); ++k) {
    const double t = r.t0_s + static_cast<double>(k) / 6400;
    worst = std::max(worst,
                     std::abs(r.pin_v[k] - 27 * kSqrt2 * 10 * std::sin(2 * kPi * 50 * t) / 2100));
  }
  BOOST_TEST(worst < 1e-12);
}

BOOST_AUTO_TEST_CASE(config_validation) {
  BOOST_TEST(CurrentTransformer::check(CtConfig{}).empty());
  CtConfig bad;
  bad.ratio = 0;
  BOOST_TEST(!CurrentTransformer::check(bad).empty());
  bad = CtConfig{};
  bad.phase_displacement_deg = -1;
  BOOST_TEST(!CurrentTransformer::check(bad).empty());
  bad = CtConfig{};
  bad.burden_ohm = 0;
  BOOST_TEST(!CurrentTransformer::check(bad).empty());
}

BOOST_AUTO_TEST_SUITE_END()
