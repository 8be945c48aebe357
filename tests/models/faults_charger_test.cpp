// Faulty cars, against the charger's piecewise-linear dynamics worked out by hand: a car that
// ignores the limit it is offered, and one slower to follow it than IEC 61851-1 allows.
#include <array>
#include <boost/test/unit_test.hpp>
#include <cmath>

#include "world.h"

using namespace amprig::models;
using namespace amprig::models::test;

namespace {

constexpr double kTol = 1e-12;

double current_at(Charger& charger, double t_s) {
  charger.update(t_s);
  return charger.current_a()[0];
}

}  // namespace

BOOST_AUTO_TEST_SUITE(charger_faults)

BOOST_AUTO_TEST_CASE(a_car_that_ignores_its_limit_draws_its_maximum_until_paused) {
  // Three phases, 16 A maximum, 10 A offered from the start, 3 s delay, 2 A/s ramp.
  Charger& c = world().faults.ev_ignores;
  BOOST_TEST(std::abs(current_at(c, 20) - 10) < kTol);
  c.set_car_ignores_limit(true, 20);
  // It goes for its maximum like for a new limit: 3 s later, then at its ramp.
  BOOST_TEST(std::abs(current_at(c, 22.9) - 10) < kTol);
  BOOST_TEST(std::abs(current_at(c, 24) - 12) < kTol);
  BOOST_TEST(std::abs(current_at(c, 27) - 16) < kTol);
  c.set_setpoint(8, 30);  // a lower limit changes nothing
  BOOST_TEST(std::abs(current_at(c, 40) - 16) < kTol);
  BOOST_TEST(c.setpoint_a() == 8.0);
  c.set_setpoint(0, 40);  // a pause opens the contactor: then even this car stops
  BOOST_TEST(std::abs(current_at(c, 42.9) - 16) < kTol);
  BOOST_TEST(current_at(c, 43.5) == 0.0);
  BOOST_TEST((c.state() == ChargerState::paused));
  c.set_car_ignores_limit(false, 50);
  c.set_setpoint(10, 50);
  BOOST_TEST(std::abs(current_at(c, 55) - 4) < kTol);
  BOOST_TEST(std::abs(current_at(c, 60) - 10) < kTol);
}

BOOST_AUTO_TEST_CASE(a_slow_car_follows_each_limit_after_its_own_delay) {
  // 16 A offered from the start, 3 s delay, 2 A/s ramp.
  Charger& c = world().faults.ev_slow;
  BOOST_TEST(std::abs(current_at(c, 20) - 16) < kTol);
  c.set_car_response_delay(20, 20);
  BOOST_TEST(c.config().car.response_delay_s == 20.0);
  c.set_setpoint(8, 21);
  BOOST_TEST(std::abs(current_at(c, 40.9) - 16) < kTol);  // still above its limit
  BOOST_TEST(std::abs(current_at(c, 41.1) - 8) < kTol);
  // A limit offered at 50 s would take effect at 70 s; with the delay cut to 2 s at 51 s it
  // takes effect at 52 s and ramps from there.
  c.set_setpoint(12, 50);
  c.set_car_response_delay(2, 51);
  BOOST_TEST(std::abs(current_at(c, 51.9) - 8) < kTol);
  BOOST_TEST(std::abs(current_at(c, 53) - 10) < kTol);
  BOOST_TEST(std::abs(current_at(c, 55) - 12) < kTol);
  c.set_car_response_delay(-1, 56);  // refused: the delay stays
  BOOST_TEST(c.config().car.response_delay_s == 2.0);
}

BOOST_AUTO_TEST_SUITE_END()
