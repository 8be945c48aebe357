// The RTL ADC's delta-sigma modulators: the SSE2 fast path against the plain definition, the
// bits' mean against the input (a bound that follows from the first integrator's swing), and
// overload: bounded integrators, saturated bits, recovery once the input is back in range.
#include "adc/rtl/delta_sigma_modulator.h"

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstdint>
#include <vector>

#include "common/rng.h"

using namespace amprig::models;

namespace {

using Inputs = DeltaSigmaModulator::Inputs;
constexpr std::size_t kChannels = DeltaSigmaModulator::kChannels;
constexpr double kOne = DeltaSigmaModulator::kOne;

std::int32_t fixed(double references) {
  return static_cast<std::int32_t>(std::lround(references * kOne));
}

Inputs all(double references) {
  Inputs in;
  in.fill(fixed(references));
  return in;
}

double integrator1(const DeltaSigmaModulator& m, std::size_t c) { return m.integrator1(c) / kOne; }
double integrator2(const DeltaSigmaModulator& m, std::size_t c) { return m.integrator2(c) / kOne; }

// Runs `clocks` clocks of a held input one clock at a time: the largest magnitude each
// integrator reached after any clock (in references), and the ones per channel.
struct Held {
  double max_x1 = 0, max_x2 = 0;
  std::array<std::uint64_t, kChannels> ones{};
};
Held hold(DeltaSigmaModulator& m, const Inputs& input, std::size_t clocks) {
  Held h;
  std::uint8_t bits = 0;
  for (std::size_t n = 0; n < clocks; ++n) {
    m.run_held(input, 1, &bits);
    for (std::size_t c = 0; c < kChannels; ++c) {
      h.ones[c] += (bits >> c) & 1u;
      h.max_x1 = std::max(h.max_x1, std::abs(integrator1(m, c)));
      h.max_x2 = std::max(h.max_x2, std::abs(integrator2(m, c)));
    }
  }
  return h;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(delta_sigma_modulator)

BOOST_AUTO_TEST_CASE(the_fast_path_matches_the_plain_one_bit_for_bit) {
  // Random held inputs over the whole input range, twice full scale either way (so deep into
  // overload), for random stretches: bits, integrators and overload counts alike throughout.
  DeltaSigmaModulator fast, plain;
  Xoshiro256ss rng(11);
  std::vector<std::uint8_t> fast_bits(400), plain_bits(400);
  std::vector<Inputs> inputs(400);
  std::uint64_t bit_mismatches = 0, state_mismatches = 0, clocks = 0;
  for (int chunk = 0; chunk < 3000; ++chunk) {
    Inputs in;
    // Mostly within full scale, one stretch in eight anywhere in the input range.
    const double range = chunk % 8 == 0 ? 1.0 : 0.45;
    for (auto& v : in) v = fixed(range * (2 * rng.uniform() - 1));
    const std::size_t n = 1 + rng.next() % 400;
    fast.run_held(in, n, fast_bits.data());
    std::fill(inputs.begin(), inputs.begin() + static_cast<std::ptrdiff_t>(n), in);
    plain.run(inputs.data(), n, plain_bits.data());
    for (std::size_t k = 0; k < n; ++k) bit_mismatches += fast_bits[k] != plain_bits[k];
    for (std::size_t c = 0; c < kChannels; ++c) {
      state_mismatches += fast.integrator1(c) != plain.integrator1(c);
      state_mismatches += fast.integrator2(c) != plain.integrator2(c);
    }
    clocks += n;
  }
  BOOST_TEST(bit_mismatches == 0u);
  BOOST_TEST(state_mismatches == 0u);
  BOOST_TEST(fast.overload_clocks() == plain.overload_clocks());
  BOOST_TEST(fast.overload_clocks() > 0u);  // the overload path was taken too
  BOOST_TEST(clocks > 500000u);
}

BOOST_AUTO_TEST_CASE(the_bits_mean_is_the_input) {
  // Summing x1's update over N clocks: x1(N) - x1(0) = N v - sum(h), with h = bit - 1/2. So
  // |mean(bit) - (v + 1/2)| = |x1(N) - x1(0)| / N, at most 4 / N while x1 stays within +-2
  // references, as it does for any input within full scale. Each channel its own level, from
  // -0.95 to +0.95 of full scale; the input itself is rounded to 2^-27.
  const double levels[kChannels] = {-0.475, -0.3, -0.0123457, 0.0, 0.2, 0.475};
  Inputs in;
  for (std::size_t c = 0; c < kChannels; ++c) in[c] = fixed(levels[c]);
  DeltaSigmaModulator m;
  const std::size_t n = 1'000'000;
  const Held h = hold(m, in, n);
  BOOST_TEST(h.max_x1 < 2.0);
  for (std::size_t c = 0; c < kChannels; ++c) {
    const double mean = static_cast<double>(h.ones[c]) / static_cast<double>(n);
    BOOST_TEST_INFO("level " << levels[c]);
    BOOST_TEST(std::abs(mean - (levels[c] + 0.5)) <= 4.0 / static_cast<double>(n) + 1 / kOne);
  }
}

BOOST_AUTO_TEST_CASE(within_full_scale_the_integrators_never_reach_their_swing) {
  // The swing is a rail for overload, not part of normal operation: sines up to 0.9 of full
  // scale (the CTs' 120 % peaks at 0.83) and DC up to 0.85 never touch it.
  DeltaSigmaModulator m;
  const double fm = 1.024e6;
  std::vector<Inputs> inputs(1);
  std::uint8_t bit = 0;
  double peak = 0;
  for (std::size_t n = 0; n < 40'000; ++n) {  // four periods at 100 Hz, each channel its phase
    for (std::size_t c = 0; c < kChannels; ++c) {
      inputs[0][c] = fixed(0.45 * std::sin(2 * 3.14159265358979 * 100 * n / fm + c));
    }
    m.run(inputs.data(), 1, &bit);
    for (std::size_t c = 0; c < kChannels; ++c) {
      peak = std::max({peak, std::abs(integrator1(m, c)), std::abs(integrator2(m, c))});
    }
  }
  BOOST_TEST(m.overload_clocks() == 0u, "peak " << peak);
  const Held dc = hold(m, all(0.425), 200'000);
  BOOST_TEST(m.overload_clocks() == 0u, "peak " << dc.max_x2);
}

BOOST_AUTO_TEST_CASE(overload_saturates_stays_bounded_and_recovers) {
  // A twin that is never overloaded shows what the modulator looks like at the same input.
  DeltaSigmaModulator m, twin;
  const double limit = DeltaSigmaModulator::kIntegratorLimit / kOne;
  const Inputs back = all(0.2);
  hold(m, back, 20'000);
  hold(twin, back, 20'000);
  const std::uint64_t before = m.overload_clocks();
  // 1.5 times full scale up, then the input stage's limit down, 100 000 clocks each (0.1 s),
  // each followed by the input back in range.
  for (const double overload : {0.75, -1.0}) {
    const Held over = hold(m, all(overload), 100'000);
    BOOST_TEST_INFO("input " << overload);
    BOOST_TEST(std::max(over.max_x1, over.max_x2) <= limit);  // no runaway: the rails hold
    for (std::size_t c = 0; c < kChannels; ++c) {
      // Saturated: all ones (or all zeros) but for the clocks it takes to get there.
      const double ones = static_cast<double>(over.ones[c]) / 100'000;
      BOOST_TEST((overload > 0 ? ones > 0.999 : ones < 0.001), "ones " << ones);
    }
    // Back within the +-2 of any in-range input within 100 clocks...
    std::size_t recovered_after = 0;
    std::uint8_t bit = 0;
    for (; recovered_after < 1000; ++recovered_after) {
      bool inside = true;
      for (std::size_t c = 0; c < kChannels; ++c) {
        inside = inside && std::abs(integrator1(m, c)) < 2 && std::abs(integrator2(m, c)) < 2;
      }
      if (inside) break;
      m.run_held(back, 1, &bit);
    }
    BOOST_TEST(recovered_after <= 100u, "recovered after " << recovered_after << " clocks");
    // ... stays there as it settles (1000 clocks), and from there is as the twin: no more
    // overload, the twin's swing, the input's mean.
    const std::uint64_t overloads = m.overload_clocks();
    const Held settling = hold(m, back, 1000);
    BOOST_TEST(std::max(settling.max_x1, settling.max_x2) < 2.0);
    const Held after = hold(m, back, 100'000);
    const Held reference = hold(twin, back, 100'000);
    BOOST_TEST(m.overload_clocks() == overloads);
    BOOST_TEST(after.max_x1 == reference.max_x1, boost::test_tools::tolerance(0.001));
    BOOST_TEST(after.max_x2 == reference.max_x2, boost::test_tools::tolerance(0.001));
    for (std::size_t c = 0; c < kChannels; ++c) {
      const double mean = static_cast<double>(after.ones[c]) / 100'000;
      BOOST_TEST(std::abs(mean - 0.7) <= 4.0 / 100'000 + 1 / kOne);
    }
  }
  BOOST_TEST(m.overload_clocks() > before + 150'000u);
}

BOOST_AUTO_TEST_SUITE_END()
