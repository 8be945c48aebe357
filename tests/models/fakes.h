#pragma once
// Test doubles for the models' neighbours. Their waveforms are computed with
// std::sin from closed-form expressions, independent of the models' own paths.
#include <array>
#include <cmath>
#include <functional>
#include <systemc>
#include <vector>

#include "common/interfaces.h"
#include "hal/hal.h"

namespace amprig::models::test {

constexpr double kPi = 3.14159265358979323846;
constexpr double kSqrt2 = 1.41421356237309504880;

inline double deg_to_rad(double deg) { return deg * kPi / 180; }

// A connection point with scripted sinusoidal (or half-wave) waveforms.
class FakePlant : public plant_if {
 public:
  struct Wave {
    double rms = 0;          // V or A (RMS of the whole waveform)
    double phase_deg = 0;    // angle at t = 0
    bool half_wave = false;  // peak = 2*rms, negative half cut off
  };

  double frequency = 50;
  std::array<Wave, kPhases> voltage{};
  std::array<Wave, kPhases> current{};

  static double value(const Wave& w, double f_hz, double t_s) {
    const double x = std::sin(2 * kPi * f_hz * t_s + deg_to_rad(w.phase_deg));
    if (w.half_wave) return 2 * w.rms * std::max(0.0, x);
    return kSqrt2 * w.rms * x;
  }

  const MainsBlock& voltages(const BlockTime& time) override {
    m_v.time = time;
    for (int p = 0; p < kPhases; ++p) {
      for (std::size_t k = 0; k < time.n; ++k) {
        m_v.v[p][k] = value(voltage[p], frequency, t(time, k));
      }
      m_v.present[p] = 1;
    }
    return m_v;
  }
  const CurrentBlock& currents(const BlockTime& time) override {
    m_i.time = time;
    for (int p = 0; p < kPhases; ++p) {
      for (std::size_t k = 0; k < time.n; ++k) {
        m_i.i[p][k] = value(current[p], frequency, t(time, k));
      }
    }
    return m_i;
  }
  PhaseTruth truth(Phase) const override { return {}; }
  double frequency_hz() const override { return frequency; }

  static double t(const BlockTime& time, std::size_t k) {
    return static_cast<double>(time.index + k) * time.dt_s;
  }

 private:
  MainsBlock m_v{};
  CurrentBlock m_i{};
};

// An ADC input whose pin voltage is a function of time.
class FakeChannel : public analog_channel_if {
 public:
  std::function<double(double t_s)> pin_v = [](double) { return 0.0; };

  void sample(const BlockTime& time, double* out) override {
    for (std::size_t k = 0; k < time.n; ++k) {
      out[k] = pin_v(static_cast<double>(time.index + k) * time.dt_s);
    }
  }
};

// Records every DMA callback with its SystemC time and a copy of the half.
class FakeAdcClient : public fw::hal::AdcDmaClient {
 public:
  struct Event {
    sc_core::sc_time time;
    bool full;  // on_full_complete (second half) rather than on_half_complete
    std::vector<fw::hal::AdcCode> codes;
  };

  std::vector<fw::hal::AdcCode> buffer;
  std::vector<Event> events;
  std::function<void()> on_event;  // optional extra action, e.g. stop()

  explicit FakeAdcClient(std::size_t frames_per_half = 128)
      : buffer(frames_per_half * 2 * fw::hal::kAdcChannels) {}

  fw::Span<fw::hal::AdcCode> span() { return {buffer.data(), buffer.size()}; }

  void on_half_complete() override { record(false); }
  void on_full_complete() override { record(true); }

 private:
  void record(bool full) {
    const std::size_t half = buffer.size() / 2;
    const auto first = buffer.begin() + (full ? half : 0);
    events.push_back({sc_core::sc_time_stamp(), full, {first, first + half}});
    if (on_event) on_event();
  }
};

}  // namespace amprig::models::test
