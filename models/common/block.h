#pragma once
// Sampled signals move between models in blocks, never one SystemC event per
// sample. A block covers samples k = 0..n-1 at times t0_s + k * dt_s.
#include <array>
#include <complex>
#include <cstddef>
#include <cstdint>

namespace amprig::models {

constexpr std::size_t kMaxBlockSamples = 1024;
constexpr int kPhases = 3;

enum Phase : int { L1 = 0, L2 = 1, L3 = 2 };

// TN: phases and a neutral at earth. IT: three lines, no neutral; voltages are
// given line-to-line, and each phase's voltage is taken from the source's star point.
enum class Network { tn, it };

struct BlockTime {
  std::uint64_t index = 0;  // first sample's index since t = 0 (identifies the block)
  double t0_s = 0;
  double dt_s = 0;
  std::size_t n = 0;
};

using SampleArray = std::array<double, kMaxBlockSamples>;

// Phase voltages plus the unit phasor of each phase's fundamental, so loads can
// draw currents at a given angle without calling sin() per sample.
struct MainsBlock {
  BlockTime time;
  std::array<SampleArray, kPhases> v;          // voltage to N (IT: to the star point), V
  std::array<SampleArray, kPhases> cos_theta;  // cos of the fundamental's phase angle
  std::array<SampleArray, kPhases> sin_theta;  // sin of it; v = sqrt2*V*sin(theta) + harmonics
  std::array<double, kPhases> present{};       // 1 when the phase is live, 0 when lost
  // The fundamental of the voltage across a load from each phase to the building's neutral,
  // relative to the phase's supply voltage: 1 unless the neutral is lost, when the building's
  // star point floats (plant/connection_point.h) and v above is taken against it.
  std::array<std::complex<double>, kPhases> load_ratio{1.0, 1.0, 1.0};
};

struct CurrentBlock {
  BlockTime time;
  std::array<SampleArray, kPhases> i;  // instantaneous current into the building, A
};

}  // namespace amprig::models
