// `amprig-rtl-bench`: the real-time factor of the reference rig on the RTL ADC, in both
// co-simulation styles, against the behavioural ADC; and what one modulator clock costs in the
// modulators and in the verilated decimator alone. Figures, not a timed test.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <systemc>
#include <vector>

#include "adc/rtl/delta_sigma_modulator.h"
#include "adc/rtl/sinc3_decimator.h"
#include "bench/child_process.h"
#include "rig/rig.h"
#include "rig/sim_log.h"
#include "scenario/scenario.h"

namespace {

using namespace amprig;

constexpr const char* kUsage = R"(usage: amprig-rtl-bench [options]

The real-time factor of amprig bench's reference rig (scenarios/bench/reference.yaml: ag63,
3 voltages + 3 currents at 6400 Hz, the firmware, the load balancer and one charger, two loads,
on one core) with the behavioural ADC and with the
RTL ADC (delta-sigma modulators at 1.024 MHz into the verilated sinc3 decimator) in its two
co-simulation styles, and the cost of one modulator clock in the parts. Each rig runs in a
process of its own.

  --duration DUR          simulated time of the behavioural and per-half-buffer rigs (default 10s)
  --clocked-duration DUR  simulated time of the rig clocked per modulator clock (default 1s)
  --json FILE             also write the figures as JSON
)";

struct Figures {
  double simulated_s = 0;
  double wall_s = 0;
  double cpu_s = 0;
  double modulator_clocks = 0;  // RTL rigs: clocks the modulators ran
  bool ok = false;
};

// The reference rig of `amprig bench` (scenarios/bench/reference.yaml) on the chosen ADC.
Scenario reference_scenario(const std::string& adc, bool clock_per_activation) {
  Scenario s = load_scenario(AMPRIG_SOURCE_DIR "/scenarios/bench/reference.yaml");
  s.device.adc = adc;
  s.rtl_adc.clock_per_activation = clock_per_activation;
  return s;
}

// Runs the reference rig for `duration_s` in a child process and returns what it measured.
Figures run_rig(const std::string& adc, bool clock_per_activation, double duration_s) {
  const ChildOutcome run = run_in_child([&] {
    install_systemc_report_handler();
    const Scenario s = reference_scenario(adc, clock_per_activation);
    Rig rig("rig", s);
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = process_cpu_seconds();
    sc_core::sc_start(sc_core::sc_time(duration_s, sc_core::SC_SEC));
    const double cpu_s = process_cpu_seconds() - cpu_start;
    const double wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (systemc_problem_count() != 0) throw std::runtime_error("SystemC reported problems");
    return std::vector<double>{wall_s, cpu_s, duration_s * s.rtl_adc.modulator_clock_hz};
  });
  Figures f;
  if (!run.ok) {
    std::fprintf(stderr, "amprig-rtl-bench: %s\n", run.error.c_str());
    return f;
  }
  f.simulated_s = duration_s;
  f.wall_s = run.values.at(0);
  f.cpu_s = run.values.at(1);
  f.modulator_clocks = run.values.at(2);
  f.ok = true;
  return f;
}

// Nanoseconds per modulator clock of the six modulators alone (a held input, as the ADC runs
// them) and of the verilated decimator alone, over `clocks` clocks.
std::pair<double, double> parts_ns_per_clock(std::size_t clocks) {
  constexpr unsigned kRatio = 160;
  std::vector<std::uint8_t> bits(kRatio);
  models::DeltaSigmaModulator modulators;
  models::DeltaSigmaModulator::Inputs input{};
  const std::size_t samples = clocks / kRatio;
  double start = process_cpu_seconds();
  unsigned sink = 0;
  for (std::size_t k = 0; k < samples; ++k) {
    for (std::size_t c = 0; c < input.size(); ++c) {
      input[c] = static_cast<std::int32_t>((k * 7919 + c * 104729) % 100000) * 1000 - 50'000'000;
    }
    modulators.run_held(input, kRatio, bits.data());
    sink += bits[k % kRatio];
  }
  const double modulator_ns = (process_cpu_seconds() - start) / double(samples * kRatio) * 1e9;
  models::Sinc3Decimator decimator;
  decimator.reset(models::Sinc3Settings::for_ratio(kRatio, 16));
  for (unsigned q = 0; q < kRatio; ++q) bits[q] = static_cast<std::uint8_t>((q * 37) & 0x3f);
  start = process_cpu_seconds();
  for (std::size_t k = 0; k < samples; ++k) {
    sink += decimator.run(bits.data(), kRatio) ? decimator.code(k % 6) : 0;
  }
  const double decimator_ns = (process_cpu_seconds() - start) / double(samples * kRatio) * 1e9;
  if (sink == 0xdeadbeef) std::puts("");  // keeps the loops
  return {modulator_ns, decimator_ns};
}

double seconds_arg(const std::string& text) {
  return static_cast<double>(parse_duration_ns(text)) * 1e-9;
}

void print_rig(const char* label, const Figures& f, bool rtl) {
  if (!f.ok) {
    std::printf("  %-40s failed\n", label);
    return;
  }
  std::printf("  %-40s %7.1f s %9.3f s %9.3f s %9.1f x", label, f.simulated_s, f.wall_s, f.cpu_s,
              f.simulated_s / f.wall_s);
  if (rtl) std::printf(" %9.1f", f.cpu_s / f.modulator_clocks * 1e9);
  std::printf("\n");
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  double duration_s = 10, clocked_s = 1;
  std::string json;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      const bool has_value = i + 1 < argc;
      if (a == "--duration" && has_value) {
        duration_s = seconds_arg(argv[++i]);
      } else if (a == "--clocked-duration" && has_value) {
        clocked_s = seconds_arg(argv[++i]);
      } else if (a == "--json" && has_value) {
        json = argv[++i];
      } else {
        std::fputs(kUsage, a == "--help" || a == "-h" ? stdout : stderr);
        return a == "--help" || a == "-h" ? 0 : 2;
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "amprig-rtl-bench: %s\n%s", e.what(), kUsage);
    return 2;
  }
  if (!(duration_s > 0) || !(clocked_s > 0)) {
    std::fprintf(stderr, "amprig-rtl-bench: durations must be positive\n");
    return 2;
  }
  std::printf(
      "reference rig (scenarios/bench/reference.yaml: ag63, 3 V + 3 I at 6400 Hz, firmware, "
      "balancer, 1 charger, 2 loads), one core\n");
  std::printf("  %-40s %9s %11s %11s %11s %9s\n", "", "simulated", "wall", "CPU", "real time",
              "ns/clock");
  const Figures behavioural = run_rig("behavioural", false, duration_s);
  print_rig("behavioural ADC", behavioural, false);
  const Figures per_half = run_rig("rtl", false, duration_s);
  print_rig("RTL ADC, a half-buffer per activation", per_half, true);
  const Figures per_clock = run_rig("rtl", true, clocked_s);
  print_rig("RTL ADC, an sc_clock edge per clock", per_clock, true);
  const auto [modulator_ns, decimator_ns] = parts_ns_per_clock(10'240'000);
  std::printf(
      "\none modulator clock (1.024 MHz, 6 channels), CPU: modulators %.1f ns, verilated "
      "decimator %.1f ns\n",
      modulator_ns, decimator_ns);
  if (per_half.ok && per_clock.ok) {
    std::printf(
        "a half-buffer per activation is %.0f x faster than an activation per clock; "
        "target >= 20 x real time: %s\n",
        (per_clock.cpu_s / per_clock.simulated_s) / (per_half.cpu_s / per_half.simulated_s),
        per_half.simulated_s / per_half.wall_s >= 20 ? "met" : "NOT met");
  }
  if (!json.empty()) {
    std::ofstream out(json);
    const auto rig = [&](const char* key, const Figures& f) {
      out << "  \"" << key << "\": {\"simulated_s\": " << f.simulated_s
          << ", \"wall_s\": " << f.wall_s << ", \"cpu_s\": " << f.cpu_s
          << ", \"real_time_factor\": " << (f.wall_s > 0 ? f.simulated_s / f.wall_s : 0) << "}";
    };
    out << "{\n";
    rig("behavioural", behavioural);
    out << ",\n";
    rig("rtl_per_half_buffer", per_half);
    out << ",\n";
    rig("rtl_per_modulator_clock", per_clock);
    out << ",\n  \"modulator_ns_per_clock\": " << modulator_ns
        << ",\n  \"decimator_ns_per_clock\": " << decimator_ns << ",\n  \"target\": 20\n}\n";
    if (!out) {
      std::fprintf(stderr, "amprig-rtl-bench: cannot write %s\n", json.c_str());
      return 2;
    }
  }
  return behavioural.ok && per_half.ok && per_clock.ok ? 0 : 1;
}

// Our own main only to silence SystemC's banner, as the amprig program does.
int main(int argc, char* argv[]) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}
