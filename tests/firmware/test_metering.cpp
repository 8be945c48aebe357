// Metering against closed-form values of synthetic streams (tolerances: see tolerance.h).
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <complex>
#include <cstdint>
#include <ostream>
#include <vector>

#include "metering/metering.h"
#include "printers.h"
#include "synthetic.h"
#include "tolerance.h"

namespace amprig::fw {
namespace {

using test::angle_tolerance_deg;
using test::check_angle_close;
using test::check_close;
using test::deg_to_rad;
using test::frequency_tolerance_hz;
using test::kPi;
using test::kSqrt2;
using test::power_tolerance;
using test::rms_tolerance;
using test::SignalGenerator;
using test::sine_chord_samples;

constexpr double kFs = 6400.0;
constexpr double kGainV = 0.02;   // V per code: 230 V RMS is 16263 codes peak
constexpr double kGainI = 0.002;  // A per code: 10 A RMS is 7071 codes peak

MeteringConfig test_config(float nominal_hz = 50.0f) {
  MeteringConfig c;
  c.sample_rate_hz = static_cast<std::uint32_t>(kFs);
  c.nominal_frequency_hz = nominal_hz;
  c.window_s = 0.2f;
  c.sync_min_voltage_v = 20.0f;
  for (int p = 0; p < kPhases; ++p) {
    c.voltage[p].gain = static_cast<float>(kGainV);
    c.current[p].gain = static_cast<float>(kGainI);
  }
  return c;
}

double normalise_deg(double deg) {
  while (deg > 180.0) deg -= 360.0;
  while (deg <= -180.0) deg += 360.0;
  return deg;
}

// One phase of a synthetic installation, in physical units (angles relative to V1).
void set_phase(SignalGenerator& g, int p, double voltage_v, double voltage_deg, double current_a,
               double current_deg, double gain_v = kGainV, double gain_i = kGainI) {
  g.channel[hal::kV1 + p].amplitude_codes = voltage_v * kSqrt2 / gain_v;
  g.channel[hal::kV1 + p].phase_deg = voltage_deg;
  g.channel[hal::kI1 + p].amplitude_codes = current_a * kSqrt2 / gain_i;
  g.channel[hal::kI1 + p].phase_deg = current_deg;
}

// The installation the current-scheme tests measure: what each grid phase carries (angles relative
// to V1), whichever CT input sees it.
struct PhaseLoad {
  double voltage_v;
  double voltage_deg;
  double current_a;
  double current_deg;
};
constexpr PhaseLoad kLoads[kPhases] = {
    {230.0, 0.0, 10.0, -30.0},     // lags 30 deg
    {230.0, -120.0, 4.0, -100.0},  // leads 20 deg
    {230.0, 120.0, 16.0, 60.0},    // lags 60 deg
};

void set_voltages(SignalGenerator& g, const PhaseLoad (&loads)[kPhases]) {
  for (int p = 0; p < kPhases; ++p) {
    g.channel[hal::kV1 + p].amplitude_codes = loads[p].voltage_v * kSqrt2 / kGainV;
    g.channel[hal::kV1 + p].phase_deg = loads[p].voltage_deg;
  }
}

// CT input `input` clamped on a conductor carrying `load`'s current: `reversed` when clamped
// against the arrow (or with S1 and S2 swapped); `lead_deg` is the CT's own phase lead.
void set_input(SignalGenerator& g, int input, const PhaseLoad& load, bool reversed = false,
               double gain_i = kGainI, double lead_deg = 0.0) {
  g.channel[hal::kI1 + input].amplitude_codes = load.current_a * kSqrt2 / gain_i;
  g.channel[hal::kI1 + input].phase_deg = load.current_deg + (reversed ? 180.0 : 0.0) + lead_deg;
}

// A phase's results against the closed form for its voltage and the current it is paired with.
void check_phase(const PhaseMeasurement& m, double voltage_v, double voltage_deg, double current_a,
                 double current_deg, double gain_i = kGainI) {
  const double phi = deg_to_rad(voltage_deg - current_deg);
  const double s = voltage_v * current_a;
  check_close(m.voltage_v, voltage_v, rms_tolerance(kGainV, voltage_v), "voltage_v");
  check_close(m.current_a, current_a, rms_tolerance(gain_i, current_a), "current_a");
  check_close(m.power_w, s * std::cos(phi), power_tolerance(kGainV, gain_i, voltage_v, current_a),
              "power_w");
  check_close(m.reactive_var, s * std::sin(phi),
              power_tolerance(kGainV, gain_i, voltage_v, current_a, 0.71), "reactive_var");
  check_angle_close(m.voltage_angle_deg, voltage_deg,
                    angle_tolerance_deg(voltage_v / kGainV, voltage_v / kGainV),
                    "voltage_angle_deg");
  check_angle_close(m.current_angle_deg, normalise_deg(current_deg),
                    angle_tolerance_deg(voltage_v / kGainV, current_a / gain_i),
                    "current_angle_deg");
}

void check_phase(const PhaseMeasurement& m, const PhaseLoad& load, double gain_i = kGainI) {
  check_phase(m, load.voltage_v, load.voltage_deg, load.current_a, load.current_deg, gain_i);
}

MeteringConfig with_scheme(MeteringConfig c, std::uint8_t l1, std::uint8_t l2, std::uint8_t l3,
                           bool inverted1 = false, bool inverted2 = false, bool inverted3 = false) {
  c.scheme.phase[0] = l1;
  c.scheme.phase[1] = l2;
  c.scheme.phase[2] = l3;
  c.scheme.inverted[0] = inverted1;
  c.scheme.inverted[1] = inverted2;
  c.scheme.inverted[2] = inverted3;
  return c;
}

struct Bench {
  explicit Bench(const MeteringConfig& config, double frequency_hz)
      : config(config), gen(frequency_hz, config.sample_rate_hz) {
    BOOST_REQUIRE(meter.configure(config) == Status::ok);
  }

  // Feeds the stream in DMA-sized chunks until `count` more windows have completed; returns each.
  std::vector<Measurements> run_windows(int count) {
    std::vector<Measurements> out;
    std::vector<hal::AdcCode> buffer(chunk_frames * hal::kAdcChannels);
    std::uint32_t seen = meter.latest().window_count;
    const std::uint32_t target = seen + static_cast<std::uint32_t>(count);
    const std::uint64_t give_up = gen.sample() + static_cast<std::uint64_t>(count + 2) * 3 * 1280;
    while (meter.latest().window_count < target) {
      BOOST_REQUIRE_MESSAGE(gen.sample() < give_up, "windows stopped completing");
      gen.fill(buffer.data(), chunk_frames);
      meter.process(Span<const hal::AdcCode>(buffer.data(), buffer.size()));
      if (meter.latest().window_count != seen) {
        seen = meter.latest().window_count;
        out.push_back(meter.latest());
      }
    }
    BOOST_REQUIRE_EQUAL(gen.clipped(), 0u);
    return out;
  }

  // Past start-up (a free-running window, then one that ends on a crossing), then one window.
  Measurements settled() {
    run_windows(3);
    const Measurements m = run_windows(1).back();
    BOOST_REQUIRE(m.synchronised);
    return m;
  }

  MeteringConfig config;
  Metering meter;
  SignalGenerator gen;
  std::size_t chunk_frames = 64;
};

// IT: the voltage terminal has no neutral. Each voltage channel carries its line against the star
// point of the wired lines' dividers (the mean of the wired lines' voltages); an unwired channel
// reads 0. `star_deg` are the source's line-to-star angles, by default those that put U12 at 0
// degrees (a symmetric source has no zero sequence, so with all three wired the channels carry
// exactly these).
void set_it_voltages(SignalGenerator& g, double line_v, const bool (&wired)[kPhases],
                     const double (&star_deg)[kPhases] = {-30.0, -150.0, 90.0}) {
  const double star_v = line_v / std::sqrt(3.0);
  std::complex<double> v[kPhases];
  std::complex<double> mean = 0.0;
  int n = 0;
  for (int k = 0; k < kPhases; ++k) {
    v[k] = std::polar(star_v, deg_to_rad(star_deg[k]));
    if (wired[k]) {
      mean += v[k];
      ++n;
    }
  }
  if (n > 0) mean /= static_cast<double>(n);
  for (int k = 0; k < kPhases; ++k) {
    const std::complex<double> ch = wired[k] ? v[k] - mean : 0.0;
    g.channel[hal::kV1 + k].amplitude_codes = std::abs(ch) * kSqrt2 / kGainV;
    g.channel[hal::kV1 + k].phase_deg = std::arg(ch) * 180.0 / kPi;
  }
}

// Line-to-line RMS from two channels: each one's rounding moves it by at most 0.5 code.
double line_rms_tolerance(double expected) { return 2.0 * 0.5 * kGainV + test::kModel * expected; }
// An angle of a line-to-line voltage (error <= 1.42 codes) against U12 (likewise).
double line_angle_tolerance_deg(double line_v) {
  return angle_tolerance_deg(0.5 * line_v / kGainV, 0.5 * line_v / kGainV);
}
// A line current's angle against U12.
double current_vs_line_tolerance_deg(double line_v, double current_a) {
  return (1.42 / (line_v / kGainV) + 0.71 / (current_a / kGainI) + test::kModel) * 180.0 / kPi;
}
// P or Q of a fundamental against a star voltage derived from U12 (its phasor off by at most
// 1.42 codes, so the star's by 1.42 / sqrt(3) = 0.82) and a current's phasor (0.71 code).
double derived_power_tolerance(double star_v, double current_a) {
  const double v_codes = star_v / kGainV;
  const double i_codes = current_a / kGainI;
  return kGainV * kGainI * (0.82 * i_codes + 0.71 * v_codes + 0.82 * 0.71) +
         test::kModel * star_v * current_a;
}

MeteringConfig it_config() {
  MeteringConfig c = test_config();
  c.network = NetworkType::it;
  return c;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(metering)

BOOST_AUTO_TEST_CASE(configure_rejects_invalid_settings) {
  Metering meter;
  auto c = test_config();
  c.sample_rate_hz = 0;
  BOOST_TEST(meter.configure(c) == Status::out_of_range);
  c = test_config();
  c.window_s = 0.0f;
  BOOST_TEST(meter.configure(c) == Status::out_of_range);
  c = test_config();
  c.nominal_frequency_hz = 100.0f;
  BOOST_TEST(meter.configure(c) == Status::out_of_range);
  c = test_config();
  c.current[1].gain = 0.0f;
  BOOST_TEST(meter.configure(c) == Status::invalid_argument);
  c = test_config();
  c.voltage[2].gain = std::nanf("");
  BOOST_TEST(meter.configure(c) == Status::invalid_argument);
  BOOST_TEST(meter.configure(test_config()) == Status::ok);
}

BOOST_AUTO_TEST_CASE(unconfigured_meter_ignores_input) {
  Metering meter;
  SignalGenerator gen(50.0, kFs);
  set_phase(gen, 0, 230.0, 0.0, 10.0, 0.0);
  const auto frames = gen.frames(4000);
  meter.process(Span<const hal::AdcCode>(frames.data(), frames.size()));
  BOOST_TEST(meter.latest().window_count == 0u);
}

BOOST_AUTO_TEST_CASE(start_up_free_runs_one_window_then_synchronises) {
  Bench b(test_config(), 50.0);
  set_phase(b.gen, 0, 230.0, 0.0, 10.0, 0.0);
  const auto w = b.run_windows(3);
  // No voltage is known to be usable before the first window: nominal length, 0.2 s * 6400 Hz.
  BOOST_TEST(w[0].window_count == 1u);
  BOOST_TEST(w[0].window_end_sample == 1280u);
  BOOST_TEST(!w[0].synchronised);
  BOOST_TEST(w[0].frequency_hz == 0.0f);
  // The second starts off a crossing and ends on one; from the third on, whole cycles.
  BOOST_TEST(!w[1].synchronised);
  BOOST_TEST(w[2].synchronised);
  BOOST_TEST(w[2].window_end_sample - w[1].window_end_sample == 1280u);
}

// Whole cycles closest to 0.2 s: 9 at 45 Hz, 10 at 50 Hz, 12 at 60 Hz, 13 at 65 Hz; 49.73 Hz
// puts crossings at a different fraction of a sample every cycle.
BOOST_DATA_TEST_CASE(rms_frequency_and_window_of_pure_sines,
                     boost::unit_test::data::make({45.0, 49.73, 50.0, 60.0, 65.0}), frequency_hz) {
  Bench b(test_config(frequency_hz > 55.0 ? 60.0f : 50.0f), frequency_hz);
  const double v[3] = {230.0, 231.5, 229.0};
  const double i[3] = {10.0, 2.5, 31.0};
  for (int p = 0; p < kPhases; ++p) set_phase(b.gen, p, v[p], -120.0 * p, i[p], -120.0 * p);
  b.run_windows(3);
  const auto w = b.run_windows(4);
  const Measurements& m = w.back();
  BOOST_REQUIRE(m.synchronised);
  for (int p = 0; p < kPhases; ++p) {
    BOOST_TEST_CONTEXT("phase " << p + 1) {
      check_close(m.phase[p].voltage_v, v[p], rms_tolerance(kGainV, v[p]), "voltage_v");
      check_close(m.phase[p].current_a, i[p], rms_tolerance(kGainI, i[p]), "current_a");
    }
  }
  check_close(m.frequency_hz, frequency_hz,
              frequency_tolerance_hz(frequency_hz, kFs, v[0] * kSqrt2 / kGainV,
                                     sine_chord_samples(frequency_hz, kFs)),
              "frequency_hz");
  const double window_samples = std::round(0.2 * frequency_hz) * kFs / frequency_hz;
  for (std::size_t k = 1; k < w.size(); ++k) {
    const double length = static_cast<double>(w[k].window_end_sample - w[k - 1].window_end_sample);
    BOOST_TEST(std::fabs(length - window_samples) <= 1.0, "window of " << length << " samples");
  }
}

// At 47.3 Hz a 9-cycle window is 1217.76 sample periods and at 63.1 Hz 13 cycles are 1318.54:
// windows begin and end inside sample periods, at a fraction that changes from window to window.
// Large currents in quadrature peak where the window is cut, so integrating only whole samples
// would be off by ~1e-4, several times the tolerance. At 50.1 Hz the rounding of a 1024-point
// sine table's index would beat with the signal's second harmonic and turn the angles by
// ~0.07 deg.
BOOST_DATA_TEST_CASE(windows_cut_inside_sample_periods,
                     boost::unit_test::data::make({47.3, 50.1, 63.1}), frequency_hz) {
  Bench b(test_config(frequency_hz > 55.0 ? 60.0f : 50.0f), frequency_hz);
  const double v = 240.0, i = 42.0;
  const double current_deg[kPhases] = {-90.0, 45.0, 0.0};
  for (int p = 0; p < kPhases; ++p) set_phase(b.gen, p, v, 0.0, i, current_deg[p]);
  b.run_windows(3);
  for (const Measurements& m : b.run_windows(5)) {
    BOOST_REQUIRE(m.synchronised);
    for (int p = 0; p < kPhases; ++p) {
      BOOST_TEST_CONTEXT("window " << m.window_count << ", phase " << p + 1) {
        const double phi = deg_to_rad(-current_deg[p]);
        check_close(m.phase[p].voltage_v, v, rms_tolerance(kGainV, v), "voltage_v");
        check_close(m.phase[p].current_a, i, rms_tolerance(kGainI, i), "current_a");
        check_close(m.phase[p].power_w, v * i * std::cos(phi),
                    power_tolerance(kGainV, kGainI, v, i), "power_w");
        check_close(m.phase[p].reactive_var, v * i * std::sin(phi),
                    power_tolerance(kGainV, kGainI, v, i, 0.71), "reactive_var");
        check_angle_close(m.phase[p].current_angle_deg, current_deg[p],
                          angle_tolerance_deg(v / kGainV, i / kGainI), "current_angle_deg");
      }
    }
  }
}

struct PowerCase {
  const char* name;
  double current_deg;  // relative to the voltage: negative lags (inductive)
};
std::ostream& operator<<(std::ostream& os, const PowerCase& c) { return os << c.name; }

BOOST_DATA_TEST_CASE(power_quantities_by_power_factor,
                     boost::unit_test::data::make(std::vector<PowerCase>{
                         {"pf 1", 0.0},
                         {"pf 0.5 lagging", -60.0},
                         {"pf 0.8 leading", std::acos(0.8) * 180.0 / kPi},
                         {"pf -0.8 export", 180.0 - std::acos(0.8) * 180.0 / kPi},
                     }),
                     c) {
  Bench b(test_config(), 50.0);
  const double voltage_v = 230.0;
  const double current_a = 12.0;
  set_phase(b.gen, 0, voltage_v, 0.0, current_a, c.current_deg);
  const Measurements m = b.settled();
  const PhaseMeasurement& r = m.phase[0];
  const double s = voltage_v * current_a;
  const double phi = deg_to_rad(0.0 - c.current_deg);  // voltage minus current angle
  const double p_expected = s * std::cos(phi);
  const double q_expected = s * std::sin(phi);
  const double p_tol = power_tolerance(kGainV, kGainI, voltage_v, current_a);
  const double s_tol =
      current_a * rms_tolerance(kGainV, voltage_v) + voltage_v * rms_tolerance(kGainI, current_a);
  check_close(r.power_w, p_expected, p_tol, "power_w");
  check_close(r.reactive_var, q_expected,
              power_tolerance(kGainV, kGainI, voltage_v, current_a, 0.71), "reactive_var");
  check_close(r.apparent_va, s, s_tol, "apparent_va");
  check_close(r.power_factor, std::cos(phi), (p_tol + s_tol) / s, "power_factor");
  check_angle_close(r.current_angle_deg, c.current_deg,
                    angle_tolerance_deg(voltage_v / kGainV, current_a / kGainI),
                    "current_angle_deg");
  check_close(m.total_power_w, p_expected, p_tol, "total_power_w");
  if (p_expected < 0.0) {
    BOOST_TEST(r.energy_import_mj == 0);
    BOOST_TEST(r.energy_export_mj > 0);
  } else {
    BOOST_TEST(r.energy_export_mj == 0);
  }
}

BOOST_AUTO_TEST_CASE(angles_of_three_phases) {
  Bench b(test_config(), 50.0);
  // Currents lag 30 deg, lead 20 deg, lag 75 deg behind their own phase voltages.
  set_phase(b.gen, 0, 230.0, 0.0, 16.0, -30.0);
  set_phase(b.gen, 1, 230.0, -120.0, 16.0, -100.0);
  set_phase(b.gen, 2, 230.0, -240.0, 16.0, -315.0);
  const Measurements m = b.settled();
  const double tol = angle_tolerance_deg(230.0 / kGainV, 16.0 / kGainI);
  const double v_tol = angle_tolerance_deg(230.0 / kGainV, 230.0 / kGainV);
  check_angle_close(m.phase[0].voltage_angle_deg, 0.0, v_tol, "V1 angle");
  check_angle_close(m.phase[1].voltage_angle_deg, -120.0, v_tol, "V2 angle");
  check_angle_close(m.phase[2].voltage_angle_deg, 120.0, v_tol, "V3 angle");
  check_angle_close(m.phase[0].current_angle_deg, -30.0, tol, "I1 angle");
  check_angle_close(m.phase[1].current_angle_deg, -100.0, tol, "I2 angle");
  check_angle_close(m.phase[2].current_angle_deg, normalise_deg(-315.0), tol, "I3 angle");
  for (const auto& phase : m.phase) {
    BOOST_TEST(phase.voltage_angle_deg > -180.0f);
    BOOST_TEST(phase.voltage_angle_deg <= 180.0f);
    BOOST_TEST(phase.current_angle_deg > -180.0f);
    BOOST_TEST(phase.current_angle_deg <= 180.0f);
  }
  const double s = 230.0 * 16.0;
  const double q_tol = power_tolerance(kGainV, kGainI, 230.0, 16.0, 0.71);
  check_close(m.phase[0].reactive_var, s * std::sin(deg_to_rad(30.0)), q_tol, "Q1");
  check_close(m.phase[1].reactive_var, s * std::sin(deg_to_rad(-20.0)), q_tol, "Q2");
  check_close(m.phase[2].reactive_var, s * std::sin(deg_to_rad(75.0)), q_tol, "Q3");
}

BOOST_AUTO_TEST_CASE(harmonics_count_in_rms_and_active_power_not_in_reactive) {
  Bench b(test_config(), 50.0);
  const double v1 = 230.0, i1 = 10.0, h_v = 0.10, h_i = 0.40;
  const double phi1_deg = -25.0;               // fundamental current lags 25 deg
  const double v5_deg = 30.0, i5_deg = -40.0;  // 5th harmonics, in 5th-harmonic degrees
  set_phase(b.gen, 0, v1, 0.0, i1, phi1_deg);
  auto& vch = b.gen.channel[hal::kV1];
  auto& ich = b.gen.channel[hal::kI1];
  vch.harmonic_order = ich.harmonic_order = 5;
  vch.harmonic_amplitude_codes = h_v * vch.amplitude_codes;
  vch.harmonic_phase_deg = v5_deg;
  ich.harmonic_amplitude_codes = h_i * ich.amplitude_codes;
  ich.harmonic_phase_deg = i5_deg;
  const Measurements m = b.settled();
  const PhaseMeasurement& r = m.phase[0];

  const double v_rms = v1 * std::sqrt(1.0 + h_v * h_v);
  const double i_rms = i1 * std::sqrt(1.0 + h_i * h_i);
  const double p = v1 * i1 * std::cos(deg_to_rad(-phi1_deg)) +
                   (h_v * v1) * (h_i * i1) * std::cos(deg_to_rad(v5_deg - i5_deg));
  const double q1 = v1 * i1 * std::sin(deg_to_rad(-phi1_deg));
  check_close(r.voltage_v, v_rms, rms_tolerance(kGainV, v_rms), "voltage_v");
  check_close(r.current_a, i_rms, rms_tolerance(kGainI, i_rms), "current_a");
  check_close(r.power_w, p, power_tolerance(kGainV, kGainI, v_rms, i_rms), "power_w");
  check_close(r.reactive_var, q1, power_tolerance(kGainV, kGainI, v_rms, i_rms, 0.71),
              "reactive_var");
  check_close(r.apparent_va, v_rms * i_rms,
              i_rms * rms_tolerance(kGainV, v_rms) + v_rms * rms_tolerance(kGainI, i_rms),
              "apparent_va");
  check_angle_close(r.current_angle_deg, phi1_deg, angle_tolerance_deg(v1 / kGainV, i1 / kGainI),
                    "current_angle_deg");
  // The 5th harmonic bends the waveform at the crossing: |x''| <= (1 + 25 h) A omega^2 and
  // x' >= (1 - 5 h) A omega there, so the chord is off by up to |x''| / (8 x') samples.
  const double omega = 2.0 * kPi * 50.0 / kFs;
  const double chord = (1.0 + 25.0 * h_v) * omega / (8.0 * (1.0 - 5.0 * h_v));
  check_close(m.frequency_hz, 50.0,
              frequency_tolerance_hz(50.0, kFs, vch.amplitude_codes * (1.0 - 5.0 * h_v), chord),
              "frequency_hz");
}

BOOST_AUTO_TEST_CASE(dc_offsets_are_removed) {
  Bench b(test_config(), 50.0);
  const double v = 230.0, i = 20.0, phi_deg = -40.0;
  set_phase(b.gen, 0, v, 0.0, i, phi_deg);
  set_phase(b.gen, 1, v, -120.0, i, -120.0 + phi_deg);
  // Front-end bias errors far beyond any real part's, and different on every channel.
  const double offsets[hal::kAdcChannels] = {3000.0, -2500.0, 1200.0, -4000.0, 3500.0, 900.0};
  for (int ch = 0; ch < hal::kAdcChannels; ++ch) b.gen.channel[ch].offset_codes = offsets[ch];
  const Measurements m = b.settled();
  for (int p = 0; p < 2; ++p) {
    BOOST_TEST_CONTEXT("phase " << p + 1) {
      check_close(m.phase[p].voltage_v, v, rms_tolerance(kGainV, v), "voltage_v");
      check_close(m.phase[p].current_a, i, rms_tolerance(kGainI, i), "current_a");
      check_close(m.phase[p].power_w, v * i * std::cos(deg_to_rad(phi_deg)),
                  power_tolerance(kGainV, kGainI, v, i), "power_w");
      check_close(m.phase[p].reactive_var, v * i * std::sin(deg_to_rad(-phi_deg)),
                  power_tolerance(kGainV, kGainI, v, i, 0.71), "reactive_var");
    }
  }
  // Phase 3: an offset and nothing else reads as nothing.
  BOOST_TEST(m.phase[2].voltage_v <= rms_tolerance(kGainV, 0.0));
  BOOST_TEST(m.phase[2].current_a <= rms_tolerance(kGainI, 0.0));
  BOOST_TEST(std::fabs(m.phase[2].power_w) <= kGainV * kGainI * 0.25);
}

BOOST_AUTO_TEST_CASE(dc_step_beyond_the_crossing_level_recovers) {
  Bench b(test_config(), 50.0);
  const double v = 100.0, i = 10.0;
  set_phase(b.gen, 0, v, 0.0, i, 0.0);
  b.settled();
  // 9000 codes puts the whole waveform (7071 codes peak) above the old crossing level.
  b.gen.channel[hal::kV1].offset_codes = 9000.0;
  const auto w = b.run_windows(6);
  const Measurements& m = w.back();
  BOOST_TEST(m.synchronised);
  check_close(m.frequency_hz, 50.0,
              frequency_tolerance_hz(50.0, kFs, v * kSqrt2 / kGainV, sine_chord_samples(50.0, kFs)),
              "frequency_hz");
  check_close(m.phase[0].voltage_v, v, rms_tolerance(kGainV, v), "voltage_v");
  check_close(m.phase[0].power_w, v * i, power_tolerance(kGainV, kGainI, v, i), "power_w");
}

BOOST_AUTO_TEST_CASE(ct_lead_makes_a_resistive_load_look_capacitive) {
  // The sign the compensation must undo: uncompensated, a CT that leads by d reports
  // P = S cos d and Q = -S sin d for a resistive load.
  Bench b(test_config(), 50.0);
  const double v = 230.0, i = 25.0, lead_deg = 2.0;
  set_phase(b.gen, 0, v, 0.0, i, lead_deg);
  const Measurements m = b.settled();
  const double s = v * i;
  check_close(m.phase[0].power_w, s * std::cos(deg_to_rad(lead_deg)),
              power_tolerance(kGainV, kGainI, v, i), "power_w");
  check_close(m.phase[0].reactive_var, -s * std::sin(deg_to_rad(lead_deg)),
              power_tolerance(kGainV, kGainI, v, i, 0.71), "reactive_var");
  BOOST_TEST(m.phase[0].reactive_var < 0.0f);
}

// Feeds a current that leads its true value by the CT's lead at the signal's frequency, with the
// lead at nominal frequency configured: P, Q and the angle come out as for an ideal CT.
void check_ct_compensation(double nominal_hz, double frequency_hz, double lead_at_nominal_deg) {
  auto config = test_config(static_cast<float>(nominal_hz));
  for (auto& c : config.current) c.phase_deg = static_cast<float>(lead_at_nominal_deg);
  Bench b(config, frequency_hz);
  const double v = 230.0, i = 25.0;
  const double lead_deg = lead_at_nominal_deg * nominal_hz / frequency_hz;
  const double true_deg[kPhases] = {0.0, -60.0, 30.0};  // current relative to its voltage
  for (int p = 0; p < kPhases; ++p) {
    set_phase(b.gen, p, v, -120.0 * p, i, -120.0 * p + true_deg[p] + lead_deg);
  }
  const Measurements m = b.settled();
  const double s = v * i;
  const double p_tol = power_tolerance(kGainV, kGainI, v, i);
  const double q_tol = power_tolerance(kGainV, kGainI, v, i, 0.71);
  for (int p = 0; p < kPhases; ++p) {
    BOOST_TEST_CONTEXT("phase " << p + 1) {
      const double phi = deg_to_rad(-true_deg[p]);
      check_close(m.phase[p].power_w, s * std::cos(phi), p_tol, "power_w");
      check_close(m.phase[p].reactive_var, s * std::sin(phi), q_tol, "reactive_var");
      check_angle_close(m.phase[p].current_angle_deg, normalise_deg(-120.0 * p + true_deg[p]),
                        angle_tolerance_deg(v / kGainV, i / kGainI), "current_angle_deg");
    }
  }
}

BOOST_AUTO_TEST_CASE(ct_phase_compensation_removes_the_lead) {
  check_ct_compensation(50.0, 50.0, 2.0);
}

BOOST_AUTO_TEST_CASE(ct_phase_compensation_scales_inversely_with_frequency) {
  // Configured at 50 Hz, running at 60 Hz: the lead is 5/6 of the configured one. Not scaling
  // would leave Q off by S sin(d / 6), far outside the tolerance.
  const double s = 230.0 * 25.0;
  BOOST_TEST_REQUIRE(s * std::sin(deg_to_rad(2.0 / 6.0)) >
                     10.0 * power_tolerance(kGainV, kGainI, 230.0, 25.0, 0.71));
  check_ct_compensation(50.0, 60.0, 2.0);
}

BOOST_AUTO_TEST_CASE(energy_is_power_times_time) {
  Bench b(test_config(), 50.0);
  const double v = 230.0, i = 10.0;
  const double phi = std::acos(0.8);
  set_phase(b.gen, 0, v, 0.0, i, -phi * 180.0 / kPi);
  b.settled();
  const std::int64_t e0 = b.meter.latest().phase[0].energy_import_mj;
  const auto w = b.run_windows(100);
  const std::int64_t e1 = w.back().phase[0].energy_import_mj;

  // 50 Hz at 6.4 kHz repeats every 128 samples: every crossing falls at the same fraction of a
  // sample and every window lasts exactly 10 cycles, 0.2 s.
  double reported_mj = 0.0;
  double rounding_mj = 1.0;  // the register's whole-mJ granularity
  for (const auto& m : w) {
    BOOST_REQUIRE(m.synchronised);
    reported_mj += m.phase[0].power_w * 0.2 * 1000.0;
    rounding_mj += std::fabs(m.phase[0].power_w) * 0.2 * 1000.0 * std::ldexp(1.0, -24);
  }
  // Counted energy is the sum of the windows' P x T: nothing lost between windows.
  check_close(static_cast<double>(e1 - e0), reported_mj, rounding_mj, "energy vs reported power");
  // And the closed form: P = V I cos(phi) over 20 s.
  const double p = v * i * 0.8;
  check_close(static_cast<double>(e1 - e0), p * 20.0 * 1000.0,
              power_tolerance(kGainV, kGainI, v, i) * 20.0 * 1000.0 + 1.0, "energy vs closed form");
  BOOST_TEST(w.back().phase[0].energy_export_mj == 0);
}

BOOST_AUTO_TEST_CASE(energy_splits_into_import_and_export) {
  Bench b(test_config(), 50.0);
  const double v = 230.0, i = 8.0;
  set_phase(b.gen, 0, v, 0.0, i, 0.0);
  b.settled();
  b.run_windows(20);
  // Reverse the current: generation exports the same power.
  b.gen.channel[hal::kI1].phase_deg = 180.0;
  b.run_windows(3);  // one window straddles the reversal; the next may start off a crossing
  const Measurements before = b.run_windows(1).back();
  BOOST_REQUIRE(before.synchronised);
  const auto w = b.run_windows(50);
  const Measurements& after = w.back();
  const double p = v * i;
  check_close(after.phase[0].power_w, -p, power_tolerance(kGainV, kGainI, v, i), "power_w");
  BOOST_TEST(after.phase[0].power_factor < -0.99f);
  BOOST_TEST(after.phase[0].energy_import_mj == before.phase[0].energy_import_mj);
  check_close(
      static_cast<double>(after.phase[0].energy_export_mj - before.phase[0].energy_export_mj),
      p * 50 * 0.2 * 1000.0, power_tolerance(kGainV, kGainI, v, i) * 50 * 0.2 * 1000.0 + 1.0,
      "export mJ");
}

BOOST_AUTO_TEST_CASE(tiny_power_loses_no_energy) {
  // 3 mW is 0.6 mJ per 0.2 s window: a register that dropped each window's fraction of a mJ
  // would never count. Codes stay large; the current gain makes the power tiny.
  const double v = 230.0, i = 3e-3 / 230.0;
  const double i_codes_peak = 10000.0;
  const double gain_i = i * kSqrt2 / i_codes_peak;
  auto config = test_config();
  config.current[0].gain = static_cast<float>(gain_i);
  Bench b(config, 50.0);
  set_phase(b.gen, 0, v, 0.0, i, 0.0, kGainV, gain_i);
  b.settled();
  const std::int64_t e0 = b.meter.latest().phase[0].energy_import_mj;
  b.run_windows(1000);
  const std::int64_t e1 = b.meter.latest().phase[0].energy_import_mj;
  const double expected_mj = v * i * 1000 * 0.2 * 1000.0;  // 200 s
  check_close(static_cast<double>(e1 - e0), expected_mj,
              power_tolerance(kGainV, gain_i, v, i) * 200.0 * 1000.0 + 1.0, "energy mJ");
}

BOOST_AUTO_TEST_CASE(without_voltage_windows_free_run_at_nominal_length) {
  Bench b(test_config(), 50.0);
  set_phase(b.gen, 0, 0.0, 0.0, 10.0, 0.0);
  set_phase(b.gen, 1, 0.0, 0.0, 5.0, -120.0);
  const auto w = b.run_windows(5);
  for (std::size_t k = 0; k < w.size(); ++k) {
    BOOST_TEST(!w[k].synchronised);
    BOOST_TEST(w[k].frequency_hz == 0.0f);
    BOOST_TEST(w[k].window_end_sample == 1280u * (k + 1));
  }
  // 1280 samples are 10 whole cycles of 50 Hz: the current is still exact.
  const Measurements& m = w.back();
  check_close(m.phase[0].current_a, 10.0, rms_tolerance(kGainI, 10.0), "I1");
  check_close(m.phase[1].current_a, 5.0, rms_tolerance(kGainI, 5.0), "I2");
  BOOST_TEST(m.phase[0].voltage_v == 0.0f);
  BOOST_TEST(m.phase[0].power_w == 0.0f);
  BOOST_TEST(m.phase[0].power_factor == 0.0f);
}

BOOST_AUTO_TEST_CASE(synchronises_on_l2_when_l1_is_not_wired) {
  Bench b(test_config(), 50.5);
  set_phase(b.gen, 0, 0.0, 0.0, 10.0, 0.0);
  set_phase(b.gen, 1, 230.0, -120.0, 10.0, -150.0);
  const Measurements m = b.settled();
  BOOST_TEST(m.synchronised);
  check_close(
      m.frequency_hz, 50.5,
      frequency_tolerance_hz(50.5, kFs, 230.0 * kSqrt2 / kGainV, sine_chord_samples(50.5, kFs)),
      "frequency_hz");
  check_close(m.phase[1].voltage_v, 230.0, rms_tolerance(kGainV, 230.0), "V2");
  check_close(m.phase[1].power_w, 2300.0 * std::cos(deg_to_rad(30.0)),
              power_tolerance(kGainV, kGainI, 230.0, 10.0), "P2");
}

BOOST_AUTO_TEST_CASE(restart_clears_measurements_and_keeps_energy) {
  Bench b(test_config(), 50.0);
  const double v = 230.0, i = 10.0;
  set_phase(b.gen, 0, v, 0.0, i, 0.0);
  b.settled();
  b.run_windows(10);
  const std::int64_t e_before = b.meter.latest().phase[0].energy_import_mj;
  BOOST_REQUIRE(e_before > 0);

  b.meter.restart();
  const Measurements& cleared = b.meter.latest();
  BOOST_TEST(cleared.window_count == 0u);
  BOOST_TEST(cleared.phase[0].voltage_v == 0.0f);
  BOOST_TEST(cleared.phase[0].power_w == 0.0f);
  BOOST_TEST(!cleared.synchronised);
  BOOST_TEST(cleared.phase[0].energy_import_mj == e_before);

  const auto w = b.run_windows(3);
  BOOST_TEST(w[0].window_count == 1u);
  BOOST_TEST(!w[0].synchronised);
  BOOST_TEST(w[2].synchronised);
  BOOST_TEST(w[0].phase[0].energy_import_mj >= e_before);
  const std::int64_t e0 = w.back().phase[0].energy_import_mj;
  b.run_windows(10);
  check_close(static_cast<double>(b.meter.latest().phase[0].energy_import_mj - e0),
              v * i * 2.0 * 1000.0, power_tolerance(kGainV, kGainI, v, i) * 2.0 * 1000.0 + 1.0,
              "energy after restart");
}

BOOST_AUTO_TEST_CASE(results_do_not_depend_on_how_the_stream_is_cut) {
  SignalGenerator gen(49.3, kFs);
  set_phase(gen, 0, 230.0, 0.0, 10.0, -30.0);
  set_phase(gen, 1, 225.0, -120.0, 4.0, -100.0);
  set_phase(gen, 2, 235.0, 120.0, 7.0, 150.0);
  const auto stream = gen.frames(6 * 1280 + 77);
  const std::size_t frames = stream.size() / hal::kAdcChannels;

  auto run = [&](std::size_t chunk) {
    Metering meter;
    BOOST_REQUIRE(meter.configure(test_config()) == Status::ok);
    for (std::size_t k = 0; k < frames; k += chunk) {
      const std::size_t n = std::min(chunk, frames - k);
      meter.process(
          Span<const hal::AdcCode>(stream.data() + k * hal::kAdcChannels, n * hal::kAdcChannels));
    }
    return meter.latest();
  };
  const Measurements reference = run(64);
  BOOST_REQUIRE(reference.window_count >= 5u);
  BOOST_REQUIRE(reference.synchronised);
  for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{256}, frames}) {
    BOOST_TEST_CONTEXT("chunk " << chunk) {
      const Measurements m = run(chunk);
      BOOST_TEST(m.window_count == reference.window_count);
      BOOST_TEST(m.window_end_sample == reference.window_end_sample);
      BOOST_TEST(m.frequency_hz == reference.frequency_hz);
      for (int p = 0; p < kPhases; ++p) {
        BOOST_TEST(m.phase[p].voltage_v == reference.phase[p].voltage_v);
        BOOST_TEST(m.phase[p].current_a == reference.phase[p].current_a);
        BOOST_TEST(m.phase[p].power_w == reference.phase[p].power_w);
        BOOST_TEST(m.phase[p].reactive_var == reference.phase[p].reactive_var);
        BOOST_TEST(m.phase[p].current_angle_deg == reference.phase[p].current_angle_deg);
        BOOST_TEST(m.phase[p].energy_import_mj == reference.phase[p].energy_import_mj);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(configure_rejects_a_scheme_that_is_not_a_permutation) {
  Metering meter;
  BOOST_TEST(meter.configure(with_scheme(test_config(), 0, 0, 2)) == Status::invalid_argument);
  BOOST_TEST(meter.configure(with_scheme(test_config(), 1, 1, 1)) == Status::invalid_argument);
  BOOST_TEST(meter.configure(with_scheme(test_config(), 0, 1, 3)) == Status::invalid_argument);
  BOOST_TEST(meter.configure(with_scheme(test_config(), 2, 0, 1, true, false, true)) == Status::ok);
  BOOST_TEST(meter.configure(test_config()) == Status::ok);
}

// CT inputs 1 and 2 swapped: input 1 is clamped on L2, input 2 on L1.
void wire_l1_l2_swapped(SignalGenerator& g) {
  set_voltages(g, kLoads);
  set_input(g, 0, kLoads[1]);
  set_input(g, 1, kLoads[0]);
  set_input(g, 2, kLoads[2]);
}

BOOST_AUTO_TEST_CASE(swapped_inputs_with_the_matching_scheme_measure_each_phase) {
  Bench b(with_scheme(test_config(), 1, 0, 2), 50.0);
  wire_l1_l2_swapped(b.gen);
  const Measurements m = b.settled();
  for (int p = 0; p < kPhases; ++p) {
    BOOST_TEST_CONTEXT("phase " << p + 1) { check_phase(m.phase[p], kLoads[p]); }
  }
  double total_w = 0.0, total_tolerance_w = 0.0;
  for (const PhaseLoad& l : kLoads) {
    total_w += l.voltage_v * l.current_a * std::cos(deg_to_rad(l.voltage_deg - l.current_deg));
    total_tolerance_w += power_tolerance(kGainV, kGainI, l.voltage_v, l.current_a);
  }
  check_close(m.total_power_w, total_w, total_tolerance_w, "total_power_w");
}

BOOST_AUTO_TEST_CASE(swapped_inputs_without_the_scheme_pair_each_voltage_with_the_wrong_current) {
  // The same wiring under the identity scheme: V1 is paired with L2's current and V2 with L1's,
  // which the angles and powers show.
  Bench b(test_config(), 50.0);
  wire_l1_l2_swapped(b.gen);
  const Measurements m = b.settled();
  BOOST_TEST_CONTEXT("phase 1") {
    check_phase(m.phase[0], 230.0, 0.0, kLoads[1].current_a, kLoads[1].current_deg);
  }
  BOOST_TEST_CONTEXT("phase 2") {
    check_phase(m.phase[1], 230.0, -120.0, kLoads[0].current_a, kLoads[0].current_deg);
  }
  BOOST_TEST_CONTEXT("phase 3") { check_phase(m.phase[2], kLoads[2]); }
  // V1 against L2's current (100 deg behind it) reads as export.
  BOOST_TEST(m.phase[0].power_w < 0.0f);
}

BOOST_AUTO_TEST_CASE(inverted_input_with_the_matching_scheme_reads_import) {
  // Input 2 clamped backwards on L2; the load imports on every phase.
  Bench b(with_scheme(test_config(), 0, 1, 2, false, true, false), 50.0);
  set_voltages(b.gen, kLoads);
  set_input(b.gen, 0, kLoads[0]);
  set_input(b.gen, 1, kLoads[1], true);
  set_input(b.gen, 2, kLoads[2]);
  const Measurements m = b.settled();
  for (int p = 0; p < kPhases; ++p) {
    BOOST_TEST_CONTEXT("phase " << p + 1) { check_phase(m.phase[p], kLoads[p]); }
  }
  BOOST_TEST(m.phase[1].power_w > 0.0f);
  BOOST_TEST(m.phase[1].power_factor > 0.0f);
  BOOST_TEST(m.phase[1].energy_import_mj > 0);
  BOOST_TEST(m.phase[1].energy_export_mj == 0);
}

BOOST_AUTO_TEST_CASE(inverted_input_without_the_scheme_reads_export) {
  Bench b(test_config(), 50.0);
  set_voltages(b.gen, kLoads);
  set_input(b.gen, 0, kLoads[0]);
  set_input(b.gen, 1, kLoads[1], true);
  set_input(b.gen, 2, kLoads[2]);
  const Measurements m = b.settled();
  BOOST_TEST_CONTEXT("phase 2") {
    check_phase(m.phase[1], 230.0, -120.0, kLoads[1].current_a, kLoads[1].current_deg + 180.0);
  }
  BOOST_TEST(m.phase[1].power_w < 0.0f);
  BOOST_TEST(m.phase[1].energy_import_mj == 0);
  BOOST_TEST(m.phase[1].energy_export_mj > 0);
}

BOOST_AUTO_TEST_CASE(cyclically_rotated_inputs_with_the_matching_scheme) {
  // Input 1 on L2, input 2 on L3 (clamped backwards), input 3 on L1.
  const auto wire = [](SignalGenerator& g) {
    set_voltages(g, kLoads);
    set_input(g, 0, kLoads[1]);
    set_input(g, 1, kLoads[2], true);
    set_input(g, 2, kLoads[0]);
  };
  {
    Bench b(with_scheme(test_config(), 1, 2, 0, false, true, false), 50.0);
    wire(b.gen);
    const Measurements m = b.settled();
    for (int p = 0; p < kPhases; ++p) {
      BOOST_TEST_CONTEXT("phase " << p + 1) { check_phase(m.phase[p], kLoads[p]); }
    }
  }
  {
    // The same wiring under the identity scheme: V_p paired with input p as it is wired.
    Bench b(test_config(), 50.0);
    wire(b.gen);
    const Measurements m = b.settled();
    BOOST_TEST_CONTEXT("identity, phase 1") {
      check_phase(m.phase[0], 230.0, 0.0, kLoads[1].current_a, kLoads[1].current_deg);
    }
    BOOST_TEST_CONTEXT("identity, phase 2") {
      check_phase(m.phase[1], 230.0, -120.0, kLoads[2].current_a, kLoads[2].current_deg + 180.0);
    }
    BOOST_TEST_CONTEXT("identity, phase 3") {
      check_phase(m.phase[2], 230.0, 120.0, kLoads[0].current_a, kLoads[0].current_deg);
    }
  }
}

BOOST_AUTO_TEST_CASE(calibration_follows_the_input_not_the_phase) {
  // Input 1 (on L2) has twice input 2's gain and no lead; input 2 (on L1) leads by 2 deg. Applied
  // to the phase instead of the input, the gains would read L1 and L2 at half and twice their
  // currents, and the lead would turn L1 and L2 by 2 deg the wrong way.
  const double gain[kPhases] = {2.0 * kGainI, kGainI, kGainI};
  const double lead_deg[kPhases] = {0.0, 2.0, 0.0};
  auto config = with_scheme(test_config(), 1, 0, 2);
  for (int k = 0; k < kPhases; ++k) {
    config.current[k].gain = static_cast<float>(gain[k]);
    config.current[k].phase_deg = static_cast<float>(lead_deg[k]);
  }
  const double s = kLoads[0].voltage_v * kLoads[0].current_a;
  BOOST_TEST_REQUIRE(s * std::sin(deg_to_rad(2.0)) >
                     10.0 * power_tolerance(kGainV, kGainI, 230.0, kLoads[0].current_a, 0.71));
  Bench b(config, 50.0);
  set_voltages(b.gen, kLoads);
  set_input(b.gen, 0, kLoads[1], false, gain[0], lead_deg[0]);
  set_input(b.gen, 1, kLoads[0], false, gain[1], lead_deg[1]);
  set_input(b.gen, 2, kLoads[2], false, gain[2], lead_deg[2]);
  const Measurements m = b.settled();
  BOOST_TEST_CONTEXT("phase 1") { check_phase(m.phase[0], kLoads[0], gain[1]); }
  BOOST_TEST_CONTEXT("phase 2") { check_phase(m.phase[1], kLoads[1], gain[0]); }
  BOOST_TEST_CONTEXT("phase 3") { check_phase(m.phase[2], kLoads[2], gain[2]); }
}

// IT, L1 L2 L3 wired (with generation) or L1 L2 only (the standard installation without).
constexpr bool kAllWired[kPhases] = {true, true, true};
constexpr bool kL1L2Wired[kPhases] = {true, true, false};

BOOST_AUTO_TEST_CASE(it_three_lines_report_line_to_line_and_power_against_the_star) {
  // 230 V between lines (132.79 V star), 10 A per line at PF 0.9 lagging its star voltage.
  Bench b(it_config(), 50.0);
  const double line_v = 230.0, star_v = line_v / std::sqrt(3.0), i = 10.0;
  const double lag_deg = std::acos(0.9) * 180.0 / kPi;  // 25.84
  set_it_voltages(b.gen, line_v, kAllWired);
  // Star voltages relative to U12: -30, -150, +90.
  for (int k = 0; k < kPhases; ++k) {
    b.gen.channel[hal::kI1 + k].amplitude_codes = i * kSqrt2 / kGainI;
    b.gen.channel[hal::kI1 + k].phase_deg = -30.0 - 120.0 * k - lag_deg;
  }
  const Measurements m = b.settled();
  BOOST_TEST(m.synchronised);
  check_close(
      m.frequency_hz, 50.0,
      frequency_tolerance_hz(50.0, kFs, star_v * kSqrt2 / kGainV, sine_chord_samples(50.0, kFs)),
      "frequency_hz");
  const double line_deg[kPhases] = {0.0, -120.0, 120.0};
  double total_tolerance_w = 0.0;
  for (int p = 0; p < kPhases; ++p) {
    BOOST_TEST_CONTEXT("phase " << p + 1) {
      const PhaseMeasurement& r = m.phase[p];
      check_close(r.voltage_v, line_v, line_rms_tolerance(line_v), "voltage_v (line-to-line)");
      check_close(r.current_a, i, rms_tolerance(kGainI, i), "current_a");
      const double p_tol = power_tolerance(kGainV, kGainI, star_v, i);
      check_close(r.power_w, star_v * i * 0.9, p_tol, "power_w");
      check_close(r.reactive_var, star_v * i * std::sin(deg_to_rad(lag_deg)),
                  power_tolerance(kGainV, kGainI, star_v, i, 0.71), "reactive_var");
      const double s_tol = i * rms_tolerance(kGainV, star_v) + star_v * rms_tolerance(kGainI, i);
      check_close(r.apparent_va, star_v * i, s_tol, "apparent_va (star voltage)");
      check_close(r.power_factor, 0.9, (p_tol + s_tol) / (star_v * i), "power_factor");
      check_angle_close(r.voltage_angle_deg, line_deg[p], line_angle_tolerance_deg(line_v),
                        "voltage_angle_deg");
      check_angle_close(r.current_angle_deg, normalise_deg(-30.0 - 120.0 * p - lag_deg),
                        current_vs_line_tolerance_deg(line_v, i), "current_angle_deg");
      total_tolerance_w += p_tol;
    }
  }
  check_close(m.total_power_w, std::sqrt(3.0) * line_v * i * 0.9, total_tolerance_w,
              "total_power_w");
  BOOST_TEST(m.phase[0].voltage_angle_deg == 0.0f);  // the reference itself
}

BOOST_AUTO_TEST_CASE(it_line_to_line_rms_includes_harmonics) {
  // A 5th harmonic of 12 % on every line (a negative-sequence harmonic: 5 x -120 = +120 deg per
  // line) is in each line-to-line voltage too: RMS = 230 sqrt(1 + 0.12^2), not 230.
  Bench b(it_config(), 50.0);
  const double line_v = 230.0, h = 0.12;
  set_it_voltages(b.gen, line_v, kAllWired);
  for (int k = 0; k < kPhases; ++k) {
    auto& c = b.gen.channel[hal::kV1 + k];
    c.harmonic_order = 5;
    c.harmonic_amplitude_codes = h * c.amplitude_codes;
    c.harmonic_phase_deg = 5.0 * c.phase_deg;
  }
  b.gen.channel[hal::kI1].amplitude_codes = 10.0 * kSqrt2 / kGainI;
  const Measurements m = b.settled();
  const double expected = line_v * std::sqrt(1.0 + h * h);
  for (int p = 0; p < kPhases; ++p) {
    BOOST_TEST_CONTEXT("phase " << p + 1) {
      check_close(m.phase[p].voltage_v, expected, line_rms_tolerance(expected), "voltage_v");
    }
  }
}

BOOST_AUTO_TEST_CASE(it_l1_l2_only_derives_the_star_voltages_assuming_symmetry) {
  // ch1 = U12 / 2, ch2 = -U12 / 2, ch3 = 0: U23 and U31 cannot be measured and read 0; power
  // per line is against V* = U12 / sqrt(3) at -30 deg, -150 deg, +90 deg (fundamental only).
  Bench b(it_config(), 50.0);
  const double line_v = 230.0, star_v = line_v / std::sqrt(3.0), i = 10.0;
  const double lag_deg = std::acos(0.9) * 180.0 / kPi;
  set_it_voltages(b.gen, line_v, kL1L2Wired);
  BOOST_REQUIRE(b.gen.channel[hal::kV3].amplitude_codes == 0.0);
  BOOST_REQUIRE(
      std::fabs(b.gen.channel[hal::kV1].amplitude_codes - 0.5 * line_v * kSqrt2 / kGainV) < 1e-9);
  for (int k = 0; k < kPhases; ++k) {
    b.gen.channel[hal::kI1 + k].amplitude_codes = i * kSqrt2 / kGainI;
    b.gen.channel[hal::kI1 + k].phase_deg = -30.0 - 120.0 * k - lag_deg;
  }
  const Measurements m = b.settled();
  BOOST_TEST(m.synchronised);
  check_close(m.phase[0].voltage_v, line_v, line_rms_tolerance(line_v), "U12");
  BOOST_TEST(m.phase[1].voltage_v == 0.0f);  // not measured
  BOOST_TEST(m.phase[2].voltage_v == 0.0f);
  BOOST_TEST(m.phase[1].voltage_angle_deg == 0.0f);
  BOOST_TEST(m.phase[2].voltage_angle_deg == 0.0f);
  double total_tolerance_w = 0.0;
  for (int p = 0; p < kPhases; ++p) {
    BOOST_TEST_CONTEXT("phase " << p + 1) {
      const PhaseMeasurement& r = m.phase[p];
      const double p_tol = derived_power_tolerance(star_v, i);
      check_close(r.current_a, i, rms_tolerance(kGainI, i), "current_a");
      check_close(r.power_w, star_v * i * 0.9, p_tol, "power_w");
      check_close(r.reactive_var, star_v * i * std::sin(deg_to_rad(lag_deg)), p_tol,
                  "reactive_var");
      // |V*| is off by at most 0.82 code.
      const double s_tol =
          i * (0.82 * kGainV + test::kModel * star_v) + star_v * rms_tolerance(kGainI, i);
      check_close(r.apparent_va, star_v * i, s_tol, "apparent_va");
      check_close(r.power_factor, 0.9, (p_tol + s_tol) / (star_v * i), "power_factor");
      check_angle_close(r.current_angle_deg, normalise_deg(-30.0 - 120.0 * p - lag_deg),
                        current_vs_line_tolerance_deg(line_v, i), "current_angle_deg");
      total_tolerance_w += p_tol;
    }
  }
  check_close(m.total_power_w, std::sqrt(3.0) * line_v * i * 0.9, total_tolerance_w,
              "total_power_w");
}

// A load between L1 and L2 only (a 230 V heater on an IT network): i1 = -i2, i3 = 0, in phase with
// U12. Whatever the voltage wiring, the meter must count U12 I = 2300 W.
BOOST_DATA_TEST_CASE(it_a_line_to_line_load_counts_u12_times_i,
                     boost::unit_test::data::make({false, true}), l1_l2_only) {
  Bench b(it_config(), 50.0);
  const double line_v = 230.0, star_v = line_v / std::sqrt(3.0), i = 10.0;
  set_it_voltages(b.gen, line_v, l1_l2_only ? kL1L2Wired : kAllWired);
  b.gen.channel[hal::kI1].amplitude_codes = i * kSqrt2 / kGainI;
  b.gen.channel[hal::kI1].phase_deg = 0.0;
  b.gen.channel[hal::kI2].amplitude_codes = i * kSqrt2 / kGainI;
  b.gen.channel[hal::kI2].phase_deg = 180.0;
  const Measurements m = b.settled();
  const double p_tol =
      l1_l2_only ? derived_power_tolerance(star_v, i) : power_tolerance(kGainV, kGainI, star_v, i);
  // Each line sees its current 30 deg off its star voltage: half the power each.
  check_close(m.phase[0].power_w, star_v * i * std::cos(deg_to_rad(30.0)), p_tol, "P1");
  check_close(m.phase[1].power_w, star_v * i * std::cos(deg_to_rad(30.0)), p_tol, "P2");
  BOOST_TEST(std::fabs(m.phase[2].power_w) <= p_tol);
  check_close(m.total_power_w, line_v * i, 3.0 * p_tol, "total_power_w");
  check_close(m.phase[0].voltage_v, line_v, line_rms_tolerance(line_v), "U12");
}

// The two-wattmeter identity: for any line currents with I1 + I2 + I3 = 0 (no neutral), the total
// is Re(U13 conj(I1)) + Re(U23 conj(I2)), computed here in closed form from the source.
BOOST_DATA_TEST_CASE(it_total_power_is_the_two_wattmeter_result,
                     boost::unit_test::data::make({false, true}), l1_l2_only) {
  Bench b(it_config(), 50.0);
  const double line_v = 230.0, star_v = line_v / std::sqrt(3.0);
  set_it_voltages(b.gen, line_v, l1_l2_only ? kL1L2Wired : kAllWired);
  // Unbalanced: I1 = 14 A at -50 deg, I2 = 6 A at -160 deg (relative to U12), I3 closes the sum.
  const std::complex<double> i1 = std::polar(14.0, deg_to_rad(-50.0));
  const std::complex<double> i2 = std::polar(6.0, deg_to_rad(-160.0));
  const std::complex<double> currents[kPhases] = {i1, i2, -i1 - i2};
  for (int k = 0; k < kPhases; ++k) {
    b.gen.channel[hal::kI1 + k].amplitude_codes = std::abs(currents[k]) * kSqrt2 / kGainI;
    b.gen.channel[hal::kI1 + k].phase_deg = std::arg(currents[k]) * 180.0 / kPi;
  }
  const Measurements m = b.settled();
  // The source's line voltages: U12 at 0, U23 at -120, U31 at +120; U13 = -U31.
  const std::complex<double> u13 = -std::polar(line_v, deg_to_rad(120.0));
  const std::complex<double> u23 = std::polar(line_v, deg_to_rad(-120.0));
  const double two_wattmeter_w = (u13 * std::conj(i1)).real() + (u23 * std::conj(i2)).real();
  double tolerance_w = 0.0;
  for (int k = 0; k < kPhases; ++k) {
    const double a = std::abs(currents[k]);
    tolerance_w += l1_l2_only ? derived_power_tolerance(star_v, a)
                              : power_tolerance(kGainV, kGainI, star_v, a);
  }
  BOOST_TEST_REQUIRE(std::fabs(two_wattmeter_w) > 100.0 * tolerance_w);
  check_close(m.total_power_w, two_wattmeter_w, tolerance_w, "total_power_w");
}

BOOST_AUTO_TEST_CASE(it_energy_registers_count_the_star_power) {
  Bench b(it_config(), 50.0);
  const double line_v = 230.0, star_v = line_v / std::sqrt(3.0), i = 10.0;
  set_it_voltages(b.gen, line_v, kL1L2Wired);
  for (int k = 0; k < kPhases; ++k) {
    b.gen.channel[hal::kI1 + k].amplitude_codes = i * kSqrt2 / kGainI;
    b.gen.channel[hal::kI1 + k].phase_deg = -30.0 - 120.0 * k;
  }
  b.settled();
  const std::int64_t e0 = b.meter.latest().phase[1].energy_import_mj;
  b.run_windows(10);  // 2 s
  check_close(static_cast<double>(b.meter.latest().phase[1].energy_import_mj - e0),
              star_v * i * 2.0 * 1000.0, derived_power_tolerance(star_v, i) * 2.0 * 1000.0 + 1.0,
              "L2 energy mJ");
}

BOOST_AUTO_TEST_CASE(it_ct_phase_compensation_applies_in_both_wirings) {
  for (bool l1_l2_only : {false, true}) {
    BOOST_TEST_CONTEXT((l1_l2_only ? "L1 L2 only" : "three lines")) {
      auto config = it_config();
      for (auto& c : config.current) c.phase_deg = 2.0f;
      Bench b(config, 50.0);
      const double line_v = 230.0, star_v = line_v / std::sqrt(3.0), i = 25.0;
      set_it_voltages(b.gen, line_v, l1_l2_only ? kL1L2Wired : kAllWired);
      for (int k = 0; k < kPhases; ++k) {
        // Resistive loads seen through CTs that lead by 2 deg.
        b.gen.channel[hal::kI1 + k].amplitude_codes = i * kSqrt2 / kGainI;
        b.gen.channel[hal::kI1 + k].phase_deg = -30.0 - 120.0 * k + 2.0;
      }
      const Measurements m = b.settled();
      const double tol = l1_l2_only ? derived_power_tolerance(star_v, i)
                                    : power_tolerance(kGainV, kGainI, star_v, i, 0.71);
      BOOST_TEST_REQUIRE(star_v * i * std::sin(deg_to_rad(2.0)) > 10.0 * tol);
      for (int p = 0; p < kPhases; ++p) {
        BOOST_TEST_CONTEXT("phase " << p + 1) {
          check_close(m.phase[p].power_w, star_v * i, tol, "power_w");
          check_close(m.phase[p].reactive_var, 0.0, tol, "reactive_var");
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(it_without_l1_the_other_pair_is_measured_but_angles_have_no_reference) {
  // L2 and L3 only: U23 is measured and the star voltages follow from it; U12 and U31 read 0, and
  // without U12 every angle is 0 (as every angle is without V1 on TN).
  Bench b(it_config(), 50.0);
  const double line_v = 230.0, star_v = line_v / std::sqrt(3.0), i = 10.0;
  set_it_voltages(b.gen, line_v, {false, true, true});
  for (int k = 0; k < kPhases; ++k) {
    b.gen.channel[hal::kI1 + k].amplitude_codes = i * kSqrt2 / kGainI;
    b.gen.channel[hal::kI1 + k].phase_deg = -30.0 - 120.0 * k;  // resistive
  }
  const Measurements m = b.settled();
  BOOST_TEST(m.phase[0].voltage_v == 0.0f);
  check_close(m.phase[1].voltage_v, line_v, line_rms_tolerance(line_v), "U23");
  BOOST_TEST(m.phase[2].voltage_v == 0.0f);
  for (int p = 0; p < kPhases; ++p) {
    BOOST_TEST_CONTEXT("phase " << p + 1) {
      BOOST_TEST(m.phase[p].voltage_angle_deg == 0.0f);
      BOOST_TEST(m.phase[p].current_angle_deg == 0.0f);
      check_close(m.phase[p].power_w, star_v * i, derived_power_tolerance(star_v, i), "power_w");
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace amprig::fw
