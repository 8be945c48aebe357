// The verilated decimator (models/adc/rtl/sinc3_decimator.sv) against Sinc3Golden, clock for
// clock and bit for bit, and both against the sinc3 as a plain FIR: random and full-scale
// bitstreams on all six channels, long enough for the CIC's integrators to wrap around.
#include "adc/rtl/sinc3_decimator.h"

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "common/rng.h"
#include "sinc3_golden.h"

using namespace amprig::models;
using namespace amprig::models::test;

namespace {

// Channel c's next bit.
using BitSource = std::function<std::uint8_t(std::size_t channel, std::uint64_t clock)>;

struct RunStats {
  std::uint64_t clocks = 0;
  std::uint64_t samples = 0;
  std::uint64_t mismatches = 0;         // RTL against the golden model: strobe, code or clip
  std::uint64_t direct_mismatches = 0;  // the golden model's sinc3 sum against the plain FIR
  std::uint64_t min_wraps = ~std::uint64_t{0};
};

// Resets both, clocks them `frames` samples' worth of bits from `source`, and compares them on
// every clock (the plain FIR on every sample). `check` sees each sample: the RTL's codes and
// the exact sums.
RunStats run_against_golden(
    unsigned ratio, unsigned code_bits, std::uint64_t frames, const BitSource& source,
    const std::function<void(const Sinc3Decimator&, const Sinc3Golden&)>& check = {}) {
  const Sinc3Settings settings = Sinc3Settings::for_ratio(ratio, code_bits);
  Sinc3Decimator rtl;
  rtl.reset(settings);
  Sinc3Golden golden(ratio, settings.scale, settings.shift, settings.max_code);
  const std::vector<std::uint64_t> taps = sinc3_taps(ratio);
  std::vector<std::vector<std::uint8_t>> bits(kRtlChannels);
  RunStats stats;
  for (std::uint64_t n = 0; n < frames * ratio; ++n) {
    std::uint8_t word = 0;
    for (std::size_t c = 0; c < kRtlChannels; ++c) {
      const std::uint8_t b = source(c, n) & 1u;
      bits[c].push_back(b);
      word = static_cast<std::uint8_t>(word | (b << c));
    }
    const bool ready = rtl.clock(word);
    const bool golden_ready = golden.clock(word);
    ++stats.clocks;
    if (ready != golden_ready) ++stats.mismatches;
    if (!golden_ready) continue;
    ++stats.samples;
    for (std::size_t c = 0; c < kRtlChannels; ++c) {
      if (rtl.code(c) != golden.code(c)) ++stats.mismatches;
      if (((rtl.clipped() >> c) & 1u) != (golden.clipped(c) ? 1u : 0u)) ++stats.mismatches;
      if (golden.sum(c) != sinc3_direct(bits[c], n, taps)) ++stats.direct_mismatches;
    }
    if (check) check(rtl, golden);
  }
  for (std::size_t c = 0; c < kRtlChannels; ++c) {
    stats.min_wraps = std::min(stats.min_wraps, golden.wraps(c));
  }
  return stats;
}

// Each channel its own density of ones: from nearly always 0 to nearly always 1.
BitSource random_bits(std::uint64_t seed) {
  auto rng = std::make_shared<Xoshiro256ss>(seed);
  return [rng](std::size_t c, std::uint64_t) -> std::uint8_t {
    static constexpr double kOnes[kRtlChannels] = {0.5, 0.02, 0.98, 0.3, 0.75, 0.999};
    return rng->uniform() < kOnes[c] ? 1 : 0;
  };
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sinc3_decimator)

BOOST_AUTO_TEST_CASE(matches_the_golden_model_on_random_bitstreams) {
  // Every decimation ratio class: the smallest, odd, powers of two, the rig's 160, the largest.
  struct Case {
    unsigned ratio;
    unsigned bits;
    std::uint64_t frames;
  };
  for (const Case& k :
       {Case{2, 16, 400}, Case{3, 16, 300}, Case{16, 16, 200}, Case{100, 12, 60}, Case{128, 16, 60},
        Case{160, 16, 60}, Case{160, 1, 20}, Case{1000, 16, 12}, Case{1024, 16, 12}}) {
    const RunStats s = run_against_golden(k.ratio, k.bits, k.frames, random_bits(k.ratio));
    BOOST_TEST_INFO("ratio " << k.ratio << ", " << k.bits << " bits");
    BOOST_TEST(s.samples == k.frames);
    BOOST_TEST(s.mismatches == 0u);
    BOOST_TEST(s.direct_mismatches == 0u);
  }
}

BOOST_AUTO_TEST_CASE(full_scale_bitstreams_clamp_and_flag) {
  // All ones: the sum is ratio^3, a code of 2^bits, clamped to the top and flagged; all zeros:
  // code 0, flagged. Both once the filter has filled (its third sample on).
  for (const unsigned ratio : {160u, 1024u}) {
    const BitSource pattern = [](std::size_t c, std::uint64_t n) -> std::uint8_t {
      switch (c) {
        case 0:
          return 1;  // all ones
        case 1:
          return 0;  // all zeros
        case 2:
          return n % 2;  // 1/2: mid-scale exactly
        case 3:
          return n % 3 == 0;  // 1/3
        case 4:
          return n % 1000 != 0;  // nearly full scale
        default:
          return n % 1000 == 0;  // nearly zero
      }
    };
    std::uint64_t filled = 0, wrong = 0;
    const RunStats s = run_against_golden(
        ratio, 16, 40, pattern, [&](const Sinc3Decimator& rtl, const Sinc3Golden&) {
          if (++filled < 3) return;
          wrong += rtl.code(0) != 65535 || (rtl.clipped() & 1u) == 0;
          wrong += rtl.code(1) != 0 || (rtl.clipped() & 2u) == 0;
          wrong += rtl.code(2) != 32768 || (rtl.clipped() & 4u) != 0;
          wrong += (rtl.clipped() & 8u) != 0;  // a third of the bits ones: far from both ends
          // Channels 4 and 5 clamp while their window holds no exception, and only at the rails.
          wrong += (rtl.clipped() & 0x10u) != 0 && rtl.code(4) != 65535;
          wrong += (rtl.clipped() & 0x20u) != 0 && rtl.code(5) != 0;
        });
    BOOST_TEST_INFO("ratio " << ratio);
    BOOST_TEST(s.mismatches == 0u);
    BOOST_TEST(s.direct_mismatches == 0u);
    BOOST_TEST(wrong == 0u);
  }
}

BOOST_AUTO_TEST_CASE(integrator_wrap_around_is_harmless) {
  // 2 million clocks at ratio 1024 of dense ones: the last integrator passes 2^32 thousands of
  // times on every channel, and every sample still equals the plain FIR's.
  const RunStats s = run_against_golden(1024, 16, 2000, random_bits(99));
  BOOST_TEST(s.mismatches == 0u);
  BOOST_TEST(s.direct_mismatches == 0u);
  BOOST_TEST(s.min_wraps > 1000u, "the integrators wrapped " << s.min_wraps << " times");
}

BOOST_AUTO_TEST_CASE(data_ready_every_ratio_clocks_and_codes_change_only_then) {
  const unsigned ratio = 160;
  Sinc3Decimator rtl;
  rtl.reset(Sinc3Settings::for_ratio(ratio, 16));
  Xoshiro256ss rng(5);
  std::uint64_t misplaced = 0, changed_between = 0;
  std::uint16_t last = rtl.code(0);
  for (std::uint64_t n = 1; n <= 50 * ratio; ++n) {
    const bool ready = rtl.clock(static_cast<std::uint8_t>(rng.next() & 0x3f));
    misplaced += ready != (n % ratio == 0);
    if (!ready && rtl.code(0) != last) ++changed_between;
    last = rtl.code(0);
  }
  BOOST_TEST(misplaced == 0u);
  BOOST_TEST(changed_between == 0u);
  // A reset empties the filter: the first sample after it counts only the bits since.
  rtl.reset(Sinc3Settings::for_ratio(ratio, 16));
  std::vector<std::uint8_t> ones(ratio, 0x3f);
  BOOST_TEST(rtl.run(ones.data(), ones.size()));
  // ratio ones, newest first: the sum of the first ratio taps, (r + 1)(r + 2)/2 each.
  const std::vector<std::uint64_t> taps = sinc3_taps(ratio);
  std::uint64_t sum = 0;
  for (unsigned q = 0; q < ratio; ++q) sum += taps[q];
  const auto expected = static_cast<std::uint16_t>(
      std::floor(static_cast<double>(sum) * 65536.0 / (ratio * ratio * double(ratio)) + 0.5));
  BOOST_TEST(rtl.code(3) == expected);
}

BOOST_AUTO_TEST_CASE(codes_round_the_exact_sinc3_average_to_nearest) {
  // code = floor(sum * 2^bits / ratio^3 + 1/2), from the sum in exact integers. Where ratio^3
  // is a power of two the RTL's scale is exact and so is every code, halves rounding up. Else
  // the 32-bit scale is within 2^-16 LSB of exact, so only an exact value within that of a half
  // may round the other way.
  struct Case {
    unsigned ratio;
    unsigned bits;
  };
  for (const Case& k :
       {Case{160, 16}, Case{128, 16}, Case{1024, 16}, Case{160, 12}, Case{100, 16}, Case{3, 16}}) {
    const Sinc3Settings settings = Sinc3Settings::for_ratio(k.ratio, k.bits);
    const std::uint64_t cube = std::uint64_t{k.ratio} * k.ratio * k.ratio;
    BOOST_TEST_INFO("ratio " << k.ratio << ", " << k.bits << " bits");
    BOOST_TEST(settings.scale >= (std::uint64_t{1} << 31));
    // |scale * cube - 2^(shift + bits)| <= cube / 2: the scale is the nearest integer.
    const std::uint64_t target = std::uint64_t{1} << (settings.shift + k.bits);
    const std::uint64_t product = std::uint64_t{settings.scale} * cube;
    BOOST_TEST((product > target ? product - target : target - product) <= cube / 2);
    const bool exact_scale = product == target;
    std::uint64_t wrong = 0, near_half = 0;
    run_against_golden(k.ratio, k.bits, 200, random_bits(k.ratio + k.bits),
                       [&](const Sinc3Decimator& rtl, const Sinc3Golden& golden) {
                         for (std::size_t c = 0; c < kRtlChannels; ++c) {
                           const std::uint64_t num = std::uint64_t{golden.sum(c)} << k.bits;
                           std::uint64_t exact = (2 * num + cube) / (2 * cube);
                           exact = std::min<std::uint64_t>(exact, settings.max_code);
                           if (rtl.code(c) == exact) continue;
                           const double fraction =
                               static_cast<double>(num % cube) / static_cast<double>(cube);
                           if (!exact_scale && std::abs(fraction - 0.5) <= 1.0 / 65536) {
                             ++near_half;
                           } else {
                             ++wrong;
                           }
                         }
                       });
    BOOST_TEST(wrong == 0u);
    BOOST_TEST_MESSAGE("ratio " << k.ratio << ", " << k.bits << " bits: " << near_half
                                << " codes within 2^-16 of a half rounded down");
  }
}

BOOST_AUTO_TEST_SUITE_END()
