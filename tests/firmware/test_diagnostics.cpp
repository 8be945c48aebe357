// The wiring diagnostics on measurements built in closed form from an installation: which grid
// phase reaches each voltage input and each CT, in which direction, and what each phase's load
// draws. No ADC, no metering: the angles are exact, so every verdict follows from the rules alone.
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <complex>
#include <cstdint>
#include <ostream>
#include <string>

#include "diagnostics/diagnostics.h"
#include "synthetic.h"

namespace amprig::fw {

// ADL finds these in the enums' namespace; internal linkage keeps them out of other test files.
static std::ostream& operator<<(std::ostream& os, VoltageReason r) { return os << to_string(r); }
static std::ostream& operator<<(std::ostream& os, CurrentReason r) { return os << to_string(r); }

namespace {

constexpr std::uint64_t kWindowUs = 200'000;
// PF 0.5 lagging and PF 0.8 leading, as a current's angle from its voltage.
constexpr double kPf05LaggingDeg = -60.0;
const double kPf08LeadingDeg = std::acos(0.8) * 180.0 / test::kPi;
const double kPf08LaggingDeg = -kPf08LeadingDeg;
const double kPf09LaggingDeg = -std::acos(0.9) * 180.0 / test::kPi;

// What the device is wired to. Grid phases and inputs count from 0 (L1).
struct Installation {
  double mains_deg[kPhases] = {0.0, -120.0, 120.0};  // each grid phase's voltage angle
  double voltage_v = 230.0;
  int voltage_input[kPhases] = {0, 1, 2};  // grid phase on each voltage input; -1: not wired
  int ct_phase[kPhases] = {0, 1, 2};       // grid phase each CT is clamped on
  bool ct_reversed[kPhases] = {false, false, false};
  double current_a[kPhases] = {10.0, 10.0, 10.0};  // per grid phase
  // Per grid phase: the current's angle from its voltage (+ leading; 180 = export at PF 1).
  double load_deg[kPhases] = {0.0, 0.0, 0.0};
};

// Into (-180, 180], as the metering reports angles.
double wrap_deg(double deg) {
  const double r = std::remainder(deg, 360.0);
  return r <= -180.0 ? r + 360.0 : r;
}

// The metering's output with the default current scheme (output phase p is CT input p).
Measurements measure(const Installation& in) {
  Measurements m;
  const bool v1_wired = in.voltage_input[0] >= 0;
  // Angles are relative to V1; without it the metering reports them as 0.
  const double reference_deg = v1_wired ? in.mains_deg[in.voltage_input[0]] : 0.0;
  for (int p = 0; p < kPhases; ++p) {
    PhaseMeasurement& out = m.phase[p];
    const int vp = in.voltage_input[p];
    const double voltage_deg = vp >= 0 ? in.mains_deg[vp] : 0.0;
    const int g = in.ct_phase[p];
    const double current_deg = in.mains_deg[g] + in.load_deg[g] + (in.ct_reversed[p] ? 180.0 : 0.0);
    out.voltage_v = vp >= 0 ? static_cast<float>(in.voltage_v) : 0.0f;
    out.current_a = static_cast<float>(in.current_a[g]);
    if (v1_wired) {
      out.voltage_angle_deg = static_cast<float>(wrap_deg(voltage_deg - reference_deg));
      out.current_angle_deg = static_cast<float>(wrap_deg(current_deg - reference_deg));
    }
    const double phi_rad = test::deg_to_rad(current_deg - voltage_deg);
    out.power_w = static_cast<float>(out.voltage_v * out.current_a * std::cos(phi_rad));
    out.apparent_va = out.voltage_v * out.current_a;
    m.total_power_w += out.power_w;
  }
  m.frequency_hz = 50.0f;
  m.window_count = 1;
  m.synchronised = v1_wired;
  return m;
}

// Feeds one window every 200 ms, as the metering publishes them.
struct Bench {
  explicit Bench(const DiagnosticsConfig& config = {}) {
    diagnostics.configure(config);
    diagnostics.reset();
  }
  const Diagnosis& run(const Measurements& m, int windows, bool cartridge = true) {
    for (int k = 0; k < windows; ++k) step(m, cartridge);
    return diagnostics.diagnosis();
  }
  const Diagnosis& step(Measurements m, bool cartridge = true) {
    now_us += kWindowUs;
    ++window;
    m.window_count = window;
    diagnostics.update(m, cartridge, now_us);
    return diagnostics.diagnosis();
  }

  Diagnostics diagnostics;
  std::uint64_t now_us = 0;
  std::uint32_t window = 0;
};

// Long enough for any verdict to settle (1 s) from power-on.
constexpr int kSettleWindows = 7;

Diagnosis judged(const Installation& in, bool generation = false) {
  DiagnosticsConfig config;
  config.generation = generation;
  Bench bench(config);
  return bench.run(measure(in), kSettleWindows);
}

void check_cts(const Diagnosis& d, const int (&phase)[kPhases],
               const bool (&reversed)[kPhases] = {false, false, false}) {
  for (int k = 0; k < kPhases; ++k) {
    BOOST_TEST_CONTEXT("ct" << k + 1) {
      BOOST_TEST(d.ct[k].phase == phase[k]);
      BOOST_TEST(d.ct[k].reversed == reversed[k]);
      BOOST_TEST(!d.ct[k].low_current);
    }
  }
}

bool same_diagnosis(const Diagnosis& a, const Diagnosis& b) {
  if (a.voltage != b.voltage || a.current != b.current) return false;
  for (int p = 0; p < kPhases; ++p) {
    if (a.voltage_present[p] != b.voltage_present[p] || a.ct[p].phase != b.ct[p].phase ||
        a.ct[p].reversed != b.ct[p].reversed || a.ct[p].low_current != b.ct[p].low_current) {
      return false;
    }
  }
  return true;
}

constexpr int kPermutations[6][kPhases] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                           {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};

// The metering's output on an IT network (no neutral): per phase p the line-to-line voltage
// between voltage inputs p and p + 1 (U12, U23, U31; 0 when either is unwired), every angle
// relative to U12 (0 without it). `voltage_v` is the line-to-line voltage; each grid phase's star
// voltage is 1/sqrt(3) of it at mains_deg, and its load angle is taken from that star voltage.
Measurements measure_it(const Installation& in) {
  Measurements m;
  const double star_v = in.voltage_v / std::sqrt(3.0);
  std::complex<double> line[kPhases];
  bool measured[kPhases];
  for (int p = 0; p < kPhases; ++p) {
    const int a = in.voltage_input[p];
    const int b = in.voltage_input[(p + 1) % kPhases];
    measured[p] = a >= 0 && b >= 0;
    line[p] = measured[p] ? std::polar(star_v, test::deg_to_rad(in.mains_deg[a])) -
                                std::polar(star_v, test::deg_to_rad(in.mains_deg[b]))
                          : 0.0;
  }
  const bool reference = measured[0] && std::abs(line[0]) >= 20.0;
  const double reference_deg = reference ? std::arg(line[0]) * 180.0 / test::kPi : 0.0;
  for (int p = 0; p < kPhases; ++p) {
    PhaseMeasurement& out = m.phase[p];
    const int g = in.ct_phase[p];
    const double current_deg = in.mains_deg[g] + in.load_deg[g] + (in.ct_reversed[p] ? 180.0 : 0.0);
    out.voltage_v = static_cast<float>(std::abs(line[p]));
    out.current_a = static_cast<float>(in.current_a[g]);
    if (reference) {
      if (measured[p]) {
        out.voltage_angle_deg =
            static_cast<float>(wrap_deg(std::arg(line[p]) * 180.0 / test::kPi - reference_deg));
      }
      out.current_angle_deg = static_cast<float>(wrap_deg(current_deg - reference_deg));
    }
  }
  m.frequency_hz = 50.0f;
  m.window_count = 1;
  m.synchronised = reference;
  return m;
}

Diagnosis judged_it(const Installation& in, bool generation = false) {
  DiagnosticsConfig config;
  config.network = NetworkType::it;
  config.generation = generation;
  Bench bench(config);
  return bench.run(measure_it(in), kSettleWindows);
}

// L1 and L2 only on the voltage terminal: the standard IT installation without generation.
Installation it_l1_l2_only() {
  Installation in;
  in.voltage_input[2] = -1;
  return in;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(diagnostics)

BOOST_AUTO_TEST_CASE(reasons_have_names) {
  BOOST_TEST(to_string(VoltageReason::ok) == std::string("ok"));
  BOOST_TEST(to_string(VoltageReason::wrong_sequence) == std::string("wrong_sequence"));
  BOOST_TEST(to_string(VoltageReason::not_connected) == std::string("not_connected"));
  BOOST_TEST(to_string(CurrentReason::ok) == std::string("ok"));
  BOOST_TEST(to_string(CurrentReason::wrong_sequence) == std::string("wrong_sequence"));
  BOOST_TEST(to_string(CurrentReason::low_current) == std::string("low_current"));
  BOOST_TEST(to_string(CurrentReason::not_connected) == std::string("not_connected"));
}

BOOST_AUTO_TEST_CASE(right_wiring_is_ok) {
  const Diagnosis d = judged(Installation{});
  BOOST_TEST(d.voltage == VoltageReason::ok);
  BOOST_TEST(d.current == CurrentReason::ok);
  for (int p = 0; p < kPhases; ++p) BOOST_TEST(d.voltage_present[p]);
  check_cts(d, {0, 1, 2});
}

BOOST_AUTO_TEST_CASE(nothing_is_known_before_the_first_window) {
  Diagnostics diagnostics;
  diagnostics.reset();
  const Diagnosis& d = diagnostics.diagnosis();
  BOOST_TEST(d.voltage == VoltageReason::not_connected);
  BOOST_TEST(d.current == CurrentReason::not_connected);
  for (int p = 0; p < kPhases; ++p) {
    BOOST_TEST(!d.voltage_present[p]);
    BOOST_TEST(d.ct[p].phase == -1);
  }
}

BOOST_AUTO_TEST_CASE(negative_mains_sequence_is_a_voltage_fault_only) {
  // L1-L3-L2 upstream: the terminal and the CTs still pair up, phase by phase.
  Installation in;
  in.mains_deg[1] = 120.0;
  in.mains_deg[2] = -120.0;
  const Diagnosis d = judged(in);
  BOOST_TEST(d.voltage == VoltageReason::wrong_sequence);
  BOOST_TEST(d.current == CurrentReason::ok);
  check_cts(d, {0, 1, 2});
}

BOOST_AUTO_TEST_CASE(voltage_inputs_swapped_unpair_the_cts_too) {
  // L3 on V2 and L2 on V3, the CTs right: CT2 now follows V3, CT3 follows V2.
  Installation in;
  in.voltage_input[1] = 2;
  in.voltage_input[2] = 1;
  const Diagnosis d = judged(in);
  BOOST_TEST(d.voltage == VoltageReason::wrong_sequence);
  BOOST_TEST(d.current == CurrentReason::wrong_sequence);
  check_cts(d, {0, 2, 1});
}

BOOST_AUTO_TEST_CASE(one_phase_on_two_voltage_inputs_is_a_sequence_fault) {
  Installation in;
  in.voltage_input[2] = 1;
  BOOST_TEST(judged(in).voltage == VoltageReason::wrong_sequence);
  in.voltage_input[1] = 0;  // and L1 on V2
  in.voltage_input[2] = 2;
  BOOST_TEST(judged(in).voltage == VoltageReason::wrong_sequence);
}

BOOST_AUTO_TEST_CASE(no_voltage_is_not_connected_and_leaves_the_cts_unjudged) {
  Installation in;
  for (int& input : in.voltage_input) input = -1;
  in.ct_phase[0] = 1;  // a fault that cannot be seen without an angle reference
  in.ct_phase[1] = 0;
  const Diagnosis d = judged(in);
  BOOST_TEST(d.voltage == VoltageReason::not_connected);
  BOOST_TEST(d.current == CurrentReason::ok);
  check_cts(d, {-1, -1, -1});
  for (int p = 0; p < kPhases; ++p) BOOST_TEST(!d.voltage_present[p]);
}

BOOST_AUTO_TEST_CASE(without_v1_the_sequence_is_taken_as_right) {
  Installation in;
  in.voltage_input[0] = -1;
  in.voltage_input[1] = 2;  // swapped, but nothing to measure the angles against
  in.voltage_input[2] = 1;
  const Diagnosis d = judged(in);
  BOOST_TEST(d.voltage == VoltageReason::ok);
  BOOST_TEST(!d.voltage_present[0]);
  BOOST_TEST(d.voltage_present[1]);
  BOOST_TEST(d.current == CurrentReason::ok);
  check_cts(d, {-1, -1, -1});
}

BOOST_AUTO_TEST_CASE(cts_on_l1_and_l2_swapped) {
  Installation in;
  in.ct_phase[0] = 1;
  in.ct_phase[1] = 0;
  const Diagnosis d = judged(in);
  BOOST_TEST(d.voltage == VoltageReason::ok);
  BOOST_TEST(d.current == CurrentReason::wrong_sequence);
  check_cts(d, {1, 0, 2});
}

BOOST_AUTO_TEST_CASE(cts_rotated_cyclically) {
  Installation in;
  in.ct_phase[0] = 1;
  in.ct_phase[1] = 2;
  in.ct_phase[2] = 0;
  for (double& deg : in.load_deg) deg = kPf09LaggingDeg;
  const Diagnosis d = judged(in);
  BOOST_TEST(d.current == CurrentReason::wrong_sequence);
  check_cts(d, {1, 2, 0});
}

BOOST_AUTO_TEST_CASE(one_ct_reversed_without_generation) {
  Installation in;
  in.ct_reversed[1] = true;
  const Diagnosis d = judged(in);
  BOOST_TEST(d.current == CurrentReason::wrong_sequence);
  check_cts(d, {0, 1, 2}, {false, true, false});
}

BOOST_AUTO_TEST_CASE(one_ct_reversed_with_generation_passes_for_export) {
  Installation in;
  in.ct_reversed[1] = true;
  const Diagnosis d = judged(in, /*generation=*/true);
  BOOST_TEST(d.current == CurrentReason::ok);
  check_cts(d, {0, 1, 2});
}

BOOST_AUTO_TEST_CASE(export_is_ok_with_generation_and_a_reversed_ct_without) {
  // PV on L2 exports at PF 1; an oven imports on L1; L3 carries a small base load.
  Installation in;
  in.current_a[1] = 11.0;
  in.load_deg[1] = 180.0;
  in.current_a[2] = 3.0;
  const Diagnosis with = judged(in, /*generation=*/true);
  BOOST_TEST(with.current == CurrentReason::ok);
  check_cts(with, {0, 1, 2});
  const Diagnosis without = judged(in, /*generation=*/false);
  BOOST_TEST(without.current == CurrentReason::wrong_sequence);
  check_cts(without, {0, 1, 2}, {false, true, false});
}

BOOST_AUTO_TEST_CASE(inverter_exporting_with_reactive_power_is_ok) {
  // 3 kW out and 1 kvar in on L1: S = -3000 + 1000j, so the current is 18.4 degrees off export.
  Installation in;
  in.load_deg[0] = -(180.0 - std::atan2(1000.0, 3000.0) * 180.0 / test::kPi);
  in.current_a[0] = std::hypot(3000.0, 1000.0) / 230.0;
  in.current_a[1] = in.current_a[2] = 3.0;
  const Diagnosis d = judged(in, /*generation=*/true);
  BOOST_TEST(d.current == CurrentReason::ok);
  check_cts(d, {0, 1, 2});
}

BOOST_AUTO_TEST_CASE(low_current_everywhere) {
  Installation in;
  for (double& a : in.current_a) a = 1.5;
  const Diagnosis d = judged(in);
  BOOST_TEST(d.voltage == VoltageReason::ok);
  BOOST_TEST(d.current == CurrentReason::low_current);
  for (int k = 0; k < kPhases; ++k) {
    BOOST_TEST(d.ct[k].low_current);
    BOOST_TEST(d.ct[k].phase == -1);
    BOOST_TEST(!d.ct[k].reversed);
  }
}

BOOST_AUTO_TEST_CASE(low_current_on_some_phases_does_not_hide_a_fault_on_the_others) {
  Installation in;
  in.current_a[2] = 0.5;
  BOOST_TEST(judged(in).current == CurrentReason::ok);
  in.ct_reversed[0] = true;
  const Diagnosis d = judged(in);
  BOOST_TEST(d.current == CurrentReason::wrong_sequence);
  BOOST_TEST(d.ct[0].reversed);
  BOOST_TEST(d.ct[2].low_current);
  BOOST_TEST(d.ct[2].phase == -1);
}

BOOST_AUTO_TEST_CASE(cartridge_absent) {
  DiagnosticsConfig config;
  Bench bench(config);
  const Diagnosis& d = bench.run(measure(Installation{}), kSettleWindows, /*cartridge=*/false);
  BOOST_TEST(d.voltage == VoltageReason::ok);
  BOOST_TEST(d.current == CurrentReason::not_connected);
  for (int k = 0; k < kPhases; ++k) {
    BOOST_TEST(d.ct[k].phase == -1);
    BOOST_TEST(!d.ct[k].low_current);
  }
}

BOOST_AUTO_TEST_CASE(pf_0_5_lagging_and_0_8_leading_are_right) {
  for (double load_deg : {kPf05LaggingDeg, kPf08LeadingDeg}) {
    BOOST_TEST_CONTEXT("load " << load_deg << " deg") {
      Installation in;
      for (double& deg : in.load_deg) deg = load_deg;
      for (bool generation : {false, true}) {
        const Diagnosis d = judged(in, generation);
        BOOST_TEST(d.current == CurrentReason::ok);
        check_cts(d, {0, 1, 2});
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(right_wiring_is_right_for_any_load_from_pf_0_5_lagging_to_0_8_leading) {
  const double grid[] = {-60, -50, -40, -30, -20, -10, 0, 10, 20, 30, kPf08LeadingDeg};
  int wrong = 0;
  for (double a : grid) {
    for (double b : grid) {
      for (double c : grid) {
        Installation in;
        in.load_deg[0] = a;
        in.load_deg[1] = b;
        in.load_deg[2] = c;
        const Diagnosis d = judged(in);
        if (d.current != CurrentReason::ok) {
          ++wrong;
          BOOST_TEST_MESSAGE("judged " << d.current << " for loads " << a << ", " << b << ", "
                                       << c);
        }
      }
    }
  }
  BOOST_TEST(wrong == 0);
}

BOOST_AUTO_TEST_CASE(right_wiring_with_generation_for_any_mix_of_import_and_export) {
  // Import from PF 0.5 lagging to 0.8 leading; export within PF 0.9 either way.
  const double grid[] = {-60, -30, 0, 20, kPf08LeadingDeg, 180 - 25, 180, 180 + 25};
  int wrong = 0;
  for (double a : grid) {
    for (double b : grid) {
      for (double c : grid) {
        Installation in;
        in.load_deg[0] = a;
        in.load_deg[1] = b;
        in.load_deg[2] = c;
        const Diagnosis d = judged(in, /*generation=*/true);
        if (d.current != CurrentReason::ok) {
          ++wrong;
          BOOST_TEST_MESSAGE("judged " << d.current << " for " << a << ", " << b << ", " << c);
        }
      }
    }
  }
  BOOST_TEST(wrong == 0);
}

// For every combination of the grid's load angles on the three phases: how many
// times a CT placement (phase[k], reversed bit k) on `base` is not reported
// exactly, as wrong_sequence with each CT's real phase and direction.
template <std::size_t N, typename Judge>
int misjudged_placements(const Installation& base, const int* phase, unsigned reversed,
                         const double (&grid)[N], Judge judge) {
  int wrong = 0;
  for (double a : grid) {
    for (double b : grid) {
      for (double c : grid) {
        Installation in = base;
        const double load[kPhases] = {a, b, c};
        for (int k = 0; k < kPhases; ++k) {
          in.ct_phase[k] = phase[k];
          in.ct_reversed[k] = (reversed >> k) & 1u;
          in.load_deg[k] = load[k];
        }
        const Diagnosis d = judge(in);
        bool right = d.current == CurrentReason::wrong_sequence;
        for (int k = 0; k < kPhases; ++k) {
          right = right && d.ct[k].phase == phase[k] && d.ct[k].reversed == in.ct_reversed[k];
        }
        wrong += right ? 0 : 1;
      }
    }
  }
  return wrong;
}

BOOST_AUTO_TEST_CASE(every_ct_placement_fault_is_found_for_loads_from_pf_0_8_lagging_to_1) {
  const double grid[] = {kPf08LaggingDeg, -30, -25, -20, -15, -10, -5, 0};
  // Swaps and rotations without reversal, then every set of reversed CTs on their own phases.
  for (int fault = 1; fault < 6 + 7; ++fault) {
    const int* phase = kPermutations[fault < 6 ? fault : 0];
    const unsigned reversed = fault < 6 ? 0u : static_cast<unsigned>(fault - 5);
    BOOST_TEST_CONTEXT("cts on " << phase[0] << phase[1] << phase[2] << ", reversed mask "
                                 << reversed) {
      BOOST_TEST(misjudged_placements(Installation{}, phase, reversed, grid,
                                      [](const Installation& in) { return judged(in); }) == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(swapped_cts_are_found_with_generation_while_the_phases_import) {
  const double grid[] = {kPf09LaggingDeg, -20, -15, -10, -5, 0};
  for (int fault = 1; fault < 6; ++fault) {
    BOOST_TEST_CONTEXT("permutation " << fault) {
      int wrong = 0;
      for (double a : grid) {
        for (double b : grid) {
          for (double c : grid) {
            Installation in;
            const double load[kPhases] = {a, b, c};
            for (int k = 0; k < kPhases; ++k) {
              in.ct_phase[k] = kPermutations[fault][k];
              in.load_deg[k] = load[k];
            }
            const Diagnosis d = judged(in, /*generation=*/true);
            bool right = d.current == CurrentReason::wrong_sequence;
            for (int k = 0; k < kPhases; ++k) {
              right = right && d.ct[k].phase == kPermutations[fault][k] && !d.ct[k].reversed;
            }
            wrong += right ? 0 : 1;
          }
        }
      }
      BOOST_TEST(wrong == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(single_phase_l1_only) {
  Installation in;
  in.voltage_input[1] = in.voltage_input[2] = -1;
  in.current_a[0] = 18.0;
  in.load_deg[0] = -std::acos(0.92) * 180.0 / test::kPi;
  in.current_a[1] = in.current_a[2] = 0.0;
  Diagnosis d = judged(in);
  BOOST_TEST(d.voltage == VoltageReason::ok);
  BOOST_TEST(d.voltage_present[0]);
  BOOST_TEST(!d.voltage_present[1]);
  BOOST_TEST(!d.voltage_present[2]);
  BOOST_TEST(d.current == CurrentReason::ok);
  BOOST_TEST(d.ct[0].phase == 0);
  BOOST_TEST(d.ct[1].low_current);
  BOOST_TEST(d.ct[2].low_current);

  in.ct_reversed[0] = true;
  d = judged(in);
  BOOST_TEST(d.current == CurrentReason::wrong_sequence);
  BOOST_TEST(d.ct[0].reversed);
}

BOOST_AUTO_TEST_CASE(l1_voltage_only_judges_the_cts_against_assumed_phases) {
  // Three-phase building, only L1 on the voltage terminal (TN without generation allows it).
  Installation in;
  in.voltage_input[1] = in.voltage_input[2] = -1;
  BOOST_TEST(judged(in).current == CurrentReason::ok);
  in.ct_phase[1] = 2;
  in.ct_phase[2] = 1;
  const Diagnosis d = judged(in);
  BOOST_TEST(d.current == CurrentReason::wrong_sequence);
  check_cts(d, {0, 2, 1});
}

BOOST_AUTO_TEST_CASE(the_first_verdict_settles_after_settle_us) {
  DiagnosticsConfig config;
  Bench bench(config);
  const Measurements m = measure(Installation{});
  // First window at 0.2 s: the verdict must hold until 1.2 s.
  for (int k = 0; k < 5; ++k) {
    const Diagnosis& d = bench.step(m);
    BOOST_TEST(d.voltage == VoltageReason::not_connected, "at " << bench.now_us << " us");
    BOOST_TEST(d.current == CurrentReason::not_connected);
  }
  const Diagnosis& d = bench.step(m);
  BOOST_TEST(bench.now_us == kWindowUs + config.settle_us);
  BOOST_TEST(d.voltage == VoltageReason::ok);
  BOOST_TEST(d.current == CurrentReason::ok);
  BOOST_TEST(d.ct[0].phase == 0);
}

BOOST_AUTO_TEST_CASE(a_verdict_that_flips_back_sooner_never_shows) {
  DiagnosticsConfig config;
  Bench bench(config);
  Installation right;
  Installation swapped;
  swapped.ct_phase[0] = 1;
  swapped.ct_phase[1] = 0;
  bench.run(measure(right), kSettleWindows);
  BOOST_REQUIRE(bench.diagnostics.diagnosis().current == CurrentReason::ok);
  // 0.8 s of the fault, one window right, 0.8 s of the fault again: never 1 s in a row.
  for (int round = 0; round < 3; ++round) {
    for (int k = 0; k < 4; ++k) {
      BOOST_TEST(bench.step(measure(swapped)).current == CurrentReason::ok);
      BOOST_TEST(bench.diagnostics.diagnosis().ct[0].phase == 0);
    }
    BOOST_TEST(bench.step(measure(right)).current == CurrentReason::ok);
  }
  // Held for settle_us it shows, at the first window that completes the second.
  const std::uint64_t since_us = bench.now_us + kWindowUs;
  while (bench.step(measure(swapped)).current == CurrentReason::ok) {
    BOOST_REQUIRE(bench.now_us < since_us + 2 * config.settle_us);
  }
  BOOST_TEST(bench.now_us == since_us + config.settle_us);
  check_cts(bench.diagnostics.diagnosis(), {1, 0, 2});
}

BOOST_AUTO_TEST_CASE(a_load_cycling_around_the_threshold_never_flickers) {
  // 1.5 A and 3 A every 0.4 s, on one phase (others 8 A) and then on every phase.
  for (bool every_phase : {false, true}) {
    BOOST_TEST_CONTEXT((every_phase ? "every phase" : "L1 only")) {
      DiagnosticsConfig config;
      Bench bench(config);
      Installation in;
      for (double& a : in.current_a) a = 8.0;
      in.current_a[0] = 3.0;
      if (every_phase) in.current_a[1] = in.current_a[2] = 3.0;
      bench.run(measure(in), kSettleWindows);
      const Diagnosis settled = bench.diagnostics.diagnosis();
      BOOST_REQUIRE(settled.current == CurrentReason::ok);
      for (int window = 0; window < 60; ++window) {  // 12 s
        const double a = (window / 2) % 2 == 0 ? 1.5 : 3.0;
        in.current_a[0] = a;
        if (every_phase) in.current_a[1] = in.current_a[2] = a;
        const Diagnosis& d = bench.step(measure(in));
        BOOST_TEST(same_diagnosis(d, settled), "changed at window " << window);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(current_trust_has_hysteresis) {
  DiagnosticsConfig config;  // 2 A, 10 %: trusted from 2 A up, lost below 1.8 A
  Bench bench(config);
  Installation in;
  const auto at = [&](double a) {
    for (double& c : in.current_a) c = a;
    return bench.run(measure(in), kSettleWindows).current;
  };
  BOOST_TEST(at(1.9) == CurrentReason::low_current);
  BOOST_TEST(at(2.0) == CurrentReason::ok);
  BOOST_TEST(at(1.81) == CurrentReason::ok);
  BOOST_TEST(at(1.79) == CurrentReason::low_current);
  BOOST_TEST(at(1.99) == CurrentReason::low_current);
}

BOOST_AUTO_TEST_CASE(voltage_presence_has_hysteresis) {
  DiagnosticsConfig config;  // 50 V, 10 %: present from 50 V up, lost below 45 V
  Bench bench(config);
  Installation in;
  const auto at = [&](double v) {
    in.voltage_v = v;
    return bench.run(measure(in), kSettleWindows).voltage_present[0];
  };
  BOOST_TEST(!at(49.0));
  BOOST_TEST(at(50.0));
  BOOST_TEST(at(45.5));
  BOOST_TEST(!at(44.5));
  BOOST_TEST(bench.diagnostics.diagnosis().voltage == VoltageReason::not_connected);
}

BOOST_AUTO_TEST_CASE(cartridge_unplugged_and_back) {
  DiagnosticsConfig config;
  Bench bench(config);
  const Measurements m = measure(Installation{});
  BOOST_TEST(bench.run(m, kSettleWindows).current == CurrentReason::ok);
  BOOST_TEST(bench.run(m, kSettleWindows, false).current == CurrentReason::not_connected);
  BOOST_TEST(bench.run(m, kSettleWindows).current == CurrentReason::ok);
}

BOOST_AUTO_TEST_CASE(reset_forgets_everything) {
  DiagnosticsConfig config;
  Bench bench(config);
  const Measurements m = measure(Installation{});
  bench.run(m, kSettleWindows);
  BOOST_REQUIRE(bench.diagnostics.diagnosis().current == CurrentReason::ok);
  bench.diagnostics.reset();
  BOOST_TEST(bench.diagnostics.diagnosis().current == CurrentReason::not_connected);
  BOOST_TEST(bench.diagnostics.diagnosis().voltage == VoltageReason::not_connected);
  // The hysteresis is forgotten too: 1.9 A after a reset is not trusted.
  Installation low;
  for (double& a : low.current_a) a = 1.9;
  BOOST_TEST(bench.run(measure(low), kSettleWindows).current == CurrentReason::low_current);
}

BOOST_AUTO_TEST_CASE(it_right_wiring_is_ok) {
  for (bool generation : {false, true}) {
    BOOST_TEST_CONTEXT("generation " << generation) {
      const Diagnosis d = judged_it(Installation{}, generation);
      BOOST_TEST(d.voltage == VoltageReason::ok);
      BOOST_TEST(d.current == CurrentReason::ok);
      for (int p = 0; p < kPhases; ++p) BOOST_TEST(d.voltage_present[p]);
      check_cts(d, {0, 1, 2});
    }
  }
}

BOOST_AUTO_TEST_CASE(it_the_same_measurements_judged_as_tn_look_miswired) {
  // Against U12 every current sits 30 degrees further behind: loads at PF 0.77 lagging would look
  // like 70 degrees lagging to TN rules, which no load is. The network setting matters.
  Installation in;
  for (double& deg : in.load_deg) deg = -40.0;
  DiagnosticsConfig tn;
  Bench bench(tn);
  BOOST_TEST(bench.run(measure_it(in), kSettleWindows).current == CurrentReason::wrong_sequence);
  BOOST_TEST(judged_it(in).current == CurrentReason::ok);
}

BOOST_AUTO_TEST_CASE(it_l1_l2_only_is_the_normal_installation) {
  const Diagnosis d = judged_it(it_l1_l2_only());
  BOOST_TEST(d.voltage == VoltageReason::ok);
  BOOST_TEST(d.voltage_present[0]);
  BOOST_TEST(!d.voltage_present[1]);
  BOOST_TEST(!d.voltage_present[2]);
  BOOST_TEST(d.current == CurrentReason::ok);
  check_cts(d, {0, 1, 2});
}

BOOST_AUTO_TEST_CASE(it_voltage_inputs_swapped_are_a_sequence_fault) {
  // L3 on terminal 2 and L2 on terminal 3: U23 reads at +60 degrees, U31 at 180.
  Installation in;
  in.voltage_input[1] = 2;
  in.voltage_input[2] = 1;
  const Diagnosis d = judged_it(in);
  BOOST_TEST(d.voltage == VoltageReason::wrong_sequence);
  BOOST_TEST(d.current == CurrentReason::wrong_sequence);
}

BOOST_AUTO_TEST_CASE(it_negative_mains_sequence_is_a_voltage_fault_only) {
  Installation in;
  in.mains_deg[1] = 120.0;
  in.mains_deg[2] = -120.0;
  const Diagnosis d = judged_it(in);
  BOOST_TEST(d.voltage == VoltageReason::wrong_sequence);
  BOOST_TEST(d.current == CurrentReason::ok);
  check_cts(d, {0, 1, 2});
}

BOOST_AUTO_TEST_CASE(it_cts_on_l1_and_l2_swapped) {
  for (bool l1_l2_only : {false, true}) {
    BOOST_TEST_CONTEXT((l1_l2_only ? "L1 L2 only" : "three lines")) {
      Installation in = l1_l2_only ? it_l1_l2_only() : Installation{};
      in.ct_phase[0] = 1;
      in.ct_phase[1] = 0;
      const Diagnosis d = judged_it(in);
      BOOST_TEST(d.voltage == VoltageReason::ok);
      BOOST_TEST(d.current == CurrentReason::wrong_sequence);
      check_cts(d, {1, 0, 2});
    }
  }
}

BOOST_AUTO_TEST_CASE(it_without_u12_the_cts_are_not_judged) {
  Installation in;
  in.voltage_input[0] = -1;  // L2 and L3 only: U23 present, no reference for the angles
  in.ct_phase[0] = 1;
  in.ct_phase[1] = 0;
  const Diagnosis d = judged_it(in);
  BOOST_TEST(d.voltage == VoltageReason::ok);
  BOOST_TEST(!d.voltage_present[0]);
  BOOST_TEST(d.voltage_present[1]);
  BOOST_TEST(d.current == CurrentReason::ok);
  check_cts(d, {-1, -1, -1});
}

BOOST_AUTO_TEST_CASE(it_right_wiring_is_right_for_any_load_from_pf_0_5_lagging_to_0_8_leading) {
  const double grid[] = {-60, -45, -30, -15, 0, 15, 30, kPf08LeadingDeg};
  for (bool l1_l2_only : {false, true}) {
    BOOST_TEST_CONTEXT((l1_l2_only ? "L1 L2 only" : "three lines")) {
      int wrong = 0;
      for (double a : grid) {
        for (double b : grid) {
          for (double c : grid) {
            Installation in = l1_l2_only ? it_l1_l2_only() : Installation{};
            in.load_deg[0] = a;
            in.load_deg[1] = b;
            in.load_deg[2] = c;
            const Diagnosis d = judged_it(in);
            wrong += d.current == CurrentReason::ok && d.voltage == VoltageReason::ok ? 0 : 1;
          }
        }
      }
      BOOST_TEST(wrong == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(it_every_ct_placement_fault_is_found_for_loads_from_pf_0_8_lagging_to_1) {
  const double grid[] = {kPf08LaggingDeg, -25, -15, -5, 0};
  for (bool l1_l2_only : {false, true}) {
    for (int fault = 1; fault < 6 + 7; ++fault) {
      const int* phase = kPermutations[fault < 6 ? fault : 0];
      const unsigned reversed = fault < 6 ? 0u : static_cast<unsigned>(fault - 5);
      BOOST_TEST_CONTEXT((l1_l2_only ? "L1 L2 only" : "three lines")
                         << ", cts on " << phase[0] << phase[1] << phase[2] << ", reversed mask "
                         << reversed) {
        const Installation base = l1_l2_only ? it_l1_l2_only() : Installation{};
        BOOST_TEST(misjudged_placements(base, phase, reversed, grid,
                                        [](const Installation& in) { return judged_it(in); }) == 0);
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace amprig::fw
