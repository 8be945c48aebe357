#include <array>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <limits>

#include "world.h"

using namespace amprig::models;
using namespace amprig::models::test;

namespace {

constexpr double kRateHz = 6400;
constexpr std::size_t kBlockSamples = 1024;  // 0.16 s: 8 whole 50 Hz periods
constexpr double kBlockS = kBlockSamples / kRateHz;

// IEC 60269-1 Table 2, gG, 16 A <= In <= 63 A: I_nf = 1.25 In, I_f = 1.6 In, 1 h.
constexpr double kInA = 25;
constexpr double kNonFusingA = 1.25 * kInA;
constexpr double kFusingA = 1.6 * kInA;
constexpr double kConventionalS = 3600;
constexpr double kTimeAt5InS = 3;  // the fuse's default calibration point

// The test's own fit of t(I) = k / ((I / I_nf)^alpha - 1) through (I_f, 1 h)
// and (5 In, 3 s): alpha solves 1200 * (1.28^alpha - 1) = 4^alpha - 1, by
// Newton's method from above (the root is near 6; the left side's slope is
// smaller there, so the iteration converges monotonically).
struct Curve {
  double alpha = 0;
  double k_s = 0;
  double time_s(double current_a) const {
    return k_s / (std::pow(current_a / kNonFusingA, alpha) - 1);
  }
};

Curve reference_curve(double nf, double f, double conventional_s) {
  const double a = f / nf, b = 5 / nf;
  const double ratio = conventional_s / kTimeAt5InS;
  double alpha = 20;
  for (int k = 0; k < 100; ++k) {
    const double g = ratio * (std::pow(a, alpha) - 1) - (std::pow(b, alpha) - 1);
    const double dg = ratio * std::pow(a, alpha) * std::log(a) - std::pow(b, alpha) * std::log(b);
    alpha -= g / dg;
  }
  return {alpha, conventional_s * (std::pow(a, alpha) - 1)};
}

// Blocks of 50 Hz sines with the given RMS per phase, from t = 0 on.
class Feeder {
 public:
  explicit Feeder(std::array<double, kPhases> rms_a) {
    for (int p = 0; p < kPhases; ++p) {
      for (std::size_t k = 0; k < kBlockSamples; ++k) {
        const double theta = 2 * kPi * 50 * static_cast<double>(k) / kRateHz - p * 2 * kPi / 3;
        m_block.i[p][k] = kSqrt2 * rms_a[p] * std::sin(theta);
      }
    }
    m_block.time.dt_s = 1 / kRateHz;
    m_block.time.n = kBlockSamples;
  }
  // Feeds whole blocks until `duration_s` has passed or phase L1 melted.
  void run(MainFuse& fuse, double duration_s) {
    const auto blocks = static_cast<std::uint64_t>(std::ceil(duration_s / kBlockS - 1e-9));
    for (std::uint64_t b = 0; b < blocks && !fuse.tripped(L1); ++b) feed(fuse);
  }
  void feed(MainFuse& fuse) {
    m_block.time.index = m_next_index;
    m_block.time.t0_s = static_cast<double>(m_next_index) / kRateHz;
    m_next_index += kBlockSamples;
    fuse.update(m_block);
  }
  double time_s() const { return static_cast<double>(m_next_index) / kRateHz; }

 private:
  static inline CurrentBlock m_block;  // 24 KiB: not on the stack
  std::uint64_t m_next_index = 0;
};

Feeder balanced(double rms_a) { return Feeder({rms_a, rms_a, rms_a}); }

}  // namespace

BOOST_AUTO_TEST_SUITE(main_fuse)

BOOST_AUTO_TEST_CASE(conventional_currents_and_fitted_curve) {
  const MainFuse& fuse = world().fuse_hold;
  BOOST_TEST(fuse.non_fusing_current_a() == kNonFusingA);
  BOOST_TEST(fuse.fusing_current_a() == kFusingA);
  BOOST_TEST(fuse.conventional_time_s() == kConventionalS);
  const Curve c = reference_curve(1.25, 1.6, kConventionalS);
  BOOST_TEST(fuse.curve_alpha() == c.alpha, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(fuse.curve_k_s() == c.k_s, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(fuse.prearcing_time_s(kFusingA) == kConventionalS, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(fuse.prearcing_time_s(5 * kInA) == kTimeAt5InS, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(std::isinf(fuse.prearcing_time_s(kNonFusingA)));
  // 63 A < In <= 160 A: 2 h.
  const MainFuse& big = world().fuse_80;
  BOOST_TEST(big.non_fusing_current_a() == 100.0);
  BOOST_TEST(big.fusing_current_a() == 128.0);
  BOOST_TEST(big.conventional_time_s() == 7200.0);
}

BOOST_AUTO_TEST_CASE(curve_inside_the_gg_gates) {
  // IEC 60269-2 gates for a 25 A gG fuse-link: it must hold 47 A for 10 s and
  // 90 A for 0.1 s, and melt at 130 A within 5 s and at 250 A within 0.1 s.
  const MainFuse& fuse = world().fuse_hold;
  BOOST_TEST(fuse.prearcing_time_s(47) > 10);
  BOOST_TEST(fuse.prearcing_time_s(90) > 0.1);
  BOOST_TEST(fuse.prearcing_time_s(130) < 5);
  BOOST_TEST(fuse.prearcing_time_s(250) < 0.1);
}

BOOST_AUTO_TEST_CASE(no_trip_at_or_below_the_non_fusing_current) {
  MainFuse& fuse = world().fuse_hold;
  Feeder at_1_2(balanced(1.2 * kInA));
  at_1_2.run(fuse, 2 * 3600);
  BOOST_TEST(at_1_2.time_s() >= 2 * 3600);
  for (Phase p : {L1, L2, L3}) {
    BOOST_TEST(!fuse.tripped(p));
    BOOST_TEST(fuse.load_pct(p) == 0.0);
  }
  // At I_nf exactly, for longer than any scenario runs.
  fuse.update_rms({kNonFusingA, kNonFusingA, kNonFusingA}, 7200, 1e9);
  BOOST_TEST(!fuse.tripped());
  BOOST_TEST(!fuse.cut(L1));
}

BOOST_AUTO_TEST_CASE(trips_within_the_conventional_time_at_the_fusing_current) {
  for (MainFuse* fuse : {&world().fuse_if, &world().fuse_80}) {
    const double conventional_s = fuse->conventional_time_s();
    Feeder feeder(balanced(fuse->fusing_current_a()));
    feeder.run(*fuse, 1.1 * conventional_s);
    BOOST_TEST_CONTEXT(fuse->name()) {
      BOOST_TEST(fuse->tripped(L1));
      // The curve passes through (I_f, T): the trip is at T up to rounding.
      BOOST_TEST(fuse->trip_time_s(L1) <= conventional_s * (1 + 1e-12));
      BOOST_TEST(fuse->trip_time_s(L1) == conventional_s, boost::test_tools::tolerance(1e-9));
      BOOST_TEST(fuse->load_pct(L1) == 100.0);
      for (Phase p : {L1, L2, L3}) BOOST_TEST(fuse->cut(p));
    }
  }
}

BOOST_AUTO_TEST_CASE(trip_times_at_5_and_10_in) {
  const Curve c = reference_curve(1.25, 1.6, kConventionalS);
  {
    MainFuse& fuse = world().fuse_5in;
    Feeder feeder({5 * kInA, kInA, 0});  // only L1 overloaded
    feeder.run(fuse, 60);
    BOOST_TEST(fuse.tripped(L1));
    BOOST_TEST(fuse.trip_time_s(L1) == kTimeAt5InS, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(fuse.trip_time_s(L1) == c.time_s(5 * kInA), boost::test_tools::tolerance(1e-9));
    BOOST_TEST(fuse.cut(L1));
    BOOST_TEST(!fuse.cut(L2));
    BOOST_TEST(!fuse.cut(L3));
    BOOST_TEST(fuse.trip_time_s(L2) < 0);
    fuse.replace(L1);
    BOOST_TEST(!fuse.tripped());
    BOOST_TEST(fuse.load_pct(L1) == 0.0);
  }
  {
    MainFuse& fuse = world().fuse_10in;
    Feeder feeder(balanced(10 * kInA));
    feeder.run(fuse, 1);
    const double expected_s = c.time_s(10 * kInA);  // about 0.047 s: inside the first block
    BOOST_TEST(expected_s < kBlockS);
    BOOST_TEST(fuse.tripped(L1));
    BOOST_TEST(fuse.trip_time_s(L1) == expected_s, boost::test_tools::tolerance(1e-9));
  }
}

BOOST_AUTO_TEST_CASE(load_rises_monotonically_and_cools_with_its_time_constant) {
  MainFuse& fuse = world().fuse_cool;
  const double overload_a = 2.4 * kInA;
  const Curve c = reference_curve(1.25, 1.6, kConventionalS);
  Feeder hot(balanced(overload_a));
  double last_pct = fuse.load_pct(L1);
  const int blocks = 200;  // 32 s, about 1/4 of the way at 2.4 In
  for (int b = 0; b < blocks; ++b) {
    hot.feed(fuse);
    BOOST_TEST(fuse.load_pct(L1) > last_pct);
    last_pct = fuse.load_pct(L1);
  }
  BOOST_TEST(!fuse.tripped());
  const double expected_pct = 100 * blocks * kBlockS / c.time_s(overload_a);
  BOOST_TEST(fuse.load_pct(L1) == expected_pct, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(fuse.load_pct() == fuse.load_pct(L1), boost::test_tools::tolerance(1e-12));
  // Back to In: the state decays as exp(-t / 600 s).
  Feeder cool(balanced(kInA));
  const int cool_blocks = 3750;  // 600 s
  for (int b = 0; b < cool_blocks; ++b) {
    cool.feed(fuse);
    BOOST_TEST_REQUIRE(fuse.load_pct(L1) < last_pct);
    last_pct = fuse.load_pct(L1);
  }
  BOOST_TEST(fuse.load_pct(L1) == expected_pct * std::exp(-1.0),
             boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(config_validation) {
  BOOST_TEST(MainFuse::check(MainFuseConfig{}).empty());
  MainFuseConfig bad;
  bad.rating_a = 0;
  BOOST_TEST(!MainFuse::check(bad).empty());
  bad = MainFuseConfig{};
  bad.cooling_time_constant_s = -1;
  BOOST_TEST(!MainFuse::check(bad).empty());
  bad = MainFuseConfig{};
  bad.time_at_5in_s = 2000;  // no curve rises through (I_f, 1 h) and (5 In, 2000 s)
  BOOST_TEST(!MainFuse::check(bad).empty());
}

BOOST_AUTO_TEST_SUITE_END()
