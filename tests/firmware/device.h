#pragma once
// A firmware on the fake HAL, played half by half like the DMA, and the plant it measures.
#include <cstdint>
#include <vector>

#include "app/firmware.h"
#include "board/board.h"
#include "fake_hal.h"
#include "synthetic.h"

namespace amprig::fw::test {

constexpr std::uint32_t kFs = 6400;
constexpr std::uint32_t kFramesPerHalf = 64;
constexpr std::uint64_t kHalfUs = 1000000ull * kFramesPerHalf / kFs;  // 10 ms

inline FirmwareConfig ag63_config() {
  FirmwareConfig config;
  config.metering = metering_config_for(board_design(Variant::ag63), kFs);
  config.dma_frames_per_half = kFramesPerHalf;
  return config;
}

constexpr std::uint64_t kWindowUs = 200'000;  // 10 cycles at 50 Hz
constexpr std::uint64_t kSettleUs = DiagnosticsConfig{}.settle_us;

struct Device {
  FakeHal hal;
  Firmware firmware{hal.hal()};
  int next_half = 0;
  int dma_starts = 0;

  // Plays the DMA for `halves` halves from `gen`, polling the main loop after each interrupt.
  // A stopped DMA raises no interrupt; a restarted one begins with its first half.
  void run(SignalGenerator& gen, int halves) {
    for (int k = 0; k < halves; ++k) {
      if (hal.adc.starts != dma_starts) {
        dma_starts = hal.adc.starts;
        next_half = 0;
      }
      if (hal.adc.client != nullptr) {
        const Span<hal::AdcCode> half = hal.adc.half(next_half);
        gen.fill(half.data(), half.size() / hal::kAdcChannels);
      }
      hal.clock.advance_us(kHalfUs);
      if (hal.adc.client != nullptr) {
        hal.adc.complete(next_half);
        next_half ^= 1;
      }
      firmware.poll();
    }
  }
  void run_us(SignalGenerator& gen, std::uint64_t us) { run(gen, static_cast<int>(us / kHalfUs)); }
  // Time passes with no DMA interrupt: the main loop alone, every kHalfUs.
  void idle_us(std::uint64_t us) {
    for (std::uint64_t t = 0; t < us; t += kHalfUs) {
      hal.clock.advance_us(kHalfUs);
      firmware.poll();
    }
  }

  int events_of(hal::LedId led) const {
    int n = 0;
    for (const auto& e : hal.leds.events) n += e.led == led ? 1 : 0;
    return n;
  }
  std::vector<LedEvent> events_since(std::uint64_t time_us) const {
    std::vector<LedEvent> out;
    for (const auto& e : hal.leds.events) {
      if (e.time_us >= time_us) out.push_back(e);
    }
    return out;
  }
};

// What the device's inputs are wired to, in physical terms.
struct Plant {
  double voltage_v = 230.0;
  double mains_deg[kPhases] = {0.0, -120.0, 120.0};  // each grid phase's voltage angle
  bool voltage_wired = true;
  int ct_phase[kPhases] = {0, 1, 2};  // grid phase each CT input is clamped on
  bool ct_reversed[kPhases] = {false, false, false};
  double current_a[kPhases] = {16.0, 12.0, 8.0};  // per grid phase
  double load_deg = -20.0;                        // each current's angle from its voltage (lagging)
};

// Sinusoids that the nominal ag63 front end turns into `plant`'s values, its CTs leading by their
// nominal 0.8 deg.
inline void drive(SignalGenerator& gen, const FirmwareConfig& config, const Plant& plant) {
  constexpr double kCtLeadDeg = 0.8;
  for (int k = 0; k < kPhases; ++k) {
    const double gain_v = config.metering.voltage[k].gain;
    const double gain_i = config.metering.current[k].gain;
    gen.channel[hal::kV1 + k].amplitude_codes =
        plant.voltage_wired ? plant.voltage_v * kSqrt2 / gain_v : 0.0;
    gen.channel[hal::kV1 + k].phase_deg = plant.mains_deg[k];
    const int g = plant.ct_phase[k];
    gen.channel[hal::kI1 + k].amplitude_codes = plant.current_a[g] * kSqrt2 / gain_i;
    gen.channel[hal::kI1 + k].phase_deg =
        plant.mains_deg[g] + plant.load_deg + kCtLeadDeg + (plant.ct_reversed[k] ? 180.0 : 0.0);
  }
}

}  // namespace amprig::fw::test
