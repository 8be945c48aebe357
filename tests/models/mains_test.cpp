#include <boost/test/unit_test.hpp>
#include <cmath>
#include <vector>

#include "measure.h"
#include "world.h"

using namespace amprig::models;
using namespace amprig::models::test;

BOOST_AUTO_TEST_SUITE(mains)

BOOST_AUTO_TEST_CASE(rms_includes_harmonics_and_level) {
  // RMS of sqrt2*V*level*[sin + sum p_h sin(h..)] is V*level*sqrt(1 + sum p_h^2):
  // the harmonics are orthogonal over whole periods, also when sampled below
  // Nyquist. 6400 Hz gives 128 samples per 50 Hz period; one second is 50.
  Mains& m = world().mains_rms;
  const double harmonic_sum_sq = 0.05 * 0.05 + 0.10 * 0.10 + 0.03 * 0.03;
  const double levels[] = {1.0, 0.9, 1.1};
  BlockClock clock(6400, 128);
  std::vector<double> v[kPhases];
  while (clock.next_index() < 6400) {
    const MainsBlock& b = m.block(clock.next());
    for (int p = 0; p < kPhases; ++p) v[p].insert(v[p].end(), b.v[p].begin(), b.v[p].begin() + 128);
  }
  for (int p = 0; p < kPhases; ++p) {
    const double expected = 230 * levels[p] * std::sqrt(1 + harmonic_sum_sq);
    BOOST_TEST(relative_error(rms(v[p]), expected) < 1e-9,
               "L" << p + 1 << " rms " << rms(v[p]) << " expected " << expected);
  }
}

BOOST_AUTO_TEST_CASE(phase_angles_follow_the_sequence) {
  struct Case {
    Mains* mains;
    double expected_deg[kPhases];  // fundamental angle at t = 0 of L1, L2, L3
  };
  // sequence[k] lags by k*120 deg.
  const Case cases[] = {
      {&world().mains_seq123, {0, -120, -240}},
      {&world().mains_seq132, {0, -240, -120}},
      {&world().mains_seq231, {-240, 0, -120}},
  };
  for (const Case& c : cases) {
    BlockClock clock(6400, 128);
    std::vector<double> v[kPhases];
    bool phasors_ok = true;
    while (clock.next_index() < 1280) {
      const MainsBlock& b = c.mains->block(clock.next());
      for (int p = 0; p < kPhases; ++p) {
        v[p].insert(v[p].end(), b.v[p].begin(), b.v[p].begin() + 128);
        for (std::size_t k = 0; k < b.time.n; ++k) {
          // The unit phasor the loads use is the fundamental's angle.
          const double t = static_cast<double>(b.time.index + k) / 6400;
          const double theta = 2 * kPi * 50 * t + deg_to_rad(c.expected_deg[p]);
          if (std::abs(b.cos_theta[p][k] - std::cos(theta)) > 1e-12 ||
              std::abs(b.sin_theta[p][k] - std::sin(theta)) > 1e-12) {
            phasors_ok = false;
          }
        }
      }
    }
    BOOST_TEST(phasors_ok, c.mains->name() << ": cos/sin_theta match the fundamental's angle");
    for (int p = 0; p < kPhases; ++p) {
      const auto x = phasor(v[p], 50, 0, 1.0 / 6400);
      BOOST_TEST(std::abs(wrap_deg(angle_deg(x) - c.expected_deg[p])) < 1e-9,
                 c.mains->name() << " L" << p + 1 << " at " << angle_deg(x) << " deg");
      BOOST_TEST(relative_error(std::abs(x), kSqrt2 * 230) < 1e-12);
      BOOST_TEST(c.mains->initial_angle_rad(static_cast<Phase>(p)) == deg_to_rad(c.expected_deg[p]),
                 boost::test_tools::tolerance(1e-12));
    }
  }
}

BOOST_AUTO_TEST_CASE(lost_phase_is_dead) {
  Mains& m = world().mains_lost;
  BlockClock clock(6400, 128);
  const MainsBlock& b = m.block(clock.next());
  BOOST_TEST(b.present[L1] == 1.0);
  BOOST_TEST(b.present[L2] == 0.0);
  BOOST_TEST(b.present[L3] == 1.0);
  BOOST_TEST(!m.present(L2));
  BOOST_TEST(m.present(L1));
  double max_l2 = 0, max_l1 = 0;
  for (std::size_t k = 0; k < 128; ++k) {
    max_l2 = std::max(max_l2, std::abs(b.v[L2][k]));
    max_l1 = std::max(max_l1, std::abs(b.v[L1][k]));
  }
  BOOST_TEST(max_l2 == 0.0);
  BOOST_TEST(max_l1 > 300.0);
  BOOST_TEST(m.voltage_at(L2, 1.0) == 0.0);
}

BOOST_AUTO_TEST_CASE(oscillator_does_not_drift_over_an_hour) {
  // One hour at 6400 Hz in blocks of 128, at an off-nominal 49.97 Hz. The
  // reference angle is 2*pi*frac(f*t), with frac computed in long double from
  // the integer sample index, so it carries no accumulated error. Bound: a
  // phase error of 1e-8 rad (5.7e-7 deg), far below anything the firmware
  // resolves; the expected rounding drift is ~1e-10 rad.
  Mains& m = world().mains_long;
  const double f_hz = m.config().frequency_hz;
  const double vpk = kSqrt2 * 230;
  const double offset_rad[kPhases] = {0, -2 * kPi / 3, -4 * kPi / 3};
  BlockClock clock(6400, 128);
  double worst = 0;
  std::uint64_t worst_index = 0;
  const std::uint64_t end = 3600ULL * 6400;
  while (clock.next_index() < end) {
    const MainsBlock& b = m.block(clock.next());
    for (std::size_t k : {std::size_t{0}, b.time.n - 1}) {
      const std::uint64_t index = b.time.index + k;
      const long double cycles = static_cast<long double>(f_hz) * index / 6400.0L;
      const long double frac = cycles - std::floor(cycles);
      for (int p = 0; p < kPhases; ++p) {
        const double ref =
            vpk *
            static_cast<double>(std::sin(2 * 3.14159265358979323846264L * frac + offset_rad[p]));
        const double err = std::abs(b.v[p][k] - ref);
        if (err > worst) {
          worst = err;
          worst_index = index;
        }
      }
    }
  }
  BOOST_TEST_MESSAGE("mains: worst deviation from std::sin over 1 h: "
                     << worst / vpk << " of peak at sample " << worst_index);
  BOOST_TEST(worst < 1e-8 * vpk, "worst deviation " << worst << " V at sample " << worst_index);
}

BOOST_AUTO_TEST_CASE(frequency_step_is_phase_continuous) {
  // 50 Hz until 0.5 s, 51.3 Hz until 1.0 s, 48.2 Hz after: the angle is the
  // integral of 2*pi*f, with no jump at the steps.
  Mains& m = world().mains_step;
  BlockClock clock(6400, 128);
  auto theta_ref = [](double t) {
    if (t < 0.5) return 2 * kPi * 50 * t;
    if (t < 1.0) return 2 * kPi * (50 * 0.5 + 51.3 * (t - 0.5));
    return 2 * kPi * (50 * 0.5 + 51.3 * 0.5 + 48.2 * (t - 1.0));
  };
  const double vpk = kSqrt2 * 230;
  double worst = 0;
  while (clock.next_index() < 6400 * 3 / 2) {
    const double t0 = static_cast<double>(clock.next_index()) / 6400;
    m.config().frequency_hz = t0 < 0.5 ? 50 : (t0 < 1.0 ? 51.3 : 48.2);
    const MainsBlock& b = m.block(clock.next());
    for (std::size_t k = 0; k < b.time.n; ++k) {
      const double t = static_cast<double>(b.time.index + k) / 6400;
      worst = std::max(worst, std::abs(b.v[L1][k] - vpk * std::sin(theta_ref(t))));
      worst = std::max(worst, std::abs(b.v[L3][k] - vpk * std::sin(theta_ref(t) - 4 * kPi / 3)));
    }
  }
  BOOST_TEST(worst < 1e-9 * vpk, "worst deviation " << worst << " V");
  BOOST_TEST(m.frequency_hz() == 48.2);
}

BOOST_AUTO_TEST_CASE(blocks_are_cached_and_placed_by_time) {
  Mains& m = world().mains_cache;
  BlockClock clock(6400, 128);
  const BlockTime first = clock.next();
  const MainsBlock& a = m.block(first);
  const double a_last = a.v[L1][127];
  const MainsBlock& again = m.block(first);  // a repeated request computes nothing
  BOOST_TEST(&again == &a);
  BOOST_TEST(again.v[L1][127] == a_last);
  BOOST_TEST(again.time.index == 0u);
  // The next block continues where the first ended.
  const MainsBlock& b = m.block(clock.next());
  BOOST_TEST(b.time.index == 128u);
  BOOST_TEST(b.v[L1][0] == kSqrt2 * 230 * std::sin(2 * kPi * 50 * 128 / 6400.0),
             boost::test_tools::tolerance(1e-12));
  // After a gap (ADC stopped and restarted) and at another rate, a block is
  // placed by its start time.
  auto check_at = [&](std::uint64_t index, double rate_hz) {
    const BlockTime t{index, static_cast<double>(index) / rate_hz, 1.0 / rate_hz, 64};
    const MainsBlock& c = m.block(t);
    double worst = 0;
    for (std::size_t k = 0; k < 64; ++k) {
      const double time_s = static_cast<double>(index + k) / rate_hz;
      worst = std::max(
          worst,
          std::abs(c.v[L2][k] - kSqrt2 * 230 * std::sin(2 * kPi * 50 * time_s - 2 * kPi / 3)));
    }
    BOOST_TEST(worst < 1e-9, "block at index " << index << " rate " << rate_hz << ": " << worst);
  };
  check_at(6400, 6400);
  check_at(20000, 8000);
  check_at(20064, 8000);
}

BOOST_AUTO_TEST_CASE(block_path_matches_closed_form) {
  // voltage_at is a second, independent implementation (std::sin): the block
  // path must agree with it at each sample's angle.
  Mains& m = world().mains_closed_form;
  BlockClock clock(6400, 100);
  double worst = 0;
  for (int i = 0; i < 20; ++i) {
    const MainsBlock& b = m.block(clock.next());
    for (int p = 0; p < kPhases; ++p) {
      for (std::size_t k = 0; k < b.time.n; ++k) {
        const double t = static_cast<double>(b.time.index + k) / 6400;
        const double theta = 2 * kPi * 50 * t + m.initial_angle_rad(static_cast<Phase>(p));
        worst = std::max(worst, std::abs(b.v[p][k] - m.voltage_at(static_cast<Phase>(p), theta)));
      }
    }
  }
  BOOST_TEST(worst < 1e-9, "worst " << worst);
  // And voltage_at itself against the formula.
  const double theta = 0.7;
  const double expected =
      kSqrt2 * 230 * 0.9 *
      (std::sin(theta) + 0.05 * std::sin(3 * theta + deg_to_rad(30)) + 0.10 * std::sin(5 * theta) +
       0.03 * std::sin(7 * theta + deg_to_rad(90)));
  BOOST_TEST(m.voltage_at(L2, theta) == expected, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(config_validation) {
  MainsConfig ok;
  BOOST_TEST(Mains::check(ok).empty());
  ok.frequency_hz = 45;
  BOOST_TEST(Mains::check(ok).empty());
  ok.frequency_hz = 65;
  BOOST_TEST(Mains::check(ok).empty());
  for (double f : {44.9, 65.1, 0.0, -50.0, std::nan("")}) {
    MainsConfig bad;
    bad.frequency_hz = f;
    BOOST_TEST(!Mains::check(bad).empty());
  }
  MainsConfig bad_order;
  bad_order.harmonics = {{1, 5, 0}};
  BOOST_TEST(!Mains::check(bad_order).empty());
  bad_order.harmonics = {{51, 5, 0}};
  BOOST_TEST(!Mains::check(bad_order).empty());
  MainsConfig bad_sequence;
  bad_sequence.sequence = {L1, L1, L3};
  BOOST_TEST(!Mains::check(bad_sequence).empty());
  MainsConfig bad;
  bad.frequency_hz = 70;
  BOOST_TEST(Mains::check(bad).find("45..65") != std::string::npos, Mains::check(bad));
}

// IT: voltage_v is line-to-line; each phase's voltage is taken from the
// source's star point, so its amplitude is sqrt2 * V / sqrt3.
BOOST_AUTO_TEST_CASE(it_star_voltages_and_line_to_line_rms) {
  Mains& m = world().mains_it;  // 400 V, L1-L2-L3
  BOOST_TEST((m.network() == Network::it));
  BOOST_TEST((world().mains_seq123.network() == Network::tn));
  const double star_peak_v = kSqrt2 * 400 / std::sqrt(3.0);
  BlockClock clock(6400, 128);
  std::vector<double> v[kPhases];
  while (clock.next_index() < 6400) {
    const MainsBlock& b = m.block(clock.next());
    for (int p = 0; p < kPhases; ++p) v[p].insert(v[p].end(), b.v[p].begin(), b.v[p].begin() + 128);
  }
  const double expected_deg[kPhases] = {0, -120, -240};
  for (int p = 0; p < kPhases; ++p) {
    const auto x = phasor(v[p], 50, 0, 1.0 / 6400);
    BOOST_TEST(relative_error(std::abs(x), star_peak_v) < 1e-12,
               "L" << p + 1 << " " << std::abs(x));
    BOOST_TEST(std::abs(wrap_deg(angle_deg(x) - expected_deg[p])) < 1e-9);
    // To the next phase: 400 V RMS, leading this phase by 30 deg.
    std::vector<double> u(v[p].size());
    for (std::size_t k = 0; k < u.size(); ++k) u[k] = v[p][k] - v[(p + 1) % kPhases][k];
    BOOST_TEST(relative_error(rms(u), 400) < 1e-12, "U" << p + 1 << " rms " << rms(u));
    const auto ux = phasor(u, 50, 0, 1.0 / 6400);
    BOOST_TEST(std::abs(wrap_deg(angle_deg(ux) - expected_deg[p] - 30)) < 1e-9);
  }
  // A balanced source's star voltages sum to zero.
  double worst_sum = 0;
  for (std::size_t k = 0; k < v[0].size(); ++k) {
    worst_sum = std::max(worst_sum, std::abs(v[L1][k] + v[L2][k] + v[L3][k]));
  }
  BOOST_TEST(worst_sum < 1e-9);
}

BOOST_AUTO_TEST_CASE(angle_offsets_follow_the_sequence) {
  struct Case {
    const Mains* mains;
    double expected_deg[kPhases];  // angle of L1, L2, L3 minus L1's, in (-360, 0]
  };
  const Case cases[] = {
      {&world().mains_seq123, {0, -120, -240}}, {&world().mains_seq132, {0, -240, -120}},
      {&world().mains_seq231, {0, -120, -240}},  // L2, L3, L1 is L1, L2, L3 rotated
      {&world().mains_it, {0, -120, -240}},     {&world().mains_it_132, {0, -240, -120}},
  };
  for (const Case& c : cases) {
    for (int p = 0; p < kPhases; ++p) {
      const double offset_deg = c.mains->angle_offset_rad(static_cast<Phase>(p)) * 180 / kPi;
      BOOST_TEST(std::abs(offset_deg - c.expected_deg[p]) < 1e-9,
                 c.mains->name() << " L" << p + 1 << " " << offset_deg);
    }
  }
}

BOOST_AUTO_TEST_CASE(it_sequence_l1_l3_l2) {
  Mains& m = world().mains_it_132;
  BlockClock clock(6400, 128);
  std::vector<double> v[kPhases];
  while (clock.next_index() < 1280) {
    const MainsBlock& b = m.block(clock.next());
    for (int p = 0; p < kPhases; ++p) v[p].insert(v[p].end(), b.v[p].begin(), b.v[p].begin() + 128);
  }
  const double expected_deg[kPhases] = {0, -240, -120};
  for (int p = 0; p < kPhases; ++p) {
    const auto x = phasor(v[p], 50, 0, 1.0 / 6400);
    BOOST_TEST(relative_error(std::abs(x), kSqrt2 * 400 / std::sqrt(3.0)) < 1e-12);
    BOOST_TEST(std::abs(wrap_deg(angle_deg(x) - expected_deg[p])) < 1e-9);
  }
  // L2 now leads L1, so u12 lags v1 by 30 deg; still 400 V.
  std::vector<double> u12(v[L1].size());
  for (std::size_t k = 0; k < u12.size(); ++k) u12[k] = v[L1][k] - v[L2][k];
  BOOST_TEST(relative_error(rms(u12), 400) < 1e-12);
  BOOST_TEST(std::abs(wrap_deg(angle_deg(phasor(u12, 50, 0, 1.0 / 6400)) + 30)) < 1e-9);
}

BOOST_AUTO_TEST_CASE(it_block_path_matches_closed_form) {
  Mains& m = world().mains_it_closed_form;  // 400 V IT with harmonics and levels 1, 0.9, 1.1
  BlockClock clock(6400, 100);
  double worst = 0;
  for (int i = 0; i < 20; ++i) {
    const MainsBlock& b = m.block(clock.next());
    for (int p = 0; p < kPhases; ++p) {
      for (std::size_t k = 0; k < b.time.n; ++k) {
        const double t = static_cast<double>(b.time.index + k) / 6400;
        const double theta = 2 * kPi * 50 * t + m.initial_angle_rad(static_cast<Phase>(p));
        worst = std::max(worst, std::abs(b.v[p][k] - m.voltage_at(static_cast<Phase>(p), theta)));
      }
    }
  }
  BOOST_TEST(worst < 1e-9, "worst " << worst);
  const double theta = 0.7;
  const double expected =
      kSqrt2 * 400 / std::sqrt(3.0) * 0.9 *
      (std::sin(theta) + 0.05 * std::sin(3 * theta + deg_to_rad(30)) + 0.10 * std::sin(5 * theta) +
       0.03 * std::sin(7 * theta + deg_to_rad(90)));
  BOOST_TEST(m.voltage_at(L2, theta) == expected, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_SUITE_END()
