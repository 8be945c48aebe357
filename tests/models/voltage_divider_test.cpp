#include <boost/test/unit_test.hpp>
#include <cmath>
#include <vector>

#include "measure.h"
#include "world.h"

using namespace amprig::models;
using namespace amprig::models::test;

BOOST_AUTO_TEST_SUITE(voltage_divider)

BOOST_AUTO_TEST_CASE(scales_its_phase) {
  DividerBench& b = world().divider;  // 1 MOhm over 2.4 kOhm, on L2
  b.plant.voltage[L1] = {230, 0, false};
  b.plant.voltage[L2] = {230, -120, false};
  b.plant.voltage[L3] = {230, 120, false};
  BlockClock clock(6400, 128);
  std::vector<double> pin(128);
  double worst = 0;
  for (int i = 0; i < 5; ++i) {
    const BlockTime t = clock.next();
    b.divider.sample(t, pin.data());
    for (std::size_t k = 0; k < t.n; ++k) {
      const double time_s = static_cast<double>(t.index + k) / 6400;
      const double v = kSqrt2 * 230 * std::sin(2 * kPi * 50 * time_s - 2 * kPi / 3);
      worst = std::max(worst, std::abs(pin[k] - v * 2.4e3 / (1.0e6 + 2.4e3)));
    }
  }
  BOOST_TEST(worst < 1e-12);
}

BOOST_AUTO_TEST_CASE(unwired_reads_zero) {
  DividerBench& b = world().divider_open;
  b.plant.voltage[L1] = {230, 0, false};
  BlockClock clock(6400, 128);
  std::vector<double> pin(128, 1.0);
  b.divider.sample(clock.next(), pin.data());
  BOOST_TEST(rms(pin) == 0.0);
}

BOOST_AUTO_TEST_SUITE_END()
