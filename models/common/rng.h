#pragma once
// The models' random source: xoshiro256** (Blackman & Vigna) seeded through splitmix64. It is
// written out here, not taken from <random>, because the standard fixes no distribution's
// algorithm: the same seed must give the same trace with every compiler and library. Changing
// this code changes every seeded trace.
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

}  // namespace amprig::models
