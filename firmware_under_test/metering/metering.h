#pragma once
// The metering pipeline: interleaved ADC frames in, per-phase measurements out,
// once per measurement window of whole mains cycles.
#include <cstdint>

#include "core/span.h"
#include "core/status.h"
#include "hal/hal.h"

namespace amprig::fw {

constexpr int kPhases = 3;

struct ChannelCalibration {
  float gain = 1.0f;       // physical unit (V or A) per ADC code
  float phase_deg = 0.0f;  // for current channels: the CT's phase lead to remove,
                           // at MeteringConfig::nominal_frequency_hz
};

struct MeteringConfig {
  std::uint32_t sample_rate_hz = 6400;
  float nominal_frequency_hz = 50.0f;
  float window_s = 0.2f;  // whole cycles closest to this (10 at 50 Hz, 12 at 60 Hz)
  float sync_min_voltage_v = 20.0f;  // below this a voltage cannot be the cycle reference
  ChannelCalibration voltage[kPhases];
  ChannelCalibration current[kPhases];
};

struct PhaseMeasurement {
  float voltage_v = 0;          // RMS
  float current_a = 0;          // RMS, unsigned
  float power_w = 0;            // active, + import, - export
  float reactive_var = 0;       // fundamental reactive power, + inductive on import
  float apparent_va = 0;        // voltage_v * current_a
  float power_factor = 0;       // power_w / apparent_va, signed like power_w; 0 when no current
  float voltage_angle_deg = 0;  // of this phase's voltage fundamental relative to V1, (-180, 180]
  float current_angle_deg = 0;  // of this phase's current fundamental relative to V1
  // Energy in millijoules (integer, never loses a count: the sub-mJ remainder carries).
  std::int64_t energy_import_mj = 0;
  std::int64_t energy_export_mj = 0;
};

struct Measurements {
  PhaseMeasurement phase[kPhases];
  float frequency_hz = 0;
  float total_power_w = 0;
  std::uint32_t window_count = 0;  // windows completed since start; 0 = nothing yet
  std::uint64_t window_end_sample = 0;
  bool synchronised = false;  // windows follow the mains cycles (false: nominal-length windows)
};

class Metering {
 public:
  Status configure(const MeteringConfig& config);
  // Restarts measurements; energy counters survive (they are the meter's register).
  void restart();
  // `frames` holds whole interleaved frames of hal::kAdcChannels codes.
  void process(Span<const hal::AdcCode> frames);
  const Measurements& latest() const { return m_latest; }

 private:
  // Implementation state lives here, fixed size: no heap.
  struct ChannelAccumulator {
    std::int64_t sum = 0;
    std::int64_t sum_sq = 0;
    float dft_re = 0;
    float dft_im = 0;
  };
  MeteringConfig m_config{};
  Measurements m_latest{};
  ChannelAccumulator m_acc[hal::kAdcChannels]{};
  std::int64_t m_sum_vi[kPhases]{};
  std::uint32_t m_samples_in_window = 0;
  std::uint64_t m_sample_index = 0;
  // Further fields as the implementation needs them.
};

}  // namespace amprig::fw
