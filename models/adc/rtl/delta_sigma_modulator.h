#pragma once
// The ADC's six second-order delta-sigma modulators, one per channel, all on one modulator
// clock: the analog half of the RTL ADC, in front of the verilated decimator.
//
// Each is the Boser-Wooley structure (two delaying integrators of gain 1/2, a 1-bit quantiser,
// a 1-bit feedback DAC), in units of the reference: the input v is the pin voltage plus the bias
// as a fraction of the reference, minus 1/2, so full scale is v in [-1/2, +1/2] and the bits'
// mean is v + 1/2. Per clock:
//   h = x2 >= 0 ? +1/2 : -1/2                (the DAC feeds back the previous decision, halved)
//   x1 <- x1 + v - h                         (= x1 + (u - y)/2 with u = 2v, y = 2h)
//   x2 <- x2 + x1/2 - h                      (= x2 + (x1 - y)/2, x1 before this clock)
//   bit = x2 >= 0                            (this clock's decision, registered at its edge)
// Noise transfer (1 - z^-1)^2, signal transfer z^-1: the bit of clock n follows the input up to
// clock n - 1. For any input within full scale the first integrator stays within +-2 references
// (1.97 at 0.98 of full scale), which is what makes the bits' mean equal the input's. The second
// swings wider near full scale and reaches its rail (kIntegratorLimit, an op-amp's output swing)
// only for DC beyond about 0.88 of full scale (sines up to 0.9 never): clamping it there moves no
// mean. Beyond full scale both run into their rails: the bits saturate, nothing runs away, and
// once the input is back in range the modulator is its old self within tens of clocks.
//
// Fixed point, 2^27 to full scale (1/2048 of a 16-bit code's LSB): integer-exact, so the bits are
// the same on every machine and compiler, and cheap enough to run six channels at 1 MHz.
#include <array>
#include <cstddef>
#include <cstdint>

#include "hal/hal.h"

namespace amprig::models {

class DeltaSigmaModulator {
 public:
  static constexpr std::size_t kChannels = fw::hal::kAdcChannels;
  static constexpr int kFractionBits = 27;
  static constexpr std::int32_t kOne = std::int32_t{1} << kFractionBits;  // the reference
  static constexpr std::int32_t kHalf = kOne / 2;                         // full scale of v
  // The integrators' swing, 4 references: reached only near or beyond full scale.
  static constexpr std::int32_t kIntegratorLimit = 4 * kOne;
  // The input stage saturates at twice full scale (v = +-1); run() clamps to it, and run_held()'s
  // callers keep within it. With these bounds no sum overflows 32 bits.
  static constexpr std::int32_t kInputLimit = kOne;

  using Inputs = std::array<std::int32_t, kChannels>;

  // Both integrators discharged.
  void reset();
  // `clocks` modulator clocks with channel c's input held at input[c] (within +-kInputLimit).
  // Bit c of bits[n] is channel c's output at clock n. The fast path (SSE2 where the machine
  // has it).
  void run_held(const Inputs& input, std::size_t clocks, std::uint8_t* bits);
  // `clocks` clocks of explicit inputs, inputs[n][c], clamped to +-kInputLimit: written plainly,
  // one clock and one channel at a time. It defines what run_held() must match bit for bit.
  void run(const Inputs* inputs, std::size_t clocks, std::uint8_t* bits);

  std::int32_t integrator1(std::size_t channel) const { return m_x1[channel]; }
  std::int32_t integrator2(std::size_t channel) const { return m_x2[channel]; }
  // Clocks at which an integrator of some channel ran into its swing, since construction.
  std::uint64_t overload_clocks() const { return m_overload_clocks; }

 private:
  // Eight lanes, two SSE registers' worth; lanes 6 and 7 idle at zero input.
  alignas(16) std::array<std::int32_t, 8> m_x1{};
  alignas(16) std::array<std::int32_t, 8> m_x2{};
  std::uint64_t m_overload_clocks = 0;
};

}  // namespace amprig::models
