#include <algorithm>
#include <array>
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

namespace {

constexpr double kRatio = 2.4e3 / (1.0e6 + 2.4e3);

// Samples the three pins of `b` for one block.
std::array<std::vector<double>, kPhases> sample_terminal(TerminalBench& b, const BlockTime& t) {
  std::array<std::vector<double>, kPhases> pins;
  for (int p = 0; p < kPhases; ++p) {
    pins[p].assign(t.n, 1.0);
    b.divider(static_cast<Phase>(p)).sample(t, pins[p].data());
  }
  return pins;
}

// The plant's voltage of phase p at sample k of block t.
double plant_v(const TerminalBench& b, int p, const BlockTime& t, std::size_t k) {
  return FakePlant::value(b.plant.voltage[p], b.plant.frequency, FakePlant::t(t, k));
}

// Worst deviation of the pins from ratio * (v_p - mean of the wired phases' v).
double worst_star_error(TerminalBench& b, const BlockTime& t,
                        const std::array<std::vector<double>, kPhases>& pins,
                        std::array<bool, kPhases> wired) {
  double worst = 0;
  for (std::size_t k = 0; k < t.n; ++k) {
    double sum = 0;
    int count = 0;
    for (int p = 0; p < kPhases; ++p) {
      if (wired[p]) {
        sum += plant_v(b, p, t, k);
        ++count;
      }
    }
    for (int p = 0; p < kPhases; ++p) {
      const double expected = wired[p] ? kRatio * (plant_v(b, p, t, k) - sum / count) : 0.0;
      worst = std::max(worst, std::abs(pins[p][k] - expected));
    }
  }
  return worst;
}

void set_wiring(TerminalBench& b, std::array<bool, kPhases> wired) {
  for (int p = 0; p < kPhases; ++p) b.divider(static_cast<Phase>(p)).config().connected = wired[p];
}

void balanced_it_source(FakePlant& plant) {
  const double star_v = 400 / std::sqrt(3.0);
  plant.voltage[L1] = {star_v, 0, false};
  plant.voltage[L2] = {star_v, -120, false};
  plant.voltage[L3] = {star_v, 120, false};
}

}  // namespace

BOOST_AUTO_TEST_CASE(star_reference_all_wired) {
  TerminalBench& b = world().terminal_it;
  set_wiring(b, {true, true, true});
  balanced_it_source(b.plant);
  BlockClock clock(6400, 128);
  // Balanced: the wired lines' mean is 0, so each pin is ratio * its star voltage.
  double worst = 0;
  for (int i = 0; i < 5; ++i) {
    const BlockTime t = clock.next();
    const auto pins = sample_terminal(b, t);
    for (std::size_t k = 0; k < t.n; ++k) {
      const double theta = 2 * kPi * 50 * FakePlant::t(t, k);
      for (int p = 0; p < kPhases; ++p) {
        const double star = kSqrt2 * 400 / std::sqrt(3.0) * std::sin(theta - p * 2 * kPi / 3);
        worst = std::max(worst, std::abs(pins[p][k] - kRatio * star));
      }
    }
  }
  BOOST_TEST(worst < 1e-12, "worst " << worst);
  // Unbalanced lines (an earth fault moves them all): the pins follow the
  // mean of the three, not earth.
  b.plant.voltage[L1] = {230, 0, false};
  b.plant.voltage[L2] = {200, -110, false};
  b.plant.voltage[L3] = {250, 125, false};
  const BlockTime t = clock.next();
  BOOST_TEST(worst_star_error(b, t, sample_terminal(b, t), {true, true, true}) < 1e-12);
}

BOOST_AUTO_TEST_CASE(star_reference_two_lines_wired) {
  TerminalBench& b = world().terminal_it;
  set_wiring(b, {true, true, false});  // IT without generation: L1 and L2
  balanced_it_source(b.plant);
  BlockClock clock(6400, 128);
  std::vector<double> pin1;
  double worst = 0;
  for (int i = 0; i < 50; ++i) {
    const BlockTime t = clock.next();
    const auto pins = sample_terminal(b, t);
    for (std::size_t k = 0; k < t.n; ++k) {
      const double u12 = plant_v(b, L1, t, k) - plant_v(b, L2, t, k);
      worst = std::max({worst, std::abs(pins[L1][k] - kRatio * u12 / 2),
                        std::abs(pins[L2][k] + pins[L1][k]), std::abs(pins[L3][k])});
    }
    pin1.insert(pin1.end(), pins[L1].begin(), pins[L1].end());
  }
  BOOST_TEST(worst < 1e-12, "worst " << worst);
  BOOST_TEST(relative_error(rms(pin1), kRatio * 400 / 2) < 1e-9, rms(pin1));
}

BOOST_AUTO_TEST_CASE(star_reference_follows_wiring_changes) {
  TerminalBench& b = world().terminal_it;
  b.plant.voltage[L1] = {230, 0, false};
  b.plant.voltage[L2] = {200, -110, false};
  b.plant.voltage[L3] = {250, 125, false};
  BlockClock clock(6400, 64);
  const std::array<bool, kPhases> wirings[] = {
      {true, true, true}, {true, true, false}, {true, false, true}, {true, true, true}};
  for (const auto& wired : wirings) {
    // Only the peer's flag changes between blocks; the next block sees it.
    set_wiring(b, wired);
    const BlockTime t = clock.next();
    const double worst = worst_star_error(b, t, sample_terminal(b, t), wired);
    BOOST_TEST(worst < 1e-12, "wiring " << wired[0] << wired[1] << wired[2] << ": " << worst);
  }
  set_wiring(b, {true, true, true});
}

BOOST_AUTO_TEST_CASE(tn_terminal_is_unchanged_by_linking) {
  // star_reference off: each pin is its phase to neutral, whatever the peers' wiring.
  TerminalBench& b = world().terminal_tn;
  b.plant.voltage[L1] = {230, 0, false};
  b.plant.voltage[L2] = {200, -110, false};
  b.plant.voltage[L3] = {250, 125, false};
  set_wiring(b, {true, false, true});
  BlockClock clock(6400, 128);
  const BlockTime t = clock.next();
  const auto pins = sample_terminal(b, t);
  double worst = 0;
  for (std::size_t k = 0; k < t.n; ++k) {
    worst =
        std::max({worst, std::abs(pins[L1][k] - kRatio * plant_v(b, L1, t, k)),
                  std::abs(pins[L2][k]), std::abs(pins[L3][k] - kRatio * plant_v(b, L3, t, k))});
  }
  BOOST_TEST(worst < 1e-12, "worst " << worst);
}

BOOST_AUTO_TEST_SUITE_END()
