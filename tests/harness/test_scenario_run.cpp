// Scenarios run end to end, each in its own process, through the same entry
// point as `amprig run`.
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>

#include "scenario/run.h"
#include "temp_file.h"

using namespace amprig;

namespace {

ScenarioResult run_one(const TempFile& file, RunOptions options = {}) {
  const auto results = run_scenarios({file.path()}, options, {});
  BOOST_REQUIRE(results.size() == 1u);
  return results[0];
}

const char* kMeasure = R"(scenario: measure
seed: 3
plant:
  loads:
    - { name: heater, phases: [L1, L2, L3], current_a: 10 }
steps:
  - at: 1s
    expect:
      led.logo: on
      meter.L1.voltage_v: { value: plant.L1.voltage_v, tolerance_pct: 2 }
      meter.L2.current_a: { value: 10, tolerance_pct: 2 }
)";

}  // namespace

BOOST_AUTO_TEST_CASE(a_measurement_scenario_passes_end_to_end) {
  TempFile file("measure.yaml", kMeasure);
  const auto r = run_one(file);
  BOOST_TEST_INFO(r.error << r.output);
  BOOST_TEST(to_string(r.outcome) == std::string("PASS"));
  BOOST_TEST(r.expectations == 3);
  BOOST_TEST(r.sim_s == 1.0);
}

BOOST_AUTO_TEST_CASE(a_measurement_scenario_passes_on_the_rtl_adc) {
  // The same expectations as above on the delta-sigma modulators and the verilated decimator.
  std::string text = kMeasure;
  text += "      device.adc: rtl\n      adc.clipped_samples: 0\ndevice: { adc: rtl }\n";
  TempFile file("measure_rtl.yaml", text);
  const auto r = run_one(file);
  BOOST_TEST_INFO(r.error << r.output);
  BOOST_TEST(to_string(r.outcome) == std::string("PASS"));
  BOOST_TEST(r.expectations == 5);
}

BOOST_AUTO_TEST_CASE(a_broken_expectation_names_signal_expected_actual_time_file_and_line) {
  TempFile file("broken.yaml", R"(scenario: broken
plant:
  loads:
    - { name: heater, phases: [L1], current_a: 10 }
steps:
  - at: 1s
    set: { loads.heater.current_a: 12 }
  - at: 1500ms
    expect:
      meter.L1.current_a: { value: 20, tolerance_pct: 2 }
)");
  const auto r = run_one(file);
  BOOST_TEST(to_string(r.outcome) == std::string("FAIL"));
  BOOST_REQUIRE(r.failures.size() == 1u);
  const auto& f = r.failures[0];
  BOOST_TEST_INFO(f.message);
  BOOST_TEST(f.signal == "meter.L1.current_a");
  BOOST_TEST(f.where == file.path() + ":10");
  BOOST_TEST(f.time_s == 1.5);
  BOOST_TEST(f.message.find(file.path() + ":10") != std::string::npos);
  BOOST_TEST(f.message.find("meter.L1.current_a") != std::string::npos);
  BOOST_TEST(f.message.find("at 1.500 s") != std::string::npos);
  BOOST_TEST(f.message.find("expected 20 ±2 % [19.6, 20.4]") != std::string::npos);
  // The actual value is the measured 12 A, give or take class 2.
  const double actual = std::stod(f.actual);
  BOOST_TEST(actual > 11.76);
  BOOST_TEST(actual < 12.24);
}

BOOST_AUTO_TEST_CASE(within_and_during_windows) {
  TempFile file("windows.yaml", R"(scenario: windows
plant:
  loads:
    - { name: heater, phases: [L1], current_a: 10 }
steps:
  - at: 1s
    set: { loads.heater.current_a: 20 }
  - at: 1s
    within: 1s
    expect: { meter.L1.current_a: { min: 19.5 } }
  - during: [500ms, 2s]
    expect: { meter.L1.current_a: { max: 15 } }
)");
  const auto r = run_one(file);
  BOOST_TEST(to_string(r.outcome) == std::string("FAIL"));
  // `within` is met once the firmware's next window has seen 20 A; `during`
  // breaks at the first check after that, and only that first instant is reported.
  BOOST_REQUIRE(r.failures.size() == 1u);
  BOOST_TEST(r.failures[0].where == file.path() + ":12");
  BOOST_TEST(r.failures[0].time_s > 1.0);
  BOOST_TEST(r.failures[0].time_s <= 1.5);
  BOOST_TEST(r.failures[0].message.find("during [0.500 s, 2.000 s]") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_unknown_signal_is_an_error_with_suggestions) {
  TempFile file("unknown.yaml", R"(scenario: unknown
steps:
  - at: 1s
    set: { ct2.revrsed: true }
)");
  const auto r = run_one(file);
  BOOST_TEST(to_string(r.outcome) == std::string("ERROR"));
  BOOST_TEST_INFO(r.error);
  BOOST_TEST(r.error.find(file.path() + ":4") != std::string::npos);
  BOOST_TEST(r.error.find("ct2.revrsed") != std::string::npos);
  BOOST_TEST(r.error.find("did you mean ct2.reversed") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_bad_value_is_an_error_saying_what_is_allowed) {
  TempFile file("badvalue.yaml", "steps:\n  - at: 1s\n    set: { ct1.phase: L7 }\n");
  const auto r = run_one(file);
  BOOST_TEST(to_string(r.outcome) == std::string("ERROR"));
  BOOST_TEST_INFO(r.error);
  BOOST_TEST(r.error.find(":3:") != std::string::npos);
  BOOST_TEST(r.error.find("L1|L2|L3") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(same_scenario_and_seed_give_identical_traces) {
  TempFile file("repeat.yaml", kMeasure);
  const std::string a = file.path() + ".a.vcd";
  const std::string b = file.path() + ".b.vcd";
  RunOptions options;
  options.vcd_path = a;
  run_one(file, options);
  options.vcd_path = b;
  run_one(file, options);
  const std::string ta = slurp(a);
  const std::string tb = slurp(b);
  BOOST_TEST(ta.size() > 1000u);
  BOOST_TEST(ta.find("$var real 64") != std::string::npos);
  BOOST_TEST(ta.find("voltage_v") != std::string::npos);
  BOOST_TEST(ta == tb);
  std::remove(a.c_str());
  std::remove(b.c_str());
}

BOOST_AUTO_TEST_CASE(a_hung_scenario_times_out_without_stopping_the_others) {
  TempFile slow("slow.yaml", "duration: 10h\n");
  TempFile quick("quick.yaml", kMeasure);
  RunOptions options;
  options.timeout_s = 1;
  options.jobs = 2;
  const auto results = run_scenarios({slow.path(), quick.path()}, options, {});
  BOOST_REQUIRE(results.size() == 2u);
  BOOST_TEST(to_string(results[0].outcome) == std::string("ERROR"));
  BOOST_TEST(results[0].error.find("timed out") != std::string::npos);
  BOOST_TEST(to_string(results[1].outcome) == std::string("PASS"));
}
