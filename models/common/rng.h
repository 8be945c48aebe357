#pragma once
// The models' random source: xoshiro256** (Blackman & Vigna) seeded through splitmix64. It is
// written out here, not taken from <random>, because the standard fixes no distribution's
// algorithm: the same seed must give the same trace with every compiler and library. Changing
// this code changes every seeded trace.
#include <cmath>
#include <cstdint>

namespace amprig::models {

class Xoshiro256ss {
 public:
  explicit Xoshiro256ss(std::uint64_t seed = 0) { reseed(seed); }

  // splitmix64 spreads any seed, including 0, over the 256-bit state, which must not be all
  // zero.
  void reseed(std::uint64_t seed) {
    std::uint64_t x = seed;
    for (auto& word : m_state) word = splitmix64(x);
  }

  std::uint64_t next() {
    std::uint64_t* s = m_state;
    const std::uint64_t result = rotl(s[1] * 5, 7) * 9;
    const std::uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }

  // Uniform on [0, 1): the top 53 bits, so every value is an exact multiple of 2^-53.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  static std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  std::uint64_t m_state[4];
};

// The sum of four independent uniforms on 0..65535 has mean 4*65535/2 and
// variance 4*(65536^2 - 1)/12.
inline constexpr double kIrwinHallMean = 2.0 * 65535.0;
inline const double kIrwinHallInvStd = 1.0 / std::sqrt((65536.0 * 65536.0 - 1.0) / 3.0);

// 64 random bits shaped into an approximately Gaussian value of unit variance by the
// Irwin-Hall sum of their four 16-bit quarters: one draw per sample instead of
// Box-Muller's log/sqrt/sin. Its tails end at +-3.46 sigma, which is harmless
// for ADC noise.
inline double irwin_hall_gaussian(Xoshiro256ss& rng) {
  const std::uint64_t u = rng.next();
  const std::uint64_t sum = (u & 0xffff) + ((u >> 16) & 0xffff) + ((u >> 32) & 0xffff) + (u >> 48);
  return (static_cast<double>(sum) - kIrwinHallMean) * kIrwinHallInvStd;
}

}  // namespace amprig::models
