#include <boost/test/unit_test.hpp>
#include <cmath>

#include "rig/balancing_checks.h"

using namespace amprig::checks;

BOOST_AUTO_TEST_SUITE(balancing_checks)

BOOST_AUTO_TEST_CASE(jain_index_closed_forms) {
  // Equal shares: 1. One of n takes everything: 1/n. Two values a, b: (a+b)^2 / (2(a^2+b^2)).
  BOOST_TEST(jain_index({10.67, 10.67, 10.67}) == 1.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(jain_index({16, 0, 0, 0}) == 0.25, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(jain_index({6, 10}) == 256.0 / 272.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(jain_index({}) == 1.0);
  BOOST_TEST(jain_index({0, 0}) == 1.0);
}

BOOST_AUTO_TEST_CASE(reversals_counted_in_a_sliding_window) {
  ReversalCounter r(60);
  // 10 -> 12 (up) -> 8 (down: reversal at 20 s) -> 6 (down) -> 9 (up: reversal at 40 s).
  r.add(0, 10);
  r.add(10, 12);
  r.add(20, 8);
  r.add(30, 6);
  r.add(40, 9);
  BOOST_TEST(r.reversals(50) == 2u);
  BOOST_TEST(r.per_minute(50) == 2.0);
  BOOST_TEST(r.reversals(80.5) == 1u);  // the one at 20 s has left the window
  BOOST_TEST(r.reversals(100.5) == 0u);
  // Steady values and sub-deadband wiggles are not reversals.
  ReversalCounter steady(60, 0.01);
  for (int k = 0; k < 100; ++k) steady.add(k, 16 + (k % 2 ? 0.001 : 0));
  BOOST_TEST(steady.reversals(100) == 0u);
}

BOOST_AUTO_TEST_CASE(utilisation_counts_the_binding_phase) {
  // A three-phase car limited to 10 A by L1 (capacity 10 A) while L2 and L3 could give 25 A:
  // L1 is fully used, so the group is.
  BOOST_TEST(utilisation_pct({PhaseUse{10, 16, 10}, PhaseUse{25, 16, 10}, PhaseUse{25, 16, 10}}) ==
             100.0, boost::test_tools::tolerance(1e-12));
  // Demand below capacity: usable is the demand.
  BOOST_TEST(utilisation_pct({PhaseUse{25, 16, 8}, PhaseUse{}, PhaseUse{}}) == 50.0,
             boost::test_tools::tolerance(1e-12));
  // Nothing usable anywhere (no demand, or no capacity): nothing to waste.
  BOOST_TEST(utilisation_pct({PhaseUse{25, 0, 0}, PhaseUse{0, 16, 0}, PhaseUse{-3, 16, 0}}) == 100.0);
  // More given than there was: visible above 100.
  BOOST_TEST(utilisation_pct({PhaseUse{10, 16, 12}, PhaseUse{}, PhaseUse{}}) == 120.0,
             boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_SUITE_END()
