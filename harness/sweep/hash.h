#pragma once
// Hashes and a random stream that give the same numbers on every machine and every standard
// library: a sweep's run ids, seeds and samples must not depend on where it was expanded.
#include <cstdint>
#include <string>

namespace amprig::sweep {

// FNV-1a, 64 bits.
inline std::uint64_t fnv1a64(const std::string& text, std::uint64_t hash = 0xcbf29ce484222325ULL) {
  for (const unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

// One step of splitmix64 (Steele, Lea and Flood): a bijective mix of all 64 bits.
inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// splitmix64 as a stream, with unbiased whole numbers below a bound (rejection, not modulo
// alone). std::uniform_int_distribution is left out on purpose: its algorithm is the library's.
class StableRandom {
 public:
  explicit StableRandom(std::uint64_t seed) : m_state(seed) {}
  std::uint64_t next() {
    m_state += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = m_state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // In [0, bound); bound 0 gives 0.
  std::uint64_t below(std::uint64_t bound) {
    if (bound == 0) return 0;
    const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % bound);
    for (;;) {
      const std::uint64_t v = next();
      if (v < limit) return v % bound;
    }
  }

 private:
  std::uint64_t m_state;
};

inline std::string hex64(std::uint64_t v, int digits = 16) {
  static const char* kDigits = "0123456789abcdef";
  std::string out(static_cast<std::size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i, v >>= 4) out[static_cast<std::size_t>(i)] = kDigits[v & 15];
  return out;
}

}  // namespace amprig::sweep
