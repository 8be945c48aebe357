#include "cli/bench.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "bench/child_process.h"
#include "bench/plain_loop.h"
#include "report/json_text.h"
#include "rig/rig.h"
#include "rig/sim_log.h"
#include "sweep/runner.h"

namespace amprig {
namespace {

constexpr double kReferenceTarget = 2000;  // x real time, one core
constexpr double kPlainRatioTarget = 0.8;  // rig / plain loop
constexpr double kRtlTarget = 20;          // x real time, one core, device.adc: rtl
constexpr double kSolarDayTargetS = 60;    // wall seconds for 24 h simulated
constexpr double kSweepTarget = 600;       // runs/min of 30 s runs on 2 cores
constexpr double kSolarDayS = 24 * 3600.0;
constexpr int kScaleChargers[] = {1, 10, 50};
constexpr unsigned kScaleRatesHz[] = {12800, 25600};

// What a timed child sends back: wall and CPU seconds of the simulation alone (not the
// elaboration), then the run's end state (bench_snapshot), so that runs can be compared.
std::vector<double> timed(double wall_s, double cpu_s, const BenchSnapshot& state) {
  std::vector<double> out{wall_s, cpu_s};
  for (const auto& named : state) out.push_back(named.second);
  return out;
}

std::vector<double> time_rig(const Scenario& scenario, double duration_s) {
  install_systemc_report_handler();
  Rig rig("rig", scenario);
  const double cpu0 = process_cpu_seconds();
  const auto start = std::chrono::steady_clock::now();
  sc_core::sc_start(sc_core::sc_time(duration_s, sc_core::SC_SEC));
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu_s = process_cpu_seconds() - cpu0;
  if (systemc_problem_count() != 0) throw std::runtime_error("SystemC reported problems");
  return timed(wall_s, cpu_s, bench_snapshot(rig));
}

std::vector<double> time_plain_loop(const Scenario& scenario, double duration_s) {
  install_systemc_report_handler();
  PlainLoop loop("plain", scenario);
  const double cpu0 = process_cpu_seconds();
  const auto start = std::chrono::steady_clock::now();
  loop.run(duration_s);
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu_s = process_cpu_seconds() - cpu0;
  if (systemc_problem_count() != 0) throw std::runtime_error("SystemC reported problems");
  return timed(wall_s, cpu_s, loop.snapshot());
}

// Repeated runs of one configuration: the fastest is its figure (the machine's other load only
// ever slows a run down), the range says how much the runs spread.
struct Series {
  double sim_s = 0;
  std::vector<double> wall_s;
  std::vector<double> cpu_s;
  std::vector<double> state;  // the last run's end state
  bool same_state = true;     // every run ended in the same state
  std::string error;

  bool ok() const { return error.empty() && !wall_s.empty(); }
  double best_wall_s() const { return *std::min_element(wall_s.begin(), wall_s.end()); }
  double worst_wall_s() const { return *std::max_element(wall_s.begin(), wall_s.end()); }
  double factor() const { return sim_s / best_wall_s(); }
  double slowest_factor() const { return sim_s / worst_wall_s(); }
  double cpu_factor() const { return sim_s / *std::min_element(cpu_s.begin(), cpu_s.end()); }

  void add(const ChildOutcome& run) {
    if (!run.ok) {
      if (error.empty()) error = run.error;
      return;
    }
    wall_s.push_back(run.values.at(0));
    cpu_s.push_back(run.values.at(1));
    std::vector<double> run_state(run.values.begin() + 2, run.values.end());
    if (!state.empty() && run_state != state) same_state = false;
    state = std::move(run_state);
  }
};

using TimeFn = std::vector<double> (*)(const Scenario&, double);

Series measure(TimeFn fn, const Scenario& scenario, double duration_s, int repeat) {
  Series s;
  s.sim_s = duration_s;
  for (int i = 0; i < repeat; ++i) s.add(run_in_child([&] { return fn(scenario, duration_s); }));
  return s;
}

// The rig and the plain loop alternately, so that a spell of load on the machine hits both.
std::pair<Series, Series> measure_pair(const Scenario& scenario, double duration_s, int repeat) {
  Series rig, plain;
  rig.sim_s = plain.sim_s = duration_s;
  for (int i = 0; i < repeat; ++i) {
    rig.add(run_in_child([&] { return time_rig(scenario, duration_s); }));
    plain.add(run_in_child([&] { return time_plain_loop(scenario, duration_s); }));
  }
  return {rig, plain};
}

// The RTL ADC's factor: the reference rig with its ADC replaced by the delta-sigma modulators and
// the verilated decimator (device.adc: rtl), timed like the reference rig.
Series measure_rtl_mode(Scenario reference, double duration_s, int repeat) {
  reference.device.adc = "rtl";
  return measure(time_rig, reference, duration_s, repeat);
}
constexpr const char* kFixedChannels =
    "fixed at 6 (3 V + 3 I): the HAL's ADC and the firmware's metering have no more";

// The reference rig with `n` identical chargers, the group's caps and the plant's fuse raised
// to n x 16 A + 25 A so that every car charges (the costliest case), the CTs' saturation above
// that. From about 5 cars on the currents exceed the ag63's measuring range: the ADC clips,
// which costs what an unclipped sample costs.
Scenario with_chargers(Scenario s, int n) {
  const ChargerSetup first = s.chargers.front();
  s.chargers.clear();
  for (int i = 0; i < n; ++i) {
    ChargerSetup c = first;
    c.charger.id = "CH" + std::to_string(i + 1);
    s.chargers.push_back(c);
  }
  const double cap_a = n * first.charger.car.max_current_a + 25;
  s.balancer.settings.max_current_per_phase_online_a = cap_a;
  s.balancer.settings.supply_max_current_a = cap_a;
  s.fuse.rating_a = cap_a;
  for (auto& ct : s.cts) ct.saturation_current_a = std::max(ct.saturation_current_a, 2 * cap_a);
  return s;
}

// The reference rig sampling at `rate_hz`, with DMA halves of the same 10 ms.
Scenario with_sample_rate(Scenario s, unsigned rate_hz) {
  s.device.dma_frames_per_half = s.device.dma_frames_per_half * rate_hz / s.device.sample_rate_hz;
  s.device.sample_rate_hz = rate_hz;
  return s;
}

std::string fmt(const char* format, double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, v);
  return buffer;
}

void print_series(const char* what, const Series& s, const std::string& target) {
  if (!s.ok()) {
    std::printf("  %-18s failed: %s\n", what, s.error.c_str());
    return;
  }
  std::printf("  %-18s %10.3f s   (%zu runs: %.3f-%.3f s)\n", "wall", s.best_wall_s(),
              s.wall_s.size(), s.best_wall_s(), s.worst_wall_s());
  std::printf("  %-18s %10.0f x   (runs %.0f-%.0f x; CPU time %.0f x)%s\n", what, s.factor(),
              s.slowest_factor(), s.factor(), s.cpu_factor(), target.c_str());
}

// JSON, by hand: a handful of numbers and strings in nested objects. Numbers in 17 digits, so
// that figures compared between commits are the doubles measured.
class Json {
 public:
  Json() { m_first.push_back(true); }
  void open(const std::string& key) {
    field(key) << "{";
    m_first.push_back(true);
  }
  void close() {
    m_first.pop_back();
    m_out << "\n" << indent() << "}";
  }
  void number(const std::string& key, double v) { field(key) << json_number(v); }
  void text(const std::string& key, const std::string& v) { field(key) << json_quote(v); }
  void boolean(const std::string& key, bool v) { field(key) << (v ? "true" : "false"); }
  void numbers(const std::string& key, const std::vector<double>& v) {
    field(key) << "[";
    for (std::size_t i = 0; i < v.size(); ++i) m_out << (i ? ", " : "") << json_number(v[i]);
    m_out << "]";
  }
  // A timed configuration: its simulated time, best wall time, every run's, and the factors.
  void series(const std::string& key, const Series& s, const std::function<void()>& more = {}) {
    open(key);
    number("simulated_s", s.sim_s);
    if (s.ok()) {
      number("wall_s", s.best_wall_s());
      numbers("wall_s_runs", s.wall_s);
      number("real_time_factor", s.factor());
      numbers("real_time_factor_range", {s.slowest_factor(), s.factor()});
      number("cpu_real_time_factor", s.cpu_factor());
    } else {
      text("error", s.error);
    }
    if (more) more();
    close();
  }
  std::string str() const { return "{" + m_out.str() + "\n}\n"; }

 private:
  std::ostream& field(const std::string& key) {
    m_out << (m_first.back() ? "" : ",") << "\n" << indent() << json_quote(key) << ": ";
    m_first.back() = false;
    return m_out;
  }
  std::string indent() const { return std::string(2 * m_first.size(), ' '); }
  std::ostringstream m_out;
  std::vector<bool> m_first;  // per open object: no field written yet
};

}  // namespace

int run_bench(const BenchOptions& options) {
  bool all_ok = true;
  Json json;
  json.number("repeat", options.repeat);

  // The sweep first: its runs are processes forked from this one.
  if (!options.sweep_file.empty()) {
    const sweep::Throughput sweep = sweep::measure_throughput(options.sweep_file, options.jobs);
    const double per_run_s = sweep.runs ? sweep.sim_s / static_cast<double>(sweep.runs) : 0;
    std::printf("sweep throughput (%s: %zu runs of %.0f s simulated, %d processes)\n",
                options.sweep_file.c_str(), sweep.runs, per_run_s, options.jobs);
    std::printf("  wall             %10.3f s\n", sweep.wall_s);
    std::printf("  runs per minute  %10.0f     (target >= 600 runs/min of 30 s runs on 2 cores)\n",
                sweep.runs_per_min());
    std::printf("  passed           %6zu/%zu\n\n", sweep.passed, sweep.runs);
    all_ok = all_ok && sweep.passed == sweep.runs;
    json.open("sweep");
    json.text("file", options.sweep_file);
    json.number("runs", static_cast<double>(sweep.runs));
    json.number("passed", static_cast<double>(sweep.passed));
    json.number("processes", options.jobs);
    json.number("wall_s", sweep.wall_s);
    json.number("simulated_s", sweep.sim_s);
    json.number("runs_per_min", sweep.runs_per_min());
    json.number("target", kSweepTarget);
    json.close();
  }

  const std::string bench_dir = options.source_dir + "/scenarios/bench/";
  const Scenario reference = load_scenario(bench_dir + "reference.yaml");
  const double d = options.duration_s;
  const int repeat = options.repeat;

  // 1 and 3: the reference rig and the plain loop, alternately.
  const auto [rig, plain] = measure_pair(reference, d, repeat);
  std::printf(
      "reference rig (%s: ag63, 3 V + 3 I at %u Hz, firmware, balancer, %zu charger, "
      "%zu loads; best of %d)\n",
      (bench_dir + "reference.yaml").c_str(), reference.device.sample_rate_hz,
      reference.chargers.size(), reference.loads.size(), repeat);
  std::printf("  %-18s %10.1f s\n", "simulated", d);
  print_series("real-time factor", rig, "   target >= 2000 x");
  if (rig.ok()) {
    std::printf("  %-18s %10.2f M frames/s (6 channels each)\n", "sample frames",
                d * reference.device.sample_rate_hz / rig.best_wall_s() / 1e6);
  }
  std::printf("plain loop (the same models, firmware and balancing in a for-loop, no SystemC)\n");
  print_series("real-time factor", plain, "");
  const bool pair_ok = rig.ok() && plain.ok();
  const double ratio = pair_ok ? rig.factor() / plain.factor() : 0;
  const bool same_state = pair_ok && rig.same_state && plain.same_state && rig.state == plain.state;
  if (pair_ok) {
    std::printf("  %-18s %10.2f     (CPU time %.2f; target >= 0.8)\n", "rig / plain loop", ratio,
                rig.cpu_factor() / plain.cpu_factor());
    std::size_t differ = 0;
    for (std::size_t i = 0; i < std::min(rig.state.size(), plain.state.size()); ++i) {
      differ += rig.state[i] != plain.state[i];
    }
    std::printf(
        "  %-18s %10s     (%zu values: measurements, energy registers, windows, "
        "telemetry, true energies, fuse, chargers, balancer%s)\n",
        "same end state", same_state ? "yes" : "NO", rig.state.size(),
        same_state ? "" : (", " + std::to_string(differ) + " differ").c_str());
  }
  all_ok = all_ok && pair_ok && same_state;
  json.series("reference_rig", rig, [&] {
    json.text("scenario", "scenarios/bench/reference.yaml");
    json.number("sample_rate_hz", reference.device.sample_rate_hz);
    json.number("chargers", static_cast<double>(reference.chargers.size()));
    json.number("target", kReferenceTarget);
  });
  json.series("plain_loop", plain, [&] {
    json.number("rig_over_plain", ratio);
    json.number("target", kPlainRatioTarget);
    json.boolean("same_end_state", same_state);
    json.number("end_state_values", static_cast<double>(rig.state.size()));
  });

  // 2: the 24-hour solar day.
  if (options.solar_day) {
    const Scenario day = load_scenario(bench_dir + "solar_day.yaml");
    const Series s = measure(time_rig, day, kSolarDayS, 1);
    std::printf(
        "24-hour solar day (%s: the reference rig with a 6 kW clear-sky PV day and "
        "clouds)\n",
        (bench_dir + "solar_day.yaml").c_str());
    std::printf("  %-18s %10.0f s\n", "simulated", kSolarDayS);
    if (s.ok()) {
      std::printf("  %-18s %10.1f s     (CPU %.1f s; target < 60 s)\n", "wall", s.best_wall_s(),
                  *std::min_element(s.cpu_s.begin(), s.cpu_s.end()));
      std::printf("  %-18s %10.0f x\n", "real-time factor", s.factor());
    } else {
      std::printf("  failed: %s\n", s.error.c_str());
    }
    all_ok = all_ok && s.ok();
    json.series("solar_day", s, [&] {
      json.text("scenario", "scenarios/bench/solar_day.yaml");
      json.number("target_wall_s", kSolarDayTargetS);
    });
  }

  // 4: the RTL ADC.
  const Series rtl = measure_rtl_mode(reference, d, repeat);
  std::printf(
      "RTL ADC mode (the reference rig with device.adc: rtl: six delta-sigma modulators at "
      "%.3f MHz into the verilated sinc3 decimator; best of %d)\n",
      reference.rtl_adc.modulator_clock_hz / 1e6, repeat);
  print_series("real-time factor", rtl, "   target >= 20 x");
  all_ok = all_ok && rtl.ok();
  json.series("rtl_mode", rtl, [&] {
    json.number("modulator_clock_hz", reference.rtl_adc.modulator_clock_hz);
    json.number("target", kRtlTarget);
  });

  // 6: scale.
  if (options.scale) {
    std::printf("\nscale (the reference rig, %.0f s simulated, best of %d)\n", d, repeat);
    std::printf("  %-30s %10s %10s %10s\n", "", "rig [x]", "plain [x]", "rig/plain");
    json.open("scale");
    json.text("channels", kFixedChannels);
    const auto row = [&](const std::string& label, const std::string& key, const Scenario& s) {
      const auto [r, p] = measure_pair(s, d, repeat);
      all_ok = all_ok && r.ok() && p.ok();
      if (r.ok() && p.ok()) {
        std::printf("  %-30s %10.0f %10.0f %10.2f\n", label.c_str(), r.factor(), p.factor(),
                    r.factor() / p.factor());
      } else {
        std::printf("  %-30s failed: %s\n", label.c_str(), (r.ok() ? p : r).error.c_str());
      }
      json.open(key);
      json.series("rig", r);
      json.series("plain_loop", p);
      json.close();
    };
    for (int n : kScaleChargers) {
      row(std::to_string(n) + (n == 1 ? " charger (the reference)" : " chargers"),
          "chargers_" + std::to_string(n), with_chargers(reference, n));
    }
    for (unsigned rate_hz : kScaleRatesHz) {
      row("1 charger, " + fmt("%.1f kHz", rate_hz / 1000.0),
          "sample_rate_" + std::to_string(rate_hz), with_sample_rate(reference, rate_hz));
    }
    std::printf("  channels: %s\n", kFixedChannels);
    json.close();
  }

  if (!options.json_path.empty()) {
    std::ofstream out(options.json_path);
    out << json.str();
    if (!out) {
      std::fprintf(stderr, "amprig bench: cannot write %s\n", options.json_path.c_str());
      return 2;
    }
  }
  return all_ok ? 0 : 1;
}

}  // namespace amprig
