#include "rtl_world.h"

namespace amprig::models::test {
namespace {

AdcModelConfig quiet() {
  AdcModelConfig c;
  c.noise_lsb_rms = 0;
  return c;
}

AdcModelConfig with_noise(double lsb_rms, std::uint64_t seed = 1) {
  AdcModelConfig c;
  c.noise_lsb_rms = lsb_rms;
  c.seed = seed;
  return c;
}

AdcModelConfig with_errors() {
  AdcModelConfig c = with_noise(2);
  c.gain_error_pct = 1.5;
  c.offset_lsb = 40.3;
  c.bias_v = 1.6;
  return c;
}

AdcModelConfig twelve_bits() {
  AdcModelConfig c = with_errors();
  c.resolution_bits = 12;
  c.noise_lsb_rms = 0.5;
  c.offset_lsb = -7.7;
  return c;
}

AdcModelConfig jittery() {
  AdcModelConfig c = quiet();
  c.clock_jitter_ns = 50'000;
  return c;
}

RtlAdcConfig per_clock() {
  RtlAdcConfig c;
  c.clock_per_activation = true;
  return c;
}

}  // namespace

RtlWorld::RtlWorld()
    : refusals("refusals", quiet()),
      timing("timing", quiet()),
      pins("pins", quiet()),
      noise("noise", with_noise(20)),
      gain_offset("gain_offset", with_errors()),
      twelve("twelve", twelve_bits()),
      stuck("stuck", with_noise(2)),
      stuck_twin("stuck_twin", with_noise(2)),
      drop("drop", with_noise(2)),
      drop_twin("drop_twin", with_noise(2)),
      clip("clip", quiet()),
      jitter("jitter", jittery()),
      jitter_twin("jitter_twin", quiet()),
      seed_a("seed_a", with_noise(2, 7)),
      seed_b("seed_b", with_noise(2, 7)),
      seed_c("seed_c", with_noise(2, 8)),
      clocked("clocked", with_noise(2), per_clock()),
      clocked_twin("clocked_twin", with_noise(2)) {}

}  // namespace amprig::models::test
