#include <boost/test/unit_test.hpp>
#include <cmath>
#include <complex>
#include <limits>
#include <vector>

#include "measure.h"
#include "source_record.h"
#include "world.h"

using namespace amprig::models;
using namespace amprig::models::test;

namespace {

constexpr double kRateHz = 6400;  // 128 samples per 50 Hz period
constexpr std::size_t kBlock = 128;
constexpr double kVoltageV = 230;
// Sampled sinusoids over whole periods, and closed forms: only rounding is left.
constexpr double kExact = 1e-9;

// Each Mains sees its blocks in order, across tests: one clock per Mains.
BlockClock& clock_for(const Mains& mains) {
  static BlockClock solar(kRateHz, kBlock), lost(kRateHz, kBlock), harm(kRateHz, kBlock),
      drop(kRateHz, kBlock), cp(kRateHz, kBlock);
  if (&mains == &world().mains_solar_lost) return lost;
  if (&mains == &world().mains_solar_harm) return harm;
  if (&mains == &world().mains_solar_drop) return drop;
  if (&mains == &world().mains_solar_cp) return cp;
  return solar;
}

using Record = SourceRecord;

Record record(Mains& mains, PvInverter& pv, int blocks = 50) {
  BlockClock& clock = clock_for(mains);
  Record r;
  r.t0_s = static_cast<double>(clock.next_index()) / kRateHz;
  for (int b = 0; b < blocks; ++b) r.append(mains.block(clock.next()), pv);
  return r;
}

// One block of one period at time t0_s, out of sequence, on mains_solar_time.
struct BlockAt {
  double mid_s = 0;
  double p_w[kPhases] = {};
};

BlockAt block_at(PvInverter& pv, double t0_s) {
  BlockTime time;
  time.index = static_cast<std::uint64_t>(std::llround(t0_s * kRateHz));
  time.t0_s = static_cast<double>(time.index) / kRateHz;
  time.dt_s = 1 / kRateHz;
  time.n = kBlock;
  const MainsBlock& m = world().mains_solar_time.block(time);
  static CurrentBlock out;
  for (auto& phase : out.i) phase.fill(0);
  pv.add_current(m, out);
  BlockAt b;
  b.mid_s = time.t0_s + 0.5 * static_cast<double>(kBlock) / kRateHz;
  for (int p = 0; p < kPhases; ++p) {
    const std::vector<double> v(m.v[p].begin(), m.v[p].begin() + kBlock);
    const std::vector<double> i(out.i[p].begin(), out.i[p].begin() + kBlock);
    b.p_w[p] = mean_product(v, i);
  }
  return b;
}

double angle_of(int p, double t_s) { return 2 * kPi * 50 * t_s - p * 2 * kPi / 3; }

// The closed form the inverter is specified by: per phase Pp out, Qp absorbed.
double expected_current(double phase_w, double phase_var, double voltage_v, double theta_rad) {
  return -kSqrt2 * (phase_w * std::sin(theta_rad) + phase_var * std::cos(theta_rad)) / voltage_v;
}

void check_power(const Record& r, int p, double voltage_v, double phase_w, double phase_var) {
  BOOST_TEST_CONTEXT("L" << p + 1) {
    const double current_a = std::hypot(phase_w, phase_var) / voltage_v;
    BOOST_TEST(relative_error(r.irms_a(p), current_a) < kExact, r.irms_a(p) << " A");
    BOOST_TEST(relative_error(r.p_w(p), -phase_w) < kExact, r.p_w(p) << " W");
    BOOST_TEST(std::abs(r.q_var(p) - phase_var) < kExact * voltage_v * current_a, r.q_var(p)
                                                                                      << " var");
  }
}

// Clear sky from sunrise 6 h to sunset 20 h; pv_sky starts at 12:00.
double seconds_at_hour(double h) { return std::fmod(h - 12 + 24, 24) * 3600; }

}  // namespace

BOOST_AUTO_TEST_SUITE(solar)

BOOST_AUTO_TEST_CASE(constant_three_phase_feeds_in_a_third_per_phase) {
  const Record r = record(world().mains_solar, world().pv_three);  // 4600 W on L1..L3
  for (int p = 0; p < kPhases; ++p) {
    check_power(r, p, kVoltageV, 4600.0 / 3, 0);
    BOOST_TEST(relative_error(r.irms_a(p), 4600.0 / 3 / 230) < kExact);
    // Export at unity power factor: the current is in antiphase with the voltage.
    BOOST_TEST(std::abs(wrap_deg(angle_deg(r.ih(p)) - angle_deg(r.v1(p)) - 180)) < 1e-7);
  }
  BOOST_TEST(world().pv_three.power_w() == 4600.0, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(single_phase_feeds_in_on_its_phase_only) {
  const Record r = record(world().mains_solar, world().pv_single);  // 3000 W on L2
  check_power(r, L2, kVoltageV, 3000, 0);
  BOOST_TEST(rms(r.i[L1]) == 0.0);
  BOOST_TEST(rms(r.i[L3]) == 0.0);
  BOOST_TEST(world().pv_single.power_w() == 3000.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(world().pv_single.current_at(L1, 1.0, world().mains_solar) == 0.0);
}

BOOST_AUTO_TEST_CASE(absorbed_reactive_power_looks_inductive) {
  // 3000 W out and +1200 var: per phase 1000 W export and 400 var inductive,
  // I = sqrt(1000^2 + 400^2) / 230.
  const Record r = record(world().mains_solar, world().pv_reactive);
  for (int p = 0; p < kPhases; ++p) {
    check_power(r, p, kVoltageV, 1000, 400);
    BOOST_TEST(r.q_var(p) > 0);
  }
}

BOOST_AUTO_TEST_CASE(current_follows_the_fundamental_and_its_sag) {
  // 10 % 5th and 4 % 3rd harmonic, L2 at 90 %; 4600 W and -900 var (the
  // inverter supplies reactive power). Blocks are whole periods, so the
  // inverter sees the fundamental exactly; its sinusoidal current exchanges no
  // power with the harmonics.
  const Record r = record(world().mains_solar_harm, world().pv_harm);
  const double level[kPhases] = {1.0, 0.9, 1.0};
  for (int p = 0; p < kPhases; ++p) check_power(r, p, kVoltageV * level[p], 4600.0 / 3, -300);
  BOOST_TEST(world().pv_harm.power_w() == 4600.0, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(no_output_on_a_lost_phase) {
  // Anti-islanding: nothing on the lost L2, the others unchanged.
  const Record r = record(world().mains_solar_lost, world().pv_on_lost);  // 4600 W, L1..L3
  check_power(r, L1, kVoltageV, 4600.0 / 3, 0);
  check_power(r, L3, kVoltageV, 4600.0 / 3, 0);
  BOOST_TEST(rms(r.i[L2]) == 0.0);
  BOOST_TEST(world().pv_on_lost.power_w() == 2 * 4600.0 / 3, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(world().pv_on_lost.current_at(L2, 1.0, world().mains_solar_lost) == 0.0);
  // A single-phase inverter on the lost phase delivers nothing at all.
  const Record single = record(world().mains_solar_lost, world().pv_single_lost);
  for (int p = 0; p < kPhases; ++p) BOOST_TEST(rms(single.i[p]) == 0.0);
  BOOST_TEST(world().pv_single_lost.power_w() == 0.0);
  BOOST_TEST(world().pv_single_lost.current_at(L2, kPi / 2, world().mains_solar_lost) == 0.0);
}

BOOST_AUTO_TEST_CASE(output_stops_while_a_phase_is_lost_and_resumes) {
  Mains& mains = world().mains_solar_drop;
  PvInverter& pv = world().pv_drop;  // 2000 W on L1 and L3
  check_power(record(mains, pv, 5), L1, kVoltageV, 1000, 0);
  mains.config().lost[L1] = true;
  const Record lost = record(mains, pv, 5);
  BOOST_TEST(rms(lost.i[L1]) == 0.0);
  check_power(lost, L3, kVoltageV, 1000, 0);
  BOOST_TEST(pv.power_w() == 1000.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(pv.current_at(L1, kPi / 2, mains) == 0.0);
  mains.config().lost[L1] = false;
  const Record back = record(mains, pv, 5);
  check_power(back, L1, kVoltageV, 1000, 0);
  check_power(back, L3, kVoltageV, 1000, 0);
  BOOST_TEST(pv.power_w() == 2000.0, boost::test_tools::tolerance(1e-12));
  // A sag: the inverter senses the lower voltage and raises its current.
  mains.config().level[L3] = 0.9;
  check_power(record(mains, pv, 5), L3, kVoltageV * 0.9, 1000, 0);
  mains.config().level[L3] = 1.0;
}

BOOST_AUTO_TEST_CASE(voltage_sensing_spans_a_period_of_short_blocks) {
  // 60 Hz with 5 % 5th, 3 % 3rd and 1 % 2nd harmonic, in blocks of 37 samples:
  // projected over one block, the harmonics would shift the sensed fundamental
  // by up to 4 %. Over the last N = round(6400 / 60) = 107 samples the angles
  // span 2 pi + d with |d| <= D / 2 (D: the angle per sample), and
  // sum cos(m theta_k + psi) is at most |sin(m d / 2) / sin(m D / 2)| <= pi / 4
  // for m D <= pi; so harmonic h moves sum(v sin) by at most a_h * pi / 4 of
  // the amplitude, against sum(sin^2) >= N / 2 - pi / 8.
  Mains& mains = world().mains_solar_60;
  PvInverter& pv = world().pv_sense;  // 1000 W on L1
  const double n_period = std::round(kRateHz / 60);
  const double bound = (0.05 + 0.03 + 0.01) * (kPi / 4) / (n_period / 2 - kPi / 8);
  BlockClock clock(kRateHz, 37);
  static CurrentBlock out;
  double worst = 0;
  for (int b = 0; b < 100; ++b) {
    const MainsBlock& m = mains.block(clock.next());
    for (auto& phase : out.i) phase.fill(0);
    pv.add_current(m, out);
    if (clock.next_index() < n_period) continue;  // not a whole period sensed yet
    // At theta = pi / 2 the current is -sqrt2 * P / V_sensed.
    const double sensed_v = -kSqrt2 * 1000 / pv.current_at(L1, kPi / 2, mains);
    worst = std::max(worst, relative_error(sensed_v, kVoltageV));
  }
  BOOST_TEST(worst <= bound, "worst " << worst << ", bound " << bound);
}

BOOST_AUTO_TEST_CASE(block_path_matches_closed_form) {
  // current_at (std::sin) is the second implementation; add_current's products
  // with the mains' phasor arrays must agree with it at every sample's angle.
  struct Case {
    Mains* mains;
    PvInverter* pv;
  };
  const Case cases[] = {{&world().mains_solar, &world().pv_three},
                        {&world().mains_solar, &world().pv_single},
                        {&world().mains_solar, &world().pv_reactive},
                        {&world().mains_solar_harm, &world().pv_harm}};
  for (const Case& c : cases) {
    const Record r = record(*c.mains, *c.pv);
    double worst = 0;
    for (int p = 0; p < kPhases; ++p) {
      for (std::size_t k = 0; k < r.i[p].size(); ++k) {
        const double t = r.t0_s + static_cast<double>(k) / kRateHz;
        const double closed = c.pv->current_at(static_cast<Phase>(p), angle_of(p, t), *c.mains);
        worst = std::max(worst, std::abs(r.i[p][k] - closed));
      }
    }
    BOOST_TEST(worst < 1e-9, c.pv->name() << ": worst " << worst << " A");
  }
  // And the closed form against its defining formula.
  BOOST_TEST(world().pv_reactive.current_at(L1, 0.4, world().mains_solar) ==
                 expected_current(1000, 400, 230, 0.4),
             boost::test_tools::tolerance(1e-12));
  BOOST_TEST(world().pv_harm.current_at(L2, 2.5, world().mains_solar_harm) ==
                 expected_current(4600.0 / 3, -300, 230 * 0.9, 2.5),
             boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(ramp_profile) {
  // From 500 W at 10 s to 4000 W at 70 s.
  const PvInverter& pv = world().pv_ramp;
  BOOST_TEST(pv.power_at(0) == 500.0);
  BOOST_TEST(pv.power_at(10) == 500.0);
  BOOST_TEST(pv.power_at(25) == 500 + 3500 * 15.0 / 60, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(pv.power_at(40) == 2250.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(pv.power_at(69.5) == 500 + 3500 * 59.5 / 60, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(pv.power_at(70) == 4000.0);
  BOOST_TEST(pv.power_at(1000) == 4000.0);
}

BOOST_AUTO_TEST_CASE(a_block_delivers_the_profile_at_its_mid_time) {
  PvInverter& pv = world().pv_ramp;  // 500 W at 10 s rising to 4000 W at 70 s, L1..L3
  for (double t0_s : {2.0, 40.0, 69.99, 300.0}) {
    BOOST_TEST_CONTEXT("block at " << t0_s << " s") {
      const BlockAt b = block_at(pv, t0_s);
      double expected_w = 4000;
      if (b.mid_s <= 10) {
        expected_w = 500;
      } else if (b.mid_s < 70) {
        expected_w = 500 + 3500 * (b.mid_s - 10) / 60;
      }
      BOOST_TEST(pv.power_w() == expected_w, boost::test_tools::tolerance(1e-12));
      for (int p = 0; p < kPhases; ++p) {
        BOOST_TEST(relative_error(b.p_w[p], -expected_w / 3) < kExact, b.p_w[p] << " W");
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(clear_sky_profile) {
  // 5000 W peak, sunrise 6 h, sunset 20 h, t = 0 at 12:00.
  const PvInverter& pv = world().pv_sky;
  for (double h : {0.0, 3.0, 5.99, 6.0, 20.0, 22.5}) {
    BOOST_TEST(pv.power_at(seconds_at_hour(h)) == 0.0, "at " << h << " h");
  }
  // Solar noon halfway between sunrise and sunset.
  BOOST_TEST(pv.power_at(seconds_at_hour(13)) == 5000.0, boost::test_tools::tolerance(1e-12));
  for (double x : {0.5, 2.0, 4.25, 6.9}) {
    const double before = pv.power_at(seconds_at_hour(13 - x));
    const double after = pv.power_at(seconds_at_hour(13 + x));
    BOOST_TEST(before > 0.0);
    BOOST_TEST(relative_error(before, after) < kExact, x << " h from noon");
  }
  for (double h : {6.5, 8.0, 10.5, 16.75, 19.9}) {
    const double expected = 5000 * std::pow(std::sin(kPi * (h - 6) / 14), 1.2);
    BOOST_TEST(relative_error(pv.power_at(seconds_at_hour(h)), expected) < kExact, h << " h");
  }
  // The day repeats: 08:00 tomorrow as today.
  BOOST_TEST(relative_error(pv.power_at(seconds_at_hour(8) + 86400),
                            pv.power_at(seconds_at_hour(8))) < kExact);
  BOOST_TEST(pv.power_at(seconds_at_hour(3) + 86400) == 0.0);
}

BOOST_AUTO_TEST_CASE(clouds_are_trapezoids) {
  // 3000 W constant; clouds: 70 % deep from 10 s with 1 s edges and 5 s full;
  // 100 % deep from 30 s for 2 s, abrupt; 50 % from 50 s and 40 % from 55 s,
  // 10 s each, abrupt.
  const PvInverter& pv = world().pv_clouds;
  struct Point {
    double t_s;
    double w;
  };
  const Point points[] = {
      {5, 3000},
      {10, 3000},
      {10.5, 3000 * (1 - 0.7 * 0.5)},
      {11, 900},
      {13, 900},
      {16, 900},
      {16.25, 3000 * (1 - 0.7 * 0.75)},
      {17, 3000},
      {20, 3000},
      {29.999, 3000},
      {30.001, 0},
      {31.999, 0},
      {32.001, 3000},
      {52, 1500},
      {57, 3000 * 0.5 * 0.6},
      {62, 3000 * 0.6},
      {66, 3000},
  };
  for (const Point& x : points) {
    BOOST_TEST_CONTEXT("t = " << x.t_s << " s") {
      if (x.w == 0) {
        BOOST_TEST(pv.power_at(x.t_s) == 0.0);
      } else {
        BOOST_TEST(relative_error(pv.power_at(x.t_s), x.w) < kExact, pv.power_at(x.t_s));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(truth_at_the_connection_point) {
  // 4600 W out and +1500 var absorbed on L1..L3: per phase 1533.3 W export and
  // 500 var inductive at 230 V.
  ConnectionPoint& cp = world().cp_solar;
  const double phase_w = 4600.0 / 3, phase_var = 500;
  const double current_a = std::hypot(phase_w, phase_var) / kVoltageV;
  const auto check = [&](const char* what) {
    for (int p = 0; p < kPhases; ++p) {
      BOOST_TEST_CONTEXT(what << ", L" << p + 1) {
        const PhaseTruth t = cp.truth(static_cast<Phase>(p));
        BOOST_TEST(relative_error(t.voltage_v, kVoltageV) < kExact);
        BOOST_TEST(relative_error(t.current_a, current_a) < kExact, t.current_a);
        BOOST_TEST(relative_error(t.power_w, -phase_w) < kExact, t.power_w);
        BOOST_TEST(relative_error(t.reactive_var, phase_var) < kExact, t.reactive_var);
        BOOST_TEST(relative_error(t.power_factor, -phase_w / (kVoltageV * current_a)) < kExact);
      }
    }
  };
  // Before any block: the profile at the present time, the mains' own fundamental.
  check("before the first block");
  BlockClock& clock = clock_for(world().mains_solar_cp);
  std::vector<double> v[kPhases], i[kPhases];
  for (int b = 0; b < 50; ++b) {
    const BlockTime time = clock.next();
    const MainsBlock& m = cp.voltages(time);
    const CurrentBlock& c = cp.currents(time);
    for (int p = 0; p < kPhases; ++p) {
      v[p].insert(v[p].end(), m.v[p].begin(), m.v[p].begin() + time.n);
      i[p].insert(i[p].end(), c.i[p].begin(), c.i[p].begin() + time.n);
    }
  }
  check("after 50 blocks");
  for (int p = 0; p < kPhases; ++p) {
    BOOST_TEST(relative_error(mean_product(v[p], i[p]), cp.truth(static_cast<Phase>(p)).power_w) <
               kExact);
  }
}

BOOST_AUTO_TEST_CASE(three_phase_on_it) {
  // 400 V IT: the inverter synchronises to each star voltage (400/sqrt3), so
  // per phase it exports 4600/3 W and absorbs 500 var; its balanced currents
  // sum to zero, as a supply without neutral needs. The truth reports 400 V
  // (line-to-line) per phase.
  ConnectionPoint& cp = world().cp_it_pv;
  const double vs = 400 / std::sqrt(3.0);
  const double phase_w = 4600.0 / 3, phase_var = 500;
  const double current_a = std::hypot(phase_w, phase_var) / vs;
  BlockClock clock(6400, 128);
  double worst_sum = 0;
  for (int b = 0; b < 50; ++b) {
    const CurrentBlock& c = cp.currents(clock.next());
    for (std::size_t k = 0; k < c.time.n; ++k) {
      worst_sum = std::max(worst_sum, std::abs(c.i[L1][k] + c.i[L2][k] + c.i[L3][k]));
    }
  }
  BOOST_TEST(worst_sum < 1e-9, "worst sum " << worst_sum << " A");
  BOOST_TEST(relative_error(world().pv_it.power_w(), 4600) < kExact);
  for (int p = 0; p < kPhases; ++p) {
    BOOST_TEST_CONTEXT("L" << p + 1) {
      const PhaseTruth t = cp.truth(static_cast<Phase>(p));
      BOOST_TEST(relative_error(t.voltage_v, 400) < kExact, t.voltage_v);
      BOOST_TEST(relative_error(t.current_a, current_a) < kExact, t.current_a);
      BOOST_TEST(relative_error(t.power_w, -phase_w) < kExact, t.power_w);
      BOOST_TEST(relative_error(t.reactive_var, phase_var) < kExact, t.reactive_var);
      BOOST_TEST(relative_error(cp.energy_export_wh(static_cast<Phase>(p)), phase_w / 3600) <
                 kExact);
    }
  }
}

BOOST_AUTO_TEST_CASE(config_validation) {
  SolarConfig ok;
  ok.power_w = 3000;
  BOOST_TEST(PvInverter::check(ok).empty());
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto bad = [&](void (*edit)(SolarConfig&, double)) {
    SolarConfig c = ok;
    edit(c, nan);
    return PvInverter::check(c);
  };
  BOOST_TEST(!bad([](SolarConfig& c, double) { c.phases = {}; }).empty());
  BOOST_TEST(!bad([](SolarConfig& c, double) { c.phases = {L2, L2}; }).empty());
  BOOST_TEST(!bad([](SolarConfig& c, double) { c.phases = {static_cast<Phase>(3)}; }).empty());
  BOOST_TEST(!bad([](SolarConfig& c, double) { c.power_w = -1; }).empty());
  BOOST_TEST(!bad([](SolarConfig& c, double x) { c.power_w = x; }).empty());
  BOOST_TEST(!bad([](SolarConfig& c, double) { c.ramp_from_w = -1; }).empty());
  BOOST_TEST(!bad([](SolarConfig& c, double) { c.ramp_duration_s = 0; }).empty());
  BOOST_TEST(!bad([](SolarConfig& c, double x) { c.ramp_start_s = x; }).empty());
  BOOST_TEST(!bad([](SolarConfig& c, double) { c.sunrise_h = -1; }).empty());
  BOOST_TEST(!bad([](SolarConfig& c, double) { c.sunset_h = 25; }).empty());
  BOOST_TEST(!bad([](SolarConfig& c, double) { c.sunset_h = c.sunrise_h; }).empty());
  BOOST_TEST(!bad([](SolarConfig& c, double) { c.start_time_of_day_h = 24.5; }).empty());
  BOOST_TEST(!bad([](SolarConfig& c, double x) { c.reactive_var = x; }).empty());
  BOOST_TEST(!bad([](SolarConfig& c, double) { c.clouds = {{0, 5, 1.5, 1}}; }).empty());
  BOOST_TEST(!bad([](SolarConfig& c, double) { c.clouds = {{0, 5, -0.1, 1}}; }).empty());
  BOOST_TEST(!bad([](SolarConfig& c, double) { c.clouds = {{0, 0, 0.5, 1}}; }).empty());
  BOOST_TEST(!bad([](SolarConfig& c, double) { c.clouds = {{0, 5, 0.5, -1}}; }).empty());
  BOOST_TEST(!bad([](SolarConfig& c, double x) { c.clouds = {{x, 5, 0.5, 1}}; }).empty());
  // The constructor refuses what check() refuses, naming the module.
  const std::string& message = world().pv_invalid_message;
  BOOST_TEST(message.find("pv_invalid") != std::string::npos, message);
  BOOST_TEST(message.find("twice") != std::string::npos, message);
}

BOOST_AUTO_TEST_SUITE_END()
