// Plant faults against closed-form references computed here: the star point of a TN
// installation whose neutral is lost, the supply's frequency drift, a whole-supply
// interruption, and voltage harmonics set at run time.
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

// The supply's phase voltages for the positive sequence, RMS phasors relative to L1.
std::array<Complex, 3> supply(double rms_v) {
  return {std::polar(rms_v, 0.0), std::polar(rms_v, deg_to_rad(-120)),
          std::polar(rms_v, deg_to_rad(120))};
}

// Millman: the floating star point of admittances y_p (S) from phases v_p, with currents j_p
// (A, into the star point) of current sources.
Complex star_point(const std::array<Complex, 3>& v, const std::array<Complex, 3>& y,
                   const std::array<Complex, 3>& j = {}) {
  Complex num = 0.0, den = 0.0;
  for (int p = 0; p < 3; ++p) {
    num += y[p] * v[p] + j[p];
    den += y[p];
  }
  return num / den;
}

// The admittance of a load drawing `current_a` at `pf` (lagging unless `leading`) from `rms_v`.
Complex load_admittance(double current_a, double pf, bool leading, double rms_v) {
  const double phi = std::acos(pf);
  return std::polar(current_a / rms_v, leading ? phi : -phi);
}

// Samples x(t) = sqrt2 |X| sin(w t + arg X) at the block's instants.
double sine_at(Complex x, double f_hz, double t_s) {
  return kSqrt2 * std::abs(x) * std::sin(2 * kPi * f_hz * t_s + std::arg(x));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(plant_faults)

BOOST_AUTO_TEST_CASE(neutral_loss_floats_the_star_point_of_resistive_loads) {
  FaultBenches& f = world().faults;
  ConnectionPoint& cp = f.cp_neutral_r;
  BOOST_TEST(std::abs(cp.neutral_voltage_v()) == 0.0);  // intact: the star point is the supply's
  cp.set_neutral_lost(true);

  // 6, 5 and 4 A at 230 V are 38.3, 46 and 57.5 ohm. By hand:
  //   V_N = 230 (6 + 5 a^2 + 4 a) / 15 = 230 (1.5 - j 0.866) / 15 = 23 - j 13.279 V.
  const auto v = supply(230);
  const std::array<Complex, 3> y{6.0 / 230, 5.0 / 230, 4.0 / 230};
  const Complex expected = star_point(v, y);
  BOOST_TEST(std::abs(expected - Complex(23, -13.279056)) < 1e-5);
  const Complex vn = cp.neutral_voltage_v();
  BOOST_TEST(std::abs(vn - expected) < 1e-9 * 230, "V_N " << vn << " expected " << expected);

  // Ground truth: each load sees V_p - V_N and draws it over its resistance.
  for (int p = 0; p < 3; ++p) {
    const Complex across = v[p] - expected;
    const PhaseTruth t = cp.truth(static_cast<Phase>(p));
    BOOST_TEST(relative_error(t.voltage_v, std::abs(across)) < 1e-9, "L" << p + 1);
    BOOST_TEST(relative_error(t.current_a, std::abs(across) * y[p].real()) < 1e-9, "L" << p + 1);
    BOOST_TEST(relative_error(t.power_w, std::norm(across) * y[p].real()) < 1e-9, "L" << p + 1);
  }
  // By hand as well: 207.43, 231.53 and 253.35 V.
  BOOST_TEST(std::abs(cp.truth(L1).voltage_v - 207.425) < 0.001);
  BOOST_TEST(std::abs(cp.truth(L3).voltage_v - 253.348) < 0.001);

  // The sampled path: the voltages against the floating neutral, and currents that sum to
  // zero, as they must with nowhere else to go.
  BlockClock clock(6400, 64);
  double worst_v = 0, worst_i = 0, worst_sum = 0;
  for (int b = 0; b < 4; ++b) {
    const BlockTime time = clock.next();
    const MainsBlock& block = cp.voltages(time);
    const CurrentBlock& i = cp.currents(time);
    for (std::size_t k = 0; k < time.n; ++k) {
      const double t = FakePlant::t(time, k);
      double sum = 0;
      for (int p = 0; p < 3; ++p) {
        const Complex across = v[p] - expected;
        worst_v = std::max(worst_v, std::abs(block.v[p][k] - sine_at(across, 50, t)));
        worst_i = std::max(worst_i, std::abs(i.i[p][k] - sine_at(across * y[p], 50, t)));
        sum += i.i[p][k];
      }
      worst_sum = std::max(worst_sum, std::abs(sum));
    }
  }
  BOOST_TEST(worst_v < 1e-9 * 360, "worst voltage error " << worst_v);
  BOOST_TEST(worst_i < 1e-9 * 10, "worst current error " << worst_i);
  BOOST_TEST(worst_sum < 1e-9, "worst sum of the currents " << worst_sum);

  // Back: the supply's own voltages and the loads' set currents.
  cp.set_neutral_lost(false);
  BOOST_TEST(std::abs(cp.neutral_voltage_v()) == 0.0);
  BOOST_TEST(relative_error(cp.truth(L3).voltage_v, 230) < 1e-9);
  BOOST_TEST(relative_error(cp.truth(L3).current_a, 4) < 1e-9);
}

BOOST_AUTO_TEST_CASE(neutral_loss_weighs_reactive_loads_the_terminal_and_current_sources) {
  FaultBenches& f = world().faults;
  ConnectionPoint& cp = f.cp_neutral_mix;
  f.neutral_car.update(30);  // charging its 10 A by now (3 s delay, 2 A/s ramp)
  BOOST_REQUIRE(f.neutral_car.grid_current_a(L3) == 10.0);
  const double terminal_s = 1 / (1.0e6 + 2.4e3);
  for (Phase p : {L1, L2, L3}) cp.set_terminal_admittance(p, terminal_s);
  cp.set_neutral_lost(true);

  const auto v = supply(230);
  const std::array<Complex, 3> y{load_admittance(10, 0.8, false, 230) + 4.0 / 230 + terminal_s,
                                 load_admittance(3, 0.9, true, 230) + 4.0 / 230 + terminal_s,
                                 Complex(4.0 / 230 + terminal_s)};
  // The car draws 10 A in phase with L3's supply voltage, whatever the neutral does.
  const std::array<Complex, 3> j{0.0, 0.0, std::polar(10.0, deg_to_rad(120))};
  const Complex expected = star_point(v, y, j);
  const Complex vn = cp.neutral_voltage_v();
  BOOST_TEST(std::abs(vn - expected) < 1e-9 * 230, "V_N " << vn << " expected " << expected);

  // Line currents: the loads on V_p - V_N (the terminal's microamps are not in the lines), plus
  // the car on L3.
  for (int p = 0; p < 3; ++p) {
    const Complex across = v[p] - expected;
    const Complex line = across * (y[p] - terminal_s) + j[p];
    const PhaseTruth t = cp.truth(static_cast<Phase>(p));
    BOOST_TEST(relative_error(t.voltage_v, std::abs(across)) < 1e-9, "L" << p + 1);
    BOOST_TEST(relative_error(t.current_a, std::abs(line)) < 1e-9, "L" << p + 1);
    BOOST_TEST(relative_error(t.power_w, std::real(across * std::conj(line))) < 1e-8, "L" << p + 1);
  }
  // What the line currents leave is what the terminal takes: microamps.
  BlockClock clock(6400, 64);
  const BlockTime time = clock.next();
  const CurrentBlock& i = cp.currents(time);
  double worst_sum = 0;
  for (std::size_t k = 0; k < time.n; ++k) {
    worst_sum = std::max(worst_sum, std::abs(i.i[0][k] + i.i[1][k] + i.i[2][k]));
  }
  BOOST_TEST(worst_sum < 1e-3, "worst sum of the line currents " << worst_sum);
  cp.set_neutral_lost(false);
}

BOOST_AUTO_TEST_CASE(frequency_drifts_phase_continuously_and_holds_at_the_limit) {
  Mains& m = world().faults.mains_drift;
  m.config().frequency_drift_hz_per_s = 0.5;
  BlockClock clock(6400, 64);
  // The closed form of the drift as the model applies it: the frequency of block b is the
  // frequency at its start, and the angle carries over from block to block.
  double theta = 0, f_hz = 50, worst = 0;
  for (int b = 0; b < 400; ++b) {  // 4 s
    const BlockTime time = clock.next();
    f_hz = 50 + 0.5 * time.t0_s;
    const MainsBlock& block = m.block(time);
    for (std::size_t k = 0; k < time.n; ++k) {
      const double expected = kSqrt2 * 230 * std::sin(theta + 2 * kPi * f_hz * time.dt_s * k);
      worst = std::max(worst, std::abs(block.v[L1][k] - expected));
    }
    theta += 2 * kPi * f_hz * time.dt_s * static_cast<double>(time.n);
  }
  BOOST_TEST(worst < 1e-6 * 325, "worst error " << worst);
  BOOST_TEST(std::abs(m.frequency_hz() - (50 + 0.5 * 3.99)) < 1e-9);

  Mains& limit = world().faults.mains_drift_limit;  // 64 Hz, drifting up at 2 Hz/s
  limit.config().frequency_drift_hz_per_s = 2;
  BlockClock clock2(6400, 64);
  for (int b = 0; b < 100; ++b) limit.block(clock2.next());
  BOOST_TEST(limit.frequency_hz() == 65.0);
  limit.config().frequency_drift_hz_per_s = -2;
  for (int b = 0; b < 100; ++b) limit.block(clock2.next());
  // Falling from the block it was set in (1.00 s) to the last one (1.99 s).
  BOOST_TEST(std::abs(limit.frequency_hz() - (65 - 2 * 0.99)) < 1e-9);
}

BOOST_AUTO_TEST_CASE(an_interruption_takes_the_phases_away) {
  FaultBenches& f = world().faults;
  f.mains_interrupt.config().common_level = 0.5;  // a sag to half: the load keeps its current
  BlockClock clock(6400, 128);
  BOOST_TEST(relative_error(f.cp_interrupt.truth(L2).voltage_v, 115) < 1e-9);
  BOOST_TEST(relative_error(f.cp_interrupt.truth(L2).current_a, 8) < 1e-9);
  f.mains_interrupt.config().common_level = 0;
  for (Phase p : {L1, L2, L3}) BOOST_TEST(!f.mains_interrupt.present(p));
  const BlockTime time = clock.next();
  const MainsBlock& v = f.cp_interrupt.voltages(time);
  const CurrentBlock& i = f.cp_interrupt.currents(time);
  double worst = 0;
  for (int p = 0; p < 3; ++p) {
    BOOST_TEST(v.present[p] == 0.0);
    for (std::size_t k = 0; k < time.n; ++k) {
      worst = std::max({worst, std::abs(v.v[p][k]), std::abs(i.i[p][k])});
    }
  }
  BOOST_TEST(worst == 0.0);
  BOOST_TEST(f.cp_interrupt.truth(L1).current_a == 0.0);
  f.mains_interrupt.config().common_level = 1;
  BOOST_TEST(relative_error(f.cp_interrupt.truth(L1).voltage_v, 230) < 1e-9);
}

BOOST_AUTO_TEST_CASE(harmonics_set_at_run_time_add_to_the_rms) {
  Mains& m = world().faults.mains_drift_limit;
  m.config().frequency_drift_hz_per_s = 0;
  m.config().frequency_hz = 50;
  m.set_harmonic_pct(3, 5);
  m.set_harmonic_pct(5, 6);
  m.set_harmonic_pct(3, 4);  // changes the one already there
  BOOST_TEST(m.harmonic_pct(3) == 4.0);
  BOOST_TEST(m.harmonic_pct(5) == 6.0);
  BOOST_TEST(m.harmonic_pct(7) == 0.0);
  BOOST_TEST(m.config().harmonics.size() == 2u);
  // One whole period of the block path: RMS = 230 sqrt(1 + 0.04^2 + 0.06^2).
  // The block after the last one of the test before (200 blocks of 64 samples).
  const BlockTime time{12800, 2.0, 1 / 6400.0, 128};
  const MainsBlock& block = m.block(time);
  std::vector<double> x(block.v[L2].begin(), block.v[L2].begin() + 128);
  BOOST_TEST(relative_error(rms(x), 230 * std::sqrt(1 + 0.0016 + 0.0036)) < 1e-9);
  m.set_harmonic_pct(3, 0);
  m.set_harmonic_pct(5, 0);
}

BOOST_AUTO_TEST_SUITE_END()
