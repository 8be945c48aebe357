// The benchmark's plain loop (bench/plain_loop.h) against the Rig: the same scenario run for the
// same simulated time by both must end in exactly the same state, down to the last bit of every
// measurement, energy register and balancer value, or the rig/plain ratio `amprig bench` prints
// would compare unequal work.
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <string>
#include <systemc>

#include "bench/child_process.h"
#include "bench/plain_loop.h"
#include "rig/rig.h"
#include "rig/sim_log.h"

using namespace amprig;

namespace {

const std::string kBenchDir = AMPRIG_SOURCE_DIR "/scenarios/bench/";

std::string exact(double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.17g", v);
  return buffer;
}

// Builds the Rig and the loop side by side in a child (both before sc_start, as SystemC wants),
// runs both for `duration_s`, and returns "name rig plain" for every value of the end state
// ("=" between them when equal), so that a failure names what differs.
std::vector<std::string> compare(const Scenario& scenario, double duration_s) {
  const ChildOutcome outcome = run_lines_in_child([&] {
    install_systemc_report_handler();
    Rig rig("rig", scenario);
    PlainLoop loop("plain", scenario);
    sc_core::sc_start(sc_core::sc_time(duration_s, sc_core::SC_SEC));
    loop.run(duration_s);
    const BenchSnapshot a = bench_snapshot(rig);
    const BenchSnapshot b = loop.snapshot();
    std::vector<std::string> lines;
    if (systemc_problem_count() != 0) lines.push_back("SystemC reported problems");
    if (a.size() != b.size()) lines.push_back("snapshots of different sizes");
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
      const bool same = a[i].first == b[i].first && a[i].second == b[i].second;
      lines.push_back(a[i].first + (same ? " = " : " rig ") + exact(a[i].second) +
                      (same ? "" : " plain(" + b[i].first + ") " + exact(b[i].second)));
    }
    return lines;
  });
  BOOST_REQUIRE_MESSAGE(outcome.ok, outcome.error);
  return outcome.lines;
}

// The value of `name` in compare()'s lines (both sides equal), or NaN.
double value_of(const std::vector<std::string>& lines, const std::string& name) {
  for (const auto& line : lines) {
    if (line.rfind(name + " = ", 0) == 0) return std::stod(line.substr(name.size() + 3));
  }
  return std::nan("");
}

void check_same(const std::vector<std::string>& lines) {
  std::size_t equal = 0;
  for (const auto& line : lines) {
    const bool same = line.find(" = ") != std::string::npos;
    BOOST_TEST(same, line);
    equal += same;
  }
  // Measurements, energies and windows, telemetry, the plant's energies and fuse, the balancing.
  BOOST_TEST(equal >= 80u);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(plain_loop)

BOOST_AUTO_TEST_CASE(does_the_reference_rigs_work_to_the_last_bit) {
  const Scenario s = load_scenario(kBenchDir + "reference.yaml");
  const auto lines = compare(s, 60);
  check_same(lines);
  // Not two idle runs: every window measured, energy counted, the charger charging under the
  // balancer, telemetry flowing to it.
  BOOST_TEST(value_of(lines, "meter.window_count") >= 295);
  BOOST_TEST(value_of(lines, "meter.L1.energy_import_mj") > 1e6);
  BOOST_TEST(value_of(lines, "plant.L1.energy_import_wh") > 50);
  BOOST_TEST(value_of(lines, "device.telemetry_sent") >= 50);
  BOOST_TEST(value_of(lines, "balancer.cycles") >= 59);
  BOOST_TEST(value_of(lines, "charger.CH1.energy_wh") > 30);
  BOOST_TEST(value_of(lines, "charger.CH1.current_a") > 12);
}

BOOST_AUTO_TEST_CASE(does_the_solar_days_work_at_noon) {
  // The solar day's inverter at midday, when it feeds in: its path through the loop too.
  Scenario s = load_scenario(kBenchDir + "solar_day.yaml");
  BOOST_REQUIRE(s.solar.size() == 1u);
  s.solar.front().start_time_of_day_h = 11.99;
  const auto lines = compare(s, 30);
  check_same(lines);
  BOOST_TEST(value_of(lines, "meter.L2.energy_export_mj") > 1e5);
}

BOOST_AUTO_TEST_CASE(refuses_what_it_does_not_model) {
  Scenario s = load_scenario(kBenchDir + "reference.yaml");
  BOOST_TEST(PlainLoop::unsupported(s).empty());
  s.adc.stuck_bit = 3;
  BOOST_TEST(!PlainLoop::unsupported(s).empty());
  s.adc.stuck_bit = -1;
  s.device.adc = "rtl";
  BOOST_TEST(!PlainLoop::unsupported(s).empty());
}

BOOST_AUTO_TEST_SUITE_END()
