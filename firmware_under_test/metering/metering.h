#pragma once
// The metering pipeline: interleaved ADC frames in, per-phase measurements out,
// once per measurement window of whole mains cycles.
#include <cstddef>
#include <cstdint>

#include "core/span.h"
#include "core/status.h"
#include "hal/hal.h"
#include "settings/installation.h"

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
  float window_s = 0.2f;             // whole cycles closest to this (10 at 50 Hz, 12 at 60 Hz)
  float sync_min_voltage_v = 20.0f;  // below this a voltage cannot be the cycle reference
  ChannelCalibration voltage[kPhases];
  ChannelCalibration current[kPhases];  // per CT input (calibration belongs to the input)
  // Which CT input feeds each phase's current, and with which sign. Outputs are
  // per grid phase: phase[p].current_a is the input k with scheme.phase[k] == p.
  // Must be a permutation (check_settings guarantees it).
  CurrentScheme scheme{};
  // IT: the voltage inputs are the lines of a network without neutral, each
  // referenced to the star point of the terminal's dividers. Measurements then
  // report line-to-line voltages (phase[0] = U12, phase[1] = U23, phase[2] =
  // U31) and every angle relative to U12; power per phase is taken against the
  // star-equivalent voltages (derived from U12 alone, assuming symmetry, when
  // only L1 and L2 are wired).
  NetworkType network = NetworkType::tn;
};

struct PhaseMeasurement {
  // On IT networks (MeteringConfig::network) phase[0..2] report the line pairs U12, U23, U31 for
  // the voltage (voltage_v, voltage_angle_deg) and the lines L1..L3 for everything else; power
  // is then taken against the star-equivalent voltage, so apparent_va is not voltage_v * current_a.
  float voltage_v = 0;     // RMS; IT: line-to-line, 0 when the pair is not measured
  float current_a = 0;     // RMS, unsigned
  float power_w = 0;       // active, + import, - export
  float reactive_var = 0;  // fundamental reactive power, + inductive on import
  float apparent_va = 0;   // voltage_v * current_a (IT: star-equivalent voltage * current_a)
  float power_factor = 0;  // power_w / apparent_va, signed like power_w; 0 when no current
  // Of the voltage's fundamental relative to V1 (IT: U12), (-180, 180]; 0 without a reference.
  float voltage_angle_deg = 0;
  float current_angle_deg = 0;  // of this phase's current fundamental relative to V1 (IT: U12)
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
  enum class Event : std::uint8_t { none, window_full, crossing };

  // kLineToLine (IT only) adds the voltage channels' cross products, for exact line-to-line RMS.
  template <bool kSynchronising, bool kLineToLine>
  std::size_t accumulate(const hal::AdcCode* frames, std::size_t count, Event* event);
  void on_crossing(const hal::AdcCode* frame, const hal::AdcCode* previous);
  // Closes the window at `end_t` (in sample periods) and opens the next. `edge_weight` in
  // [-0.5, 0.5] is the part of `edge_frame`'s sample period between the boundary and the
  // whole samples accumulated (negative: part of the last accumulated sample lies beyond it).
  void close_window(double end_t, double edge_weight, const hal::AdcCode* edge_frame,
                    bool at_crossing, bool whole_cycles, bool next_on_crossing);
  void publish(double length_samples, double edge_weight, const hal::AdcCode* edge_frame,
               bool synchronised);
  void begin_window(double start_t, double edge_weight, const hal::AdcCode* edge_frame,
                    bool at_crossing);
  void set_nco_frequency(float frequency_hz);

  MeteringConfig m_config{};
  // The current scheme, resolved at configure(): the ADC channel of the CT input that measures
  // each phase, and each input's gain with the scheme's sign folded in (an inverted input is a CT
  // with a negative gain), so that the per-sample loop neither searches nor branches on the sign.
  int m_current_channel[kPhases] = {hal::kI1, hal::kI2, hal::kI3};
  float m_current_gain[kPhases]{};
  Measurements m_latest{};
  Measurements m_scratch{};  // built at a window's end, then copied to m_latest in one go
  ChannelAccumulator m_acc[hal::kAdcChannels]{};
  std::int64_t m_sum_vi[kPhases]{};  // per phase: its voltage times the current input mapped to it
  // IT only: sum of V1 V2, V2 V3, V3 V1 (codes), so that each line-to-line RMS is exact.
  std::int64_t m_sum_vv[kPhases]{};
  // Each voltage channel's RMS in the last window (V): the cycle reference's choice and level.
  float m_channel_rms_v[kPhases]{};
  std::uint32_t m_samples_in_window = 0;
  std::uint64_t m_sample_index = 0;  // of the next frame, counted since configure()
  bool m_configured = false;

  // Window geometry, in sample periods.
  std::uint32_t m_nominal_samples = 0;  // round(sample_rate * window_s)
  std::uint32_t m_window_limit = 0;     // nominal when free-running, the runaway cap when synced
  double m_target_samples = 0;          // sample_rate * window_s, not rounded
  double m_window_start_t = 0;
  // The window's first sample period may be shared with the previous window: the correction
  // is replayed at the end from the sample's codes and NCO basis.
  double m_start_weight = 0;
  hal::AdcCode m_start_edge[hal::kAdcChannels]{};
  float m_start_cos = 0;
  float m_start_sin = 0;
  bool m_start_on_crossing = false;
  hal::AdcCode m_last_frame[hal::kAdcChannels]{};  // the frame before the next one

  // DC estimate per channel (previous window's mean): centres the float DFT input, so that the
  // single-precision sums stay small, and the integer sums' re-centring.
  std::int32_t m_dc_code[hal::kAdcChannels]{};

  // Cycle synchronisation on the reference voltage (-1: none usable, windows free-run).
  int m_reference = -1;
  // The crossing level: moved only between windows, and only when it is off by more than a
  // deadband, because a window is whole cycles only if both its crossings use the same level.
  std::int32_t m_reference_level_code = 0;
  std::int32_t m_hysteresis_code = 0;
  bool m_armed = false;
  bool m_have_previous_crossing = false;
  double m_previous_crossing_t = 0;
  std::uint32_t m_crossings = 0;  // in this window, counting a crossing it started on
  double m_first_crossing_t = 0;
  double m_last_crossing_t = 0;
  // The reference's sum and sample count at the window's first crossing: its mean over whole
  // cycles is the unbiased crossing level even when the window is not whole cycles.
  double m_cycle_start_sum = 0;
  double m_cycle_start_samples = 0;

  // Local oscillator for the single-bin DFT.
  std::uint32_t m_nco_phase = 0;
  std::uint32_t m_nco_step = 0;
  float m_nco_frequency_hz = 0;
  float m_sum_cos = 0;  // sums of the basis over the window: exact DC removal from the DFT
  float m_sum_sin = 0;

  // Energy registers and their sub-millijoule remainders, kept across restart().
  std::int64_t m_energy_import_mj[kPhases]{};
  std::int64_t m_energy_export_mj[kPhases]{};
  double m_import_remainder_mj[kPhases]{};
  double m_export_remainder_mj[kPhases]{};
};

}  // namespace amprig::fw
