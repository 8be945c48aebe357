#include "adc/rtl/delta_sigma_modulator.h"

#include <algorithm>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace amprig::models {
namespace {

constexpr std::int32_t kLimit = DeltaSigmaModulator::kIntegratorLimit;

// One channel, one clock: returns the output bit; true in `overload` if an integrator clamped.
inline bool step_channel(std::int32_t v, std::int32_t& x1, std::int32_t& x2, bool& overload) {
  // The DAC feeds back the previous clock's decision.
  const std::int32_t h = x2 >= 0 ? DeltaSigmaModulator::kHalf : -DeltaSigmaModulator::kHalf;
  // x1 >> 1 rounds towards minus infinity (an arithmetic shift, as the SSE2 path's): a
  // constant error at the second integrator is shaped away by the loop and moves no mean.
  std::int32_t n1 = x1 + v - h;
  std::int32_t n2 = x2 + (x1 >> 1) - h;
  if (n1 > kLimit || n1 < -kLimit || n2 > kLimit || n2 < -kLimit) {
    overload = true;
    n1 = std::clamp(n1, -kLimit, kLimit);
    n2 = std::clamp(n2, -kLimit, kLimit);
  }
  x1 = n1;
  x2 = n2;
  return x2 >= 0;  // this clock's decision
}

}  // namespace

void DeltaSigmaModulator::reset() {
  m_x1.fill(0);
  m_x2.fill(0);
}

void DeltaSigmaModulator::run(const Inputs* inputs, std::size_t clocks, std::uint8_t* bits) {
  for (std::size_t n = 0; n < clocks; ++n) {
    unsigned out = 0;
    bool overload = false;
    for (std::size_t c = 0; c < kChannels; ++c) {
      const std::int32_t v = std::clamp(inputs[n][c], -kInputLimit, kInputLimit);
      if (step_channel(v, m_x1[c], m_x2[c], overload)) out |= 1u << c;
    }
    if (overload) ++m_overload_clocks;
    bits[n] = static_cast<std::uint8_t>(out);
  }
}

#if defined(__SSE2__)

// The six channels in the lanes of two registers, the state in registers for the whole run:
// about 30 instructions a clock instead of a dependent chain per channel. Clamping is the rare
// branch: every lane is clamped when any lane leaves the swing (a no-op for the others).
void DeltaSigmaModulator::run_held(const Inputs& input, std::size_t clocks, std::uint8_t* bits) {
  alignas(16) std::array<std::int32_t, 8> held{};
  std::copy(input.begin(), input.end(), held.begin());
  const auto load = [](const std::array<std::int32_t, 8>& a, int half) {
    return _mm_load_si128(reinterpret_cast<const __m128i*>(a.data() + 4 * half));
  };
  __m128i x1_lo = load(m_x1, 0), x1_hi = load(m_x1, 1);
  __m128i x2_lo = load(m_x2, 0), x2_hi = load(m_x2, 1);
  const __m128i v_lo = load(held, 0), v_hi = load(held, 1);
  const __m128i half = _mm_set1_epi32(kHalf);
  const __m128i limit = _mm_set1_epi32(kLimit);
  const __m128i minus_limit = _mm_set1_epi32(-kLimit);
  const auto clamp = [&](__m128i x) {
    const __m128i high = _mm_cmpgt_epi32(x, limit);
    x = _mm_or_si128(_mm_and_si128(high, limit), _mm_andnot_si128(high, x));
    const __m128i low = _mm_cmplt_epi32(x, minus_limit);
    return _mm_or_si128(_mm_and_si128(low, minus_limit), _mm_andnot_si128(low, x));
  };
  const auto outside = [&](__m128i x) {
    return _mm_or_si128(_mm_cmpgt_epi32(x, limit), _mm_cmplt_epi32(x, minus_limit));
  };
  constexpr unsigned kUsed = (1u << kChannels) - 1;
  for (std::size_t n = 0; n < clocks; ++n) {
    // A lane's sign bit set means x2 < 0: the previous decision was 0, feedback -1/2.
    const __m128i neg_lo = _mm_srai_epi32(x2_lo, 31);  // all ones where x2 < 0
    const __m128i neg_hi = _mm_srai_epi32(x2_hi, 31);
    const __m128i h_lo = _mm_sub_epi32(_mm_xor_si128(half, neg_lo), neg_lo);  // +-1/2
    const __m128i h_hi = _mm_sub_epi32(_mm_xor_si128(half, neg_hi), neg_hi);
    __m128i n1_lo = _mm_sub_epi32(_mm_add_epi32(x1_lo, v_lo), h_lo);
    __m128i n1_hi = _mm_sub_epi32(_mm_add_epi32(x1_hi, v_hi), h_hi);
    __m128i n2_lo = _mm_sub_epi32(_mm_add_epi32(x2_lo, _mm_srai_epi32(x1_lo, 1)), h_lo);
    __m128i n2_hi = _mm_sub_epi32(_mm_add_epi32(x2_hi, _mm_srai_epi32(x1_hi, 1)), h_hi);
    const __m128i out = _mm_or_si128(_mm_or_si128(outside(n1_lo), outside(n1_hi)),
                                     _mm_or_si128(outside(n2_lo), outside(n2_hi)));
    if (__builtin_expect(_mm_movemask_epi8(out) != 0, 0)) {
      ++m_overload_clocks;
      n1_lo = clamp(n1_lo);
      n1_hi = clamp(n1_hi);
      n2_lo = clamp(n2_lo);
      n2_hi = clamp(n2_hi);
    }
    x1_lo = n1_lo;
    x1_hi = n1_hi;
    x2_lo = n2_lo;
    x2_hi = n2_hi;
    const unsigned negative =
        static_cast<unsigned>(_mm_movemask_ps(_mm_castsi128_ps(x2_lo))) |
        (static_cast<unsigned>(_mm_movemask_ps(_mm_castsi128_ps(x2_hi))) << 4);
    bits[n] = static_cast<std::uint8_t>(~negative & kUsed);  // this clock's decisions
  }
  _mm_store_si128(reinterpret_cast<__m128i*>(m_x1.data()), x1_lo);
  _mm_store_si128(reinterpret_cast<__m128i*>(m_x1.data() + 4), x1_hi);
  _mm_store_si128(reinterpret_cast<__m128i*>(m_x2.data()), x2_lo);
  _mm_store_si128(reinterpret_cast<__m128i*>(m_x2.data() + 4), x2_hi);
}

#else

void DeltaSigmaModulator::run_held(const Inputs& input, std::size_t clocks, std::uint8_t* bits) {
  for (std::size_t n = 0; n < clocks; ++n) run(&input, 1, bits + n);
}

#endif

}  // namespace amprig::models
