#include <array>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <vector>

#include "measure.h"
#include "source_record.h"
#include "world.h"

using namespace amprig::models;
using namespace amprig::models::test;

namespace {

constexpr double kRateHz = 6400;  // 128 samples per 50 Hz period
constexpr std::size_t kBlockSamples = 128;
constexpr double kVoltageV = 230;
constexpr double kTol = 1e-12;  // the dynamics are piecewise linear in time: exact up to rounding

// One second (50 whole periods) of a charger's currents on mains_ev, from t0_s
// (a whole number of blocks).
using Record = SourceRecord;

Record record(Charger& charger, double t0_s, Mains& mains = world().mains_ev) {
  Record r;
  r.t0_s = t0_s;
  const auto first = static_cast<std::uint64_t>(std::llround(t0_s * kRateHz));
  for (std::uint64_t b = 0; b < 50; ++b) {
    BlockTime time;
    time.index = first + b * kBlockSamples;
    time.t0_s = static_cast<double>(time.index) / kRateHz;
    time.dt_s = 1 / kRateHz;
    time.n = kBlockSamples;
    r.append(mains.block(time), charger);
  }
  return r;
}

// The worst difference between the block path and current_at at each sample's angle.
double worst_vs_closed_form(const Record& r, const Charger& charger, const Mains& mains) {
  double worst = 0;
  for (int p = 0; p < kPhases; ++p) {
    const Phase phase = static_cast<Phase>(p);
    for (std::size_t k = 0; k < r.i[p].size(); ++k) {
      const double t = r.t0_s + static_cast<double>(k) / kRateHz;
      const double theta = 2 * kPi * 50 * t + mains.initial_angle_rad(phase);
      worst = std::max(worst, std::abs(r.i[p][k] - charger.current_at(phase, theta, mains)));
    }
  }
  return worst;
}

void expect_current(Charger& charger, double t_s, std::array<double, kPhases> expected_a) {
  charger.update(t_s);
  const std::array<double, kPhases> actual_a = charger.current_a();
  for (int c = 0; c < kPhases; ++c) {
    BOOST_TEST(std::abs(actual_a[c] - expected_a[c]) < kTol,
               charger.name() << " at " << t_s << " s, charger L" << c + 1 << ": expected "
                              << expected_a[c] << " A, got " << actual_a[c] << " A");
  }
}

void expect_all(Charger& charger, double t_s, double expected_a) {
  expect_current(charger, t_s, {expected_a, expected_a, expected_a});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(charger)

BOOST_AUTO_TEST_CASE(single_phase_car_follows_the_rotation) {
  // Rotation {L3, L2, L1}: the car's one phase, charger L1, lands on grid L3.
  Charger& ev = world().ev_rot;
  Mains& mains = world().mains_ev;
  ev.update(20);  // 16 A since 3 s + 16 A / (2 A/s) = 11 s
  BOOST_TEST(ev.state() == ChargerState::charging);
  BOOST_TEST(ev.charging());
  const Record r = record(ev, 20);
  BOOST_TEST(rms(r.i[L1]) == 0.0);
  BOOST_TEST(rms(r.i[L2]) == 0.0);
  BOOST_TEST(relative_error(r.irms_a(L3), 16) < 1e-9, r.irms_a(L3));
  BOOST_TEST(relative_error(r.p_w(L3), kVoltageV * 16) < 1e-9, r.p_w(L3));
  BOOST_TEST(ev.current_a()[0] == 16.0);
  BOOST_TEST(ev.current_a()[1] == 0.0);
  BOOST_TEST(ev.grid_current_a(L3) == 16.0);
  BOOST_TEST(ev.grid_current_a(L1) == 0.0);
  BOOST_TEST(worst_vs_closed_form(r, ev, mains) < 1e-9);
  BOOST_TEST(ev.current_at(L3, kPi / 2, mains) == kSqrt2 * 16, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(three_phase_block_rms_and_power) {
  Charger& ev = world().ev_three;  // 13 A, rotation {L2, L3, L1}
  ev.update(30);
  const Record r = record(ev, 30);
  for (int p = 0; p < kPhases; ++p) {
    BOOST_TEST(relative_error(r.irms_a(p), 13) < 1e-9, "L" << p + 1 << " " << r.irms_a(p));
    BOOST_TEST(relative_error(r.p_w(p), kVoltageV * 13) < 1e-9, r.p_w(p));
    // Power factor 1: P = V * I.
    BOOST_TEST(relative_error(r.p_w(p), rms(r.v[p]) * r.irms_a(p)) < 1e-9);
  }
  BOOST_TEST(worst_vs_closed_form(r, ev, world().mains_ev) < 1e-9);
  // The energy the blocks delivered: 3 phases * 230 V * 13 A for 1 s.
  BOOST_TEST(ev.energy_wh() == 3 * kVoltageV * 13 / 3600, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(ground_truth_through_a_connection_point) {
  Charger& ev = world().ev_cp;  // 1-phase car, 10 A, on grid L2
  ConnectionPoint& cp = world().cp_ev;
  BlockTime time;
  time.index = 20 * static_cast<std::uint64_t>(kRateHz);
  time.t0_s = 20;
  time.dt_s = 1 / kRateHz;
  time.n = kBlockSamples;
  cp.currents(time);  // brings the charger to t = 20 s
  BOOST_TEST(ev.grid_current_a(L2) == 10.0);
  const PhaseTruth l2 = cp.truth(L2);
  BOOST_TEST(l2.current_a == 10, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(l2.power_w == kVoltageV * 10, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(l2.power_factor == 1, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(cp.truth(L1).current_a == 0.0);
  BOOST_TEST(cp.truth(L3).current_a == 0.0);
}

BOOST_AUTO_TEST_CASE(step_down_after_the_response_delay) {
  Charger& ev = world().ev_down;  // 3-phase car, 16 A, delay 3 s, 2 A/s
  expect_all(ev, 20, 16);
  ev.set_setpoint(10, 20);
  expect_all(ev, 21, 16);
  expect_all(ev, 23, 16);  // holds for the whole delay
  expect_all(ev, 23.001, 10);
  for (double t : {24.0, 30.0, 100.0}) {
    ev.update(t);
    for (double a : ev.current_a()) BOOST_TEST(a <= ev.setpoint_a());
  }
  BOOST_TEST(ev.state() == ChargerState::charging);
}

BOOST_AUTO_TEST_CASE(step_up_ramps_after_the_response_delay) {
  Charger& ev = world().ev_up;  // starts at 6 A
  expect_all(ev, 3, 0);         // plugged in at 0: holds 0 A for the delay
  expect_all(ev, 4.5, 3);       // then 2 A/s
  expect_all(ev, 6, 6);
  expect_all(ev, 20, 6);
  ev.set_setpoint(16, 20);
  expect_all(ev, 23, 6);
  expect_all(ev, 25, 6 + 2 * 2.0);
  expect_all(ev, 27.5, 6 + 2 * 4.5);
  expect_all(ev, 28, 16);
  expect_all(ev, 40, 16);
  // The car's own maximum caps it; a setpoint above it changes nothing.
  ev.set_setpoint(32, 40);
  expect_all(ev, 41, 16);
  expect_all(ev, 50, 16);
}

BOOST_AUTO_TEST_CASE(limits_raised_every_second_are_followed_with_a_lag) {
  // A balancer raising the limit by 1 A every second from 20 s (7 A at 21 s ... 15 A at 29 s):
  // each limit takes effect 3 s after it was offered, and 2 A/s outruns 1 A/s, so the car
  // reaches each limit half a second after it takes effect (7 A at 24.5 s, 15 A at 32.5 s).
  // A car that restarted its delay at every change would still be at 6 A until 32 s.
  Charger& ev = world().ev_track;  // 3-phase car, 16 A, delay 3 s, 2 A/s, starts at 6 A
  expect_all(ev, 20, 6);
  const auto offer_until = [&ev](int last_s) {
    for (int t = 21; t <= last_s; ++t) {
      if (ev.time_s() <= t) ev.set_setpoint(t - 14, t);  // re-offering a limit changes nothing
    }
  };
  offer_until(23);
  expect_all(ev, 24, 6);  // 7 A, offered at 21 s, is not in effect before 24 s
  offer_until(24);
  expect_all(ev, 24.25, 6.5);
  offer_until(27);
  expect_all(ev, 27.5, 10);
  offer_until(29);
  expect_all(ev, 32, 14);
  expect_all(ev, 32.5, 15);
  expect_all(ev, 40, 15);
}

BOOST_AUTO_TEST_CASE(paused_below_six_amps) {
  Charger& ev = world().ev_pause;  // 16 A
  expect_all(ev, 20, 16);
  ev.set_setpoint(4, 20);
  BOOST_TEST(ev.state() == ChargerState::paused);
  BOOST_TEST(to_string(ev.state()) == "paused");
  BOOST_TEST(!ev.charging());
  expect_all(ev, 23, 16);
  expect_all(ev, 23.5, 0);
  expect_all(ev, 60, 0);
  ev.set_setpoint(6, 60);
  BOOST_TEST(ev.state() == ChargerState::charging);
  expect_all(ev, 63, 0);
  expect_all(ev, 64, 2);
  expect_all(ev, 70, 6);
}

BOOST_AUTO_TEST_CASE(falls_back_offline_and_follows_again_when_the_link_returns) {
  // Rotation {L2, L3, L1}; offline 10 A on charger L2 (grid L3); timeout 30 s.
  Charger& ev = world().ev_link;
  expect_all(ev, 20, 16);
  ev.set_link(false, 20);
  BOOST_TEST(ev.online());
  expect_all(ev, 49.9, 16);  // still following the balancer within the timeout
  BOOST_TEST(ev.online());
  ev.update(50);
  BOOST_TEST(!ev.online());
  // Restarts on its offline phase alone: holds 0 A for the delay, then ramps.
  expect_current(ev, 53, {0, 0, 0});
  expect_current(ev, 55, {0, 4, 0});
  expect_current(ev, 60, {0, 10, 0});
  BOOST_TEST(ev.grid_current_a(L3) == 10.0);
  BOOST_TEST(ev.grid_current_a(L1) == 0.0);
  BOOST_TEST(ev.grid_current_a(L2) == 0.0);
  const Record r = record(ev, 60);
  BOOST_TEST(rms(r.i[L1]) == 0.0);
  BOOST_TEST(rms(r.i[L2]) == 0.0);
  BOOST_TEST(relative_error(r.irms_a(L3), 10) < 1e-9);
  // Link back at 100 s: the balancer's setpoint again, on the car's 3 phases.
  ev.set_setpoint(8, 100);
  expect_current(ev, 100, {0, 10, 0});  // not online yet: the setpoint waits
  ev.set_link(true, 100);
  BOOST_TEST(ev.online());
  expect_all(ev, 103, 0);
  expect_all(ev, 105, 4);
  expect_all(ev, 110, 8);
  // A drop shorter than the timeout changes nothing.
  ev.set_link(false, 120);
  expect_all(ev, 145, 8);
  ev.set_link(true, 145);
  expect_all(ev, 160, 8);
  BOOST_TEST(ev.online());
}

BOOST_AUTO_TEST_CASE(plug_in_and_unplug_times) {
  Charger& ev = world().ev_plug;  // plugged 10..60 s, 16 A
  expect_all(ev, 5, 0);
  BOOST_TEST(ev.state() == ChargerState::unplugged);
  BOOST_TEST(to_string(ev.state()) == "unplugged");
  ev.update(10);
  BOOST_TEST(ev.state() == ChargerState::charging);
  expect_all(ev, 13, 0);
  expect_all(ev, 15, 4);
  expect_all(ev, 21, 16);
  expect_all(ev, 59.99, 16);
  expect_all(ev, 60, 0);  // unplugged: at once
  BOOST_TEST(ev.state() == ChargerState::unplugged);
}

BOOST_AUTO_TEST_CASE(stops_when_the_battery_is_full) {
  // 10 Wh at 3 * 230 V * 16 A; the car responds at once and jumps to 16 A.
  Charger& ev = world().ev_full;
  const double block_wh = 3 * kVoltageV * 16 * (kBlockSamples / kRateHz) / 3600;
  double t0_s = 0;
  while (ev.state() == ChargerState::charging && t0_s < 100) {
    record(ev, t0_s);
    t0_s += 1;
  }
  BOOST_TEST(ev.state() == ChargerState::plugged);
  BOOST_TEST(to_string(ev.state()) == "plugged");
  BOOST_TEST(ev.energy_wh() >= 10);
  BOOST_TEST(ev.energy_wh() < 10 + block_wh * (1 + 1e-9));
  const double energy_wh = ev.energy_wh();
  const Record after = record(ev, t0_s);
  for (int p = 0; p < kPhases; ++p) BOOST_TEST(rms(after.i[p]) == 0.0);
  BOOST_TEST(ev.energy_wh() == energy_wh);
}

BOOST_AUTO_TEST_CASE(config_validation) {
  BOOST_TEST(world().charger_invalid_message.find("rotation") != std::string::npos,
             world().charger_invalid_message);
  BOOST_TEST(Charger::check(ChargerConfig{}).empty());
  ChargerConfig bad;
  bad.car.phases = 2;
  BOOST_TEST(!Charger::check(bad).empty());
  bad = ChargerConfig{};
  bad.link_timeout_s = -1;
  BOOST_TEST(!Charger::check(bad).empty());
  bad = ChargerConfig{};
  bad.car.plugged_at_s = 10;
  bad.car.unplugged_at_s = 5;
  BOOST_TEST(!Charger::check(bad).empty());
  bad = ChargerConfig{};
  bad.car.ramp_a_per_s = 0;
  BOOST_TEST(!Charger::check(bad).empty());
}

BOOST_AUTO_TEST_SUITE_END()
