// The metering pipeline's work per sample frame, for tests/target/metering_cost.py to count under
// callgrind: an ag63 board's calibration, 3 voltages and 3 currents of a realistic 50 Hz
// installation at 6400 Hz (harmonics, ADC noise), fed through Metering::process in DMA halves of
// 64 frames, as the firmware feeds it.
//
//   metering_cost FRAMES [tn|it]
//
// The signal is one second long (exactly 50 cycles, so it repeats seamlessly) and computed before
// the first frame is processed: running twice with different FRAMES, the difference in counted
// instructions is the pipeline's alone.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "app/firmware.h"
#include "board/board.h"
#include "metering/metering.h"

namespace {

using amprig::fw::kPhases;
namespace hal = amprig::fw::hal;

constexpr std::uint32_t kSampleRateHz = 6400;
constexpr std::size_t kFramesPerHalf = 64;
constexpr std::size_t kTableFrames = kSampleRateHz;  // one second
constexpr double kPi = 3.14159265358979323846;
constexpr double kSqrt2 = 1.41421356237309504880;

struct Phase {
  double voltage_v;
  double current_a;
  double power_factor;
};

// A household: unequal loads, lagging, a 5th harmonic on the voltage and a 3rd on the currents.
constexpr Phase kInstallation[kPhases] = {
    {231.0, 12.0, 0.92}, {229.0, 7.5, 0.85}, {233.0, 3.2, 0.97}};
constexpr double kVoltageH5 = 0.03;
constexpr double kCurrentH3 = 0.08;
constexpr double kNoiseLsbRms = 1.0;

// Deterministic noise: the count must not depend on the run.
class Lcg {
 public:
  double uniform() {
    m_state = m_state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(m_state >> 11) * (1.0 / 9007199254740992.0);
  }
  // Irwin-Hall: four uniforms, unit variance.
  double gaussian() {
    return (uniform() + uniform() + uniform() + uniform() - 2.0) * std::sqrt(3.0);
  }

 private:
  std::uint64_t m_state = 0x2545F4914F6CDD1Dull;
};

std::vector<hal::AdcCode> make_signal(const amprig::fw::MeteringConfig& config) {
  std::vector<hal::AdcCode> table(kTableFrames * hal::kAdcChannels);
  Lcg noise;
  for (std::size_t n = 0; n < kTableFrames; ++n) {
    const double theta = 2.0 * kPi * 50.0 * static_cast<double>(n) / kSampleRateHz + 0.37;
    for (int p = 0; p < kPhases; ++p) {
      const double shift = -2.0 * kPi * p / 3.0;
      const Phase& ph = kInstallation[p];
      const double lag = std::acos(ph.power_factor);
      const double v = ph.voltage_v * kSqrt2 *
                       (std::sin(theta + shift) + kVoltageH5 * std::sin(5.0 * (theta + shift)));
      const double i =
          ph.current_a * kSqrt2 *
          (std::sin(theta + shift - lag) + kCurrentH3 * std::sin(3.0 * (theta + shift - lag)));
      const double codes[2] = {v / config.voltage[p].gain, i / config.current[p].gain};
      for (int k = 0; k < 2; ++k) {
        const double code = std::round(32768.0 + codes[k] + kNoiseLsbRms * noise.gaussian());
        const int ch = (k == 0 ? hal::kV1 : hal::kI1) + p;
        table[n * hal::kAdcChannels + ch] = static_cast<hal::AdcCode>(code < 0.0       ? 0.0
                                                                      : code > 65535.0 ? 65535.0
                                                                                       : code);
      }
    }
  }
  return table;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3 ||
      (argc == 3 && std::strcmp(argv[2], "tn") != 0 && std::strcmp(argv[2], "it") != 0)) {
    std::fprintf(stderr, "usage: %s FRAMES [tn|it]   (FRAMES a multiple of %zu)\n", argv[0],
                 kFramesPerHalf);
    return 2;
  }
  const unsigned long long frames = std::strtoull(argv[1], nullptr, 10);
  if (frames == 0 || frames % kFramesPerHalf != 0) {
    std::fprintf(stderr, "FRAMES must be a positive multiple of %zu\n", kFramesPerHalf);
    return 2;
  }
  amprig::fw::MeteringConfig config = amprig::fw::metering_config_for(
      amprig::fw::board_design(amprig::fw::Variant::ag63), kSampleRateHz);
  if (argc == 3 && std::strcmp(argv[2], "it") == 0) config.network = amprig::fw::NetworkType::it;
  const std::vector<hal::AdcCode> table = make_signal(config);

  amprig::fw::Metering metering;
  if (metering.configure(config) != amprig::fw::Status::ok) {
    std::fprintf(stderr, "the metering rejected its configuration\n");
    return 1;
  }
  const std::size_t half_codes = kFramesPerHalf * hal::kAdcChannels;
  std::size_t offset = 0;
  for (unsigned long long done = 0; done < frames; done += kFramesPerHalf) {
    metering.process(amprig::fw::Span<const hal::AdcCode>(table.data() + offset, half_codes));
    offset += half_codes;
    if (offset == table.size()) offset = 0;
  }

  // What was measured, so that a reader can see the pipeline did its work.
  const amprig::fw::Measurements& m = metering.latest();
  std::printf("frames %llu windows %u synchronised %d frequency %.4f Hz\n", frames,
              static_cast<unsigned>(m.window_count), m.synchronised ? 1 : 0,
              static_cast<double>(m.frequency_hz));
  for (int p = 0; p < kPhases; ++p) {
    std::printf("L%d %.3f V %.4f A %.2f W pf %.4f\n", p + 1,
                static_cast<double>(m.phase[p].voltage_v),
                static_cast<double>(m.phase[p].current_a), static_cast<double>(m.phase[p].power_w),
                static_cast<double>(m.phase[p].power_factor));
  }
  return m.window_count > 0 ? 0 : 1;
}
