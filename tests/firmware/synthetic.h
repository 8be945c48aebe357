#pragma once
// Synthetic ADC streams for the firmware tests: ideal sinusoids computed in double, quantised to
// the nearest code around mid-scale. Expected values in the tests come from the same parameters in
// closed form, never from running the firmware.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "hal/hal.h"

namespace amprig::fw::test {

constexpr double kPi = 3.14159265358979323846;
constexpr double kSqrt2 = 1.41421356237309504880;
constexpr double kMidScale = 32768.0;

inline double deg_to_rad(double deg) { return deg * kPi / 180.0; }

// x(t) = offset + amplitude sin(theta + phase) + harmonic_amplitude sin(order theta +
// harmonic_phase), with theta = 2 pi f t + start phase, shared by all channels.
struct ChannelSignal {
  double amplitude_codes = 0;
  double phase_deg = 0;
  double offset_codes = 0;
  int harmonic_order = 0;
  double harmonic_amplitude_codes = 0;
  double harmonic_phase_deg = 0;
};

class SignalGenerator {
 public:
  SignalGenerator(double frequency_hz, double sample_rate_hz)
      : m_frequency_hz(frequency_hz), m_sample_rate_hz(sample_rate_hz) {}

  ChannelSignal channel[hal::kAdcChannels];
  // Not on a sample instant, so that crossings fall between samples.
  double start_phase_rad = 0.37;

  void set_frequency(double frequency_hz) {
    // Keep theta continuous across the change.
    start_phase_rad = theta(m_sample) - 2.0 * kPi * frequency_hz * m_sample / m_sample_rate_hz;
    m_frequency_hz = frequency_hz;
  }

  double value_codes(int ch, std::uint64_t n) const {
    const ChannelSignal& c = channel[ch];
    const double th = theta(n);
    double x = c.offset_codes + c.amplitude_codes * std::sin(th + deg_to_rad(c.phase_deg));
    if (c.harmonic_order > 0) {
      x += c.harmonic_amplitude_codes *
           std::sin(c.harmonic_order * th + deg_to_rad(c.harmonic_phase_deg));
    }
    return x;
  }

  // Writes `frames` interleaved frames, continuing the stream.
  void fill(hal::AdcCode* out, std::size_t frames) {
    for (std::size_t k = 0; k < frames; ++k, ++m_sample) {
      for (int ch = 0; ch < hal::kAdcChannels; ++ch) {
        const double code = std::round(kMidScale + value_codes(ch, m_sample));
        if (code < 0.0 || code > 65535.0) ++m_clipped;
        out[k * hal::kAdcChannels + ch] = static_cast<hal::AdcCode>(std::clamp(code, 0.0, 65535.0));
      }
    }
  }

  std::vector<hal::AdcCode> frames(std::size_t count) {
    std::vector<hal::AdcCode> v(count * hal::kAdcChannels);
    fill(v.data(), count);
    return v;
  }

  std::uint64_t sample() const { return m_sample; }
  std::uint64_t clipped() const { return m_clipped; }

 private:
  double theta(std::uint64_t n) const {
    return 2.0 * kPi * m_frequency_hz * static_cast<double>(n) / m_sample_rate_hz + start_phase_rad;
  }

  double m_frequency_hz;
  double m_sample_rate_hz;
  std::uint64_t m_sample = 0;
  std::uint64_t m_clipped = 0;
};

}  // namespace amprig::fw::test
