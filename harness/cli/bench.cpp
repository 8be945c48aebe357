#include "cli/bench.h"

#include <chrono>
#include <cstdio>
#include <fstream>

#include "rig/rig.h"
#include "rig/sim_log.h"
#include "sweep/runner.h"

namespace amprig {

int run_bench(double duration_s, const std::string& json_path, const std::string& sweep_file,
              int jobs) {
  // The sweep first: its runs are processes forked from this one, which must not have
  // elaborated a rig yet.
  sweep::Throughput sweep;
  if (!sweep_file.empty()) {
    sweep = sweep::measure_throughput(sweep_file, jobs);
    const double per_run_s = sweep.runs ? sweep.sim_s / static_cast<double>(sweep.runs) : 0;
    std::printf("sweep throughput (%s: %zu runs of %.0f s simulated, %d processes)\n",
                sweep_file.c_str(), sweep.runs, per_run_s, jobs);
    std::printf("  wall             %10.3f s\n", sweep.wall_s);
    std::printf("  runs per minute  %10.0f     (target >= 600 runs/min of 30 s runs on 2 cores)\n",
                sweep.runs_per_min());
    std::printf("  passed           %6zu/%zu\n\n", sweep.passed, sweep.runs);
  }
  // The reference rig: ag63, 3 voltages + 3 currents at 6.4 kHz, the firmware
  // metering every window, a household's mix of loads.
  Scenario s = default_scenario(fw::Variant::ag63);
  s.id = "bench-reference";
  models::LoadConfig base;
  base.name = "house";
  base.phases = {models::L1, models::L2, models::L3};
  base.current_a = 10;
  base.power_factor = 0.95;
  s.loads.push_back(base);
  models::LoadConfig oven;
  oven.name = "oven";
  oven.phases = {models::L1};
  oven.current_a = 8;
  s.loads.push_back(oven);
  install_systemc_report_handler();
  Rig rig("rig", s);
  const auto start = std::chrono::steady_clock::now();
  sc_core::sc_start(sc_core::sc_time(duration_s, sc_core::SC_SEC));
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double rtf = duration_s / wall_s;
  const double frames = duration_s * s.device.sample_rate_hz;
  std::printf("reference rig (ag63, 3 V + 3 I at %u Hz, firmware metering, 2 loads)\n",
              s.device.sample_rate_hz);
  std::printf("  simulated        %10.1f s\n", duration_s);
  std::printf("  wall             %10.3f s\n", wall_s);
  std::printf("  real-time factor %10.0f x   (target >= 1000 x)\n", rtf);
  std::printf("  sample frames    %10.2f M frames/s (6 channels each)\n", frames / wall_s / 1e6);
  std::printf("  firmware windows %10u\n", rig.firmware().measurements().window_count);
  if (!json_path.empty()) {
    std::ofstream out(json_path);
    out << "{\n  \"reference_rig\": {\"simulated_s\": " << duration_s << ", \"wall_s\": " << wall_s
        << ", \"real_time_factor\": " << rtf << ", \"target\": 1000}";
    if (!sweep_file.empty()) {
      out << ",\n  \"sweep\": {\"file\": \"" << sweep_file << "\", \"runs\": " << sweep.runs
          << ", \"passed\": " << sweep.passed << ", \"processes\": " << jobs
          << ", \"wall_s\": " << sweep.wall_s << ", \"simulated_s\": " << sweep.sim_s
          << ", \"runs_per_min\": " << sweep.runs_per_min() << ", \"target\": 600}";
    }
    out << "\n}\n";
    if (!out) {
      std::fprintf(stderr, "amprig bench: cannot write %s\n", json_path.c_str());
      return 2;
    }
  }
  return systemc_problem_count() == 0 && sweep.passed == sweep.runs ? 0 : 1;
}

}  // namespace amprig
