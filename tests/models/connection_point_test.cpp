#include <boost/test/unit_test.hpp>
#include <cmath>
#include <complex>

#include "measure.h"
#include "world.h"

using namespace amprig::models;
using namespace amprig::models::test;

namespace {

// The ground truth integrates smooth periodic waveforms over 4096 points
// (spectrally exact) and a half-wave rectifier whose kink costs ~1e-7.
constexpr double kTruthTolerance = 1e-6;

void check_truth(const PhaseTruth& t, double v, double i, double p, double q, const char* what) {
  BOOST_TEST_CONTEXT(what) {
    BOOST_TEST(relative_error(t.voltage_v, v) < kTruthTolerance, t.voltage_v << " vs " << v);
    if (i == 0) {
      BOOST_TEST(t.current_a == 0.0);
      BOOST_TEST(t.power_w == 0.0);
      BOOST_TEST(t.reactive_var == 0.0);
      BOOST_TEST(t.power_factor == 0.0);
      return;
    }
    BOOST_TEST(relative_error(t.current_a, i) < kTruthTolerance, t.current_a << " vs " << i);
    BOOST_TEST(relative_error(t.power_w, p) < kTruthTolerance, t.power_w << " vs " << p);
    BOOST_TEST(relative_error(t.reactive_var, q) < kTruthTolerance, t.reactive_var << " vs " << q);
    BOOST_TEST(relative_error(t.apparent_va, v * i) < kTruthTolerance);
    BOOST_TEST(relative_error(t.power_factor, p / (v * i)) < kTruthTolerance);
  }
}

// IT: voltage_v is the line-to-line RMS to the next phase; the powers are
// against the star voltage vs.
void check_it_truth(const PhaseTruth& t, double u, double vs, double i, double p, double q,
                    const char* what) {
  BOOST_TEST_CONTEXT(what) {
    BOOST_TEST(relative_error(t.voltage_v, u) < kTruthTolerance, t.voltage_v << " vs " << u);
    if (i == 0) {
      BOOST_TEST(t.current_a == 0.0);
      BOOST_TEST(t.power_w == 0.0);
      BOOST_TEST(t.power_factor == 0.0);
      return;
    }
    BOOST_TEST(relative_error(t.current_a, i) < kTruthTolerance, t.current_a << " vs " << i);
    BOOST_TEST(relative_error(t.power_w, p) < kTruthTolerance, t.power_w << " vs " << p);
    BOOST_TEST(relative_error(t.reactive_var, q) < kTruthTolerance, t.reactive_var << " vs " << q);
    BOOST_TEST(relative_error(t.apparent_va, vs * i) < kTruthTolerance);
    BOOST_TEST(relative_error(t.power_factor, p / (vs * i)) < kTruthTolerance);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(connection_point)

BOOST_AUTO_TEST_CASE(truth_matches_closed_form) {
  // cp: mains 230 V with L2 sagged to 90 %;
  //   a: 10 A pf 0.8 lagging on L1; b: 4 A pf 0.9 leading on L1..L3;
  //   c: 5 A half-wave rectified, pf 1, on L2.
  const double phi_a = std::acos(0.8);
  const double phi_b = -std::acos(0.9);
  // L1: two sines; RMS phasors at -phi.
  const std::complex<double> ia = std::polar(10.0, -phi_a);
  const std::complex<double> ib = std::polar(4.0, -phi_b);
  check_truth(world().cp.truth(L1), 230, std::abs(ia + ib), 230 * (10 * 0.8 + 4 * 0.9),
              230 * (10 * std::sin(phi_a) + 4 * std::sin(phi_b)), "L1");
  // L2 at 207 V: the half-wave current (peak 10 A) has RMS 5 A, its fundamental
  // is 5*sin(theta) (peak), and only that correlates with b's sine:
  // mean(i_b * i_c) = (sqrt2*4) * 5 * cos(phi_b) / 2.
  // Power of the half-wave at pf 1: sqrt2 * V * I / 2; its Q is 0.
  const double v2 = 230 * 0.9;
  const double i2 = std::sqrt(16 + 25 + 2 * (kSqrt2 * 4 * 5 * std::cos(phi_b) / 2));
  check_truth(world().cp.truth(L2), v2, i2, v2 * 4 * 0.9 + kSqrt2 * v2 * 5 / 2,
              v2 * 4 * std::sin(phi_b), "L2");
  check_truth(world().cp.truth(L3), 230, 4, 230 * 4 * 0.9, 230 * 4 * std::sin(phi_b), "L3");
  BOOST_TEST(world().cp.frequency_hz() == 50.0);
}

BOOST_AUTO_TEST_CASE(truth_with_voltage_harmonics) {
  // Mains with 10 % 5th and 4 % 3rd; a pure-sine 6 A pf 0.7 lagging load on L1
  // exchanges power with the fundamental only.
  const double v = 230 * std::sqrt(1 + 0.01 + 0.0016);
  const double phi = std::acos(0.7);
  check_truth(world().cp_harm.truth(L1), v, 6, 230 * 6 * 0.7, 230 * 6 * std::sin(phi), "L1");
  check_truth(world().cp_harm.truth(L2), v, 0, 0, 0, "L2 (no load)");
  // No sources bound at all.
  check_truth(world().cp_empty.truth(L3), v, 0, 0, 0, "empty L3");
}

BOOST_AUTO_TEST_CASE(currents_sum_the_sources_once_per_block) {
  ConnectionPoint& cp = world().cp;
  BlockClock clock(6400, 160);
  const double phi_a = std::acos(0.8);
  const double phi_b = -std::acos(0.9);
  double worst = 0;
  for (int b = 0; b < 10; ++b) {
    const BlockTime time = clock.next();
    const CurrentBlock& i = cp.currents(time);
    const MainsBlock& v = cp.voltages(time);
    BOOST_TEST(v.time.index == time.index);
    // Asking again (another CT on the same block) returns the cached sum, not
    // a second one.
    const double first = i.i[L1][7];
    BOOST_TEST(&cp.currents(time) == &i);
    BOOST_TEST(cp.currents(time).i[L1][7] == first);
    for (std::size_t k = 0; k < time.n; ++k) {
      const double theta = 2 * kPi * 50 * static_cast<double>(time.index + k) / 6400;
      const double th2 = theta - 2 * kPi / 3;
      const double th3 = theta - 4 * kPi / 3;
      const double e1 =
          kSqrt2 * 10 * std::sin(theta - phi_a) + kSqrt2 * 4 * std::sin(theta - phi_b);
      const double e2 = kSqrt2 * 4 * std::sin(th2 - phi_b) + 10 * std::max(0.0, std::sin(th2));
      const double e3 = kSqrt2 * 4 * std::sin(th3 - phi_b);
      worst = std::max(
          {worst, std::abs(i.i[L1][k] - e1), std::abs(i.i[L2][k] - e2), std::abs(i.i[L3][k] - e3)});
    }
  }
  BOOST_TEST(worst < 1e-9, "worst " << worst << " A");
}

BOOST_AUTO_TEST_CASE(energy_is_the_integral_of_the_sampled_power) {
  // One second of whole cycles: the 6 A pf 0.7 load exchanges energy with the
  // fundamental only (the voltage harmonics are orthogonal to its sine), so
  // the register holds 230 V * 6 A * 0.7 * 1 s; the unloaded phase holds none.
  ConnectionPoint& cp = world().cp_harm;
  BlockClock clock(6400, 128);
  for (int b = 0; b < 50; ++b) cp.currents(clock.next());
  const double expected_wh = 230 * 6 * 0.7 * 1.0 / 3600;
  BOOST_TEST(relative_error(cp.energy_import_wh(L1), expected_wh) < 1e-9,
             cp.energy_import_wh(L1) << " vs " << expected_wh);
  BOOST_TEST(cp.energy_export_wh(L1) == 0.0);
  BOOST_TEST(cp.energy_import_wh(L2) == 0.0);
  BOOST_TEST(cp.energy_export_wh(L2) == 0.0);
}

BOOST_AUTO_TEST_CASE(no_sources_no_current) {
  ConnectionPoint& cp = world().cp_empty;
  BlockClock clock(6400, 128);
  const CurrentBlock& i = cp.currents(clock.next());
  double worst = 0;
  for (int p = 0; p < kPhases; ++p) {
    for (std::size_t k = 0; k < 128; ++k) worst = std::max(worst, std::abs(i.i[p][k]));
  }
  BOOST_TEST(worst == 0.0);
}

BOOST_AUTO_TEST_CASE(truth_it_balanced_three_phase) {
  // 400 V IT, 10 A pf 0.8 lagging on each line: star voltage 400/sqrt3, each
  // phase P = Vs*I*pf, total sqrt3*U*I*pf.
  const double vs = 400 / std::sqrt(3.0);
  const double sin_phi = 0.6;
  double total_w = 0;
  for (Phase p : {L1, L2, L3}) {
    const PhaseTruth t = world().cp_it_three.truth(p);
    check_it_truth(t, 400, vs, 10, vs * 10 * 0.8, vs * 10 * sin_phi, "phase");
    total_w += t.power_w;
  }
  BOOST_TEST(relative_error(total_w, std::sqrt(3.0) * 400 * 10 * 0.8) < kTruthTolerance);
}

BOOST_AUTO_TEST_CASE(truth_it_line_to_line_load) {
  // One 10 A pf 0.8 lagging load between L1 and L2 of a 400 V IT mains. u12
  // leads v1 by 30 deg, so against the star voltages:
  //   L1: P = Vs*I*cos(phi - 30 deg), Q = Vs*I*sin(phi - 30 deg)
  //   L2: P = Vs*I*cos(phi + 30 deg), Q = Vs*I*sin(phi + 30 deg)
  // which sum to U*I*cos(phi) and U*I*sin(phi).
  const double vs = 400 / std::sqrt(3.0);
  const double phi = std::acos(0.8);
  const double d30 = kPi / 6;
  const PhaseTruth t1 = world().cp_it_ll.truth(L1);
  const PhaseTruth t2 = world().cp_it_ll.truth(L2);
  const PhaseTruth t3 = world().cp_it_ll.truth(L3);
  check_it_truth(t1, 400, vs, 10, vs * 10 * std::cos(phi - d30), vs * 10 * std::sin(phi - d30),
                 "L1");
  check_it_truth(t2, 400, vs, 10, vs * 10 * std::cos(phi + d30), vs * 10 * std::sin(phi + d30),
                 "L2");
  check_it_truth(t3, 400, vs, 0, 0, 0, "L3");
  BOOST_TEST(relative_error(t1.power_w + t2.power_w + t3.power_w, 400 * 10 * 0.8) <
             kTruthTolerance);
  BOOST_TEST(relative_error(t1.reactive_var + t2.reactive_var + t3.reactive_var, 400 * 10 * 0.6) <
             kTruthTolerance);
}

BOOST_AUTO_TEST_CASE(truth_it_unequal_lines) {
  // 400 V IT, sequence L1-L3-L2, star voltages at levels a = 1, 0.9, 1.1:
  // lines 120 deg apart give |a_p - a_q e^{+-j120}| = sqrt(a_p^2 + a_q^2 + a_p a_q).
  const double vs = 400 / std::sqrt(3.0);
  const double a[kPhases] = {1.0, 0.9, 1.1};
  for (int p = 0; p < kPhases; ++p) {
    const int q = (p + 1) % kPhases;
    const double u = vs * std::sqrt(a[p] * a[p] + a[q] * a[q] + a[p] * a[q]);
    check_it_truth(world().cp_it_sag.truth(static_cast<Phase>(p)), u, vs * a[p], 10,
                   vs * a[p] * 10 * 0.8, vs * a[p] * 10 * 0.6, "phase");
  }
}

BOOST_AUTO_TEST_CASE(energy_it_is_per_phase_against_the_star_voltage) {
  // One second of the L1-L2 load (see truth_it_line_to_line_load).
  ConnectionPoint& cp = world().cp_it_ll;
  BlockClock clock(6400, 128);
  for (int b = 0; b < 50; ++b) cp.currents(clock.next());
  const double vs = 400 / std::sqrt(3.0);
  const double phi = std::acos(0.8);
  const double e1_wh = vs * 10 * std::cos(phi - kPi / 6) / 3600;
  const double e2_wh = vs * 10 * std::cos(phi + kPi / 6) / 3600;
  BOOST_TEST(relative_error(cp.energy_import_wh(L1), e1_wh) < 1e-9);
  BOOST_TEST(relative_error(cp.energy_import_wh(L2), e2_wh) < 1e-9);
  BOOST_TEST(relative_error(cp.energy_import_wh(L1) + cp.energy_import_wh(L2),
                            400 * 10 * 0.8 / 3600.0) < 1e-9);
  BOOST_TEST(cp.energy_import_wh(L3) == 0.0);
  BOOST_TEST(cp.energy_export_wh(L1) + cp.energy_export_wh(L2) == 0.0);
}

BOOST_AUTO_TEST_SUITE_END()
