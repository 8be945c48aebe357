#pragma once
// Every SystemC instance the RTL ADC tests use. SystemC elaborates once per process, so the
// global fixture (rtl_test_main.cpp) builds them all up front; the tests start and stop them
// and advance simulated time with sc_start(), never assuming it is 0.
#include <array>
#include <systemc>

#include "adc/rtl/rtl_adc.h"
#include "fakes.h"

namespace amprig::models::test {

// An RTL ADC whose six inputs are scripted channels.
struct RtlAdcBench {
  std::array<FakeChannel, fw::hal::kAdcChannels> channels;
  RtlAdc adc;
  RtlAdcBench(const char* name, const AdcModelConfig& config, const RtlAdcConfig& rtl = {})
      : adc(name, config, rtl) {
    for (std::size_t c = 0; c < channels.size(); ++c) adc.in[c].bind(channels[c]);
  }
};

struct RtlWorld {
  // Quiet 16-bit converters (no front-end noise), but for those named otherwise. Twins have
  // the same configuration and seed as their sibling.
  RtlAdcBench refusals, timing, pins;
  RtlAdcBench noise;                // 20 LSB RMS of front-end noise
  RtlAdcBench gain_offset, twelve;  // gain, offset and bias errors, 2 LSB of noise; 12 bits
  RtlAdcBench stuck, stuck_twin;    // 2 LSB of noise
  RtlAdcBench drop, drop_twin;      // 2 LSB of noise
  RtlAdcBench clip;
  RtlAdcBench jitter, jitter_twin;     // 50 us RMS of modulator-clock jitter on the first
  RtlAdcBench seed_a, seed_b, seed_c;  // seeds 7, 7, 8; 2 LSB of noise
  RtlAdcBench clocked, clocked_twin;   // one SystemC activation per modulator clock; 2 LSB

  RtlWorld();
};

// The instance built by the global fixture.
RtlWorld& rtl_world();

}  // namespace amprig::models::test
