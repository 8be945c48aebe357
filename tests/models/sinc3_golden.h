#pragma once
// Two references for the verilated decimator (models/adc/rtl/sinc3_decimator.sv), written here
// from its specification and sharing no code with it or its C++ face:
// - Sinc3Golden, the same filter clock for clock in plain C++: integrators that wrap around
//   modulo 2^32, combs on the decimation clock, the scaling and clamping. Bit-exact target.
// - sinc3_direct(), the sinc3 as the FIR it is, summed over the last 3R - 2 bits in 64-bit
//   integers that never wrap: what the CIC must equal despite its wrapping registers.
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace amprig::models::test {

constexpr std::size_t kRtlChannels = 6;

// The taps of box * box * box, R ones each: 3R - 2 taps summing to R^3, newest bit first.
inline std::vector<std::uint64_t> sinc3_taps(unsigned ratio) {
  std::vector<std::uint64_t> box2(2 * ratio - 1, 0);
  for (unsigned i = 0; i < ratio; ++i) {
    for (unsigned j = 0; j < ratio; ++j) ++box2[i + j];
  }
  std::vector<std::uint64_t> taps(3 * ratio - 2, 0);
  for (std::size_t i = 0; i < box2.size(); ++i) {
    for (unsigned j = 0; j < ratio; ++j) taps[i + j] += box2[i];
  }
  return taps;
}

// The sinc3 sum of `bits` (0/1) ending at bits[last], bits before the first taken as 0.
inline std::uint64_t sinc3_direct(const std::vector<std::uint8_t>& bits, std::size_t last,
                                  const std::vector<std::uint64_t>& taps) {
  std::uint64_t sum = 0;
  for (std::size_t q = 0; q < taps.size() && q <= last; ++q) sum += taps[q] * bits[last - q];
  return sum;
}

class Sinc3Golden {
 public:
  Sinc3Golden(unsigned ratio, std::uint32_t scale, unsigned shift, std::uint16_t max_code)
      : m_ratio(ratio), m_scale(scale), m_shift(shift), m_max_code(max_code), m_phase(ratio - 1) {}

  // One clock; bit c of `bits` feeds channel c. Returns data_ready after the clock.
  bool clock(std::uint8_t bits) {
    const bool dump = m_phase == 0;
    for (std::size_t c = 0; c < kRtlChannels; ++c) {
      Channel& ch = m_channels[c];
      const unsigned bit = (bits >> c) & 1u;
      ch.integ1 += bit;
      ch.integ2 += ch.integ1;
      ch.integ3 += ch.integ2;
      // The same in 64 bits, which do not wrap within a test (n^3 / 6 < 2^64 for n < 4.8e6
      // clocks): shows how often the 32-bit ones did.
      ch.unwrapped1 += bit;
      ch.unwrapped2 += ch.unwrapped1;
      ch.unwrapped3 += ch.unwrapped2;
      if (!dump) continue;
      const std::uint32_t comb1 = ch.integ3 - ch.delay1;
      const std::uint32_t comb2 = comb1 - ch.delay2;
      const std::uint32_t comb3 = comb2 - ch.delay3;
      ch.delay1 = ch.integ3;
      ch.delay2 = comb1;
      ch.delay3 = comb2;
      ch.sum = comb3;
      const std::uint64_t scaled =
          (std::uint64_t{comb3} * m_scale + (std::uint64_t{1} << (m_shift - 1))) >> m_shift;
      ch.clipped = scaled > m_max_code || comb3 == 0;
      ch.code = static_cast<std::uint16_t>(scaled > m_max_code ? m_max_code : scaled);
    }
    m_phase = dump ? m_ratio - 1 : m_phase - 1;
    return dump;
  }

  std::uint16_t code(std::size_t c) const { return m_channels[c].code; }
  bool clipped(std::size_t c) const { return m_channels[c].clipped; }
  std::uint32_t sum(std::size_t c) const { return m_channels[c].sum; }  // the latest comb output
  // How many times channel c's last integrator has wrapped around 2^32.
  std::uint64_t wraps(std::size_t c) const { return m_channels[c].unwrapped3 >> 32; }

 private:
  struct Channel {
    std::uint32_t integ1 = 0, integ2 = 0, integ3 = 0;
    std::uint32_t delay1 = 0, delay2 = 0, delay3 = 0;
    std::uint64_t unwrapped1 = 0, unwrapped2 = 0, unwrapped3 = 0;
    std::uint32_t sum = 0;
    std::uint16_t code = 0;
    bool clipped = false;
  };

  unsigned m_ratio;
  std::uint32_t m_scale;
  unsigned m_shift;
  std::uint16_t m_max_code;
  unsigned m_phase;
  std::array<Channel, kRtlChannels> m_channels{};
};

}  // namespace amprig::models::test
