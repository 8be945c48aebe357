// The scenario parser: what it reads, and what it says about malformed files.
#include <boost/test/unit_test.hpp>

#include "scenario/scenario.h"
#include "temp_file.h"

using namespace amprig;

BOOST_TEST_DONT_PRINT_LOG_VALUE(amprig::fw::Variant)
BOOST_TEST_DONT_PRINT_LOG_VALUE(amprig::Expectation::Kind)
BOOST_TEST_DONT_PRINT_LOG_VALUE(amprig::Step::Kind)
BOOST_TEST_DONT_PRINT_LOG_VALUE(amprig::models::Phase)

namespace {

// Loads `text` and returns the ScenarioError it raises; fails the test if none.
ScenarioError error_of(const std::string& name, const std::string& text) {
  TempFile file(name, text);
  try {
    load_scenario(file.path());
  } catch (const ScenarioError& e) {
    return e;
  }
  BOOST_FAIL("no error for " + name);
  throw std::logic_error("unreachable");
}

void check_error(const std::string& text, int line, const std::string& key,
                 const std::string& fragment) {
  const ScenarioError e = error_of("bad.yaml", text);
  BOOST_TEST_INFO("message: " << e.what());
  BOOST_TEST(e.where().line == line);
  BOOST_TEST(e.key() == key);
  BOOST_TEST(e.where().file.find("bad.yaml") != std::string::npos);
  const std::string what = e.what();
  BOOST_TEST(what.find(fragment) != std::string::npos);
  BOOST_TEST(what.find(":" + std::to_string(line) + ":") != std::string::npos);
}

}  // namespace

BOOST_AUTO_TEST_CASE(durations) {
  BOOST_TEST(parse_duration_ns("250ms") == 250'000'000);
  BOOST_TEST(parse_duration_ns("2s") == 2'000'000'000);
  BOOST_TEST(parse_duration_ns("10min") == 600'000'000'000);
  BOOST_TEST(parse_duration_ns("1h") == 3'600'000'000'000);
  BOOST_TEST(parse_duration_ns("1.5") == 1'500'000'000);
  BOOST_TEST(parse_duration_ns("0.1s") == 100'000'000);
  BOOST_CHECK_THROW(parse_duration_ns("2 parsecs"), std::invalid_argument);
  BOOST_CHECK_THROW(parse_duration_ns("soon"), std::invalid_argument);
  BOOST_CHECK_THROW(parse_duration_ns("-1s"), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(reads_the_contract_keys) {
  TempFile file("good.yaml", R"(scenario: good
description: a full file
seed: 7
device:
  variant: home100
  network: TN
  voltage_inputs: [L1, L2]
  fuse_a: 35
  current_scheme: [L1, L2, L3]
plant:
  mains: { voltage_v: 240, frequency_hz: 60, sequence: [L1, L3, L2],
           harmonics: [ { order: 5, percent: 10 } ] }
  cts:
    ct2: { phase: L3, reversed: true }
  loads:
    - { name: oven, phases: [L1], current_a: 8, power_factor: 1.0 }
    - { name: pump, phases: [L1, L2, L3], current_a: 4, power_factor: 0.8, leading: true }
steps:
  - at: 3s
    expect:
      led.current: red
      meter.L1.current_a: { value: 12, tolerance_pct: 2 }
  - at: 1s
    set: { loads.oven.current_a: 12, ct2.reversed: true }
  - at: 5s
    within: 2s
    expect: { led.voltage: green }
  - during: [5s, 1min]
    expect: { meter.L1.current_a: { min: 6, max: 16 },
              meter.L2.current_a: { not_between: [0.01, 5.99] } }
)");
  const Scenario s = load_scenario(file.path());
  BOOST_TEST(s.id == "good");
  BOOST_TEST(s.seed == 7u);
  BOOST_TEST(s.device.variant == fw::Variant::home100);
  BOOST_TEST(s.device.voltage_inputs[0]);
  BOOST_TEST(!s.device.voltage_inputs[2]);
  BOOST_TEST(!s.dividers[2].connected);
  BOOST_TEST(s.mains.voltage_v == 240);
  BOOST_TEST(s.mains.frequency_hz == 60);
  BOOST_TEST(s.mains.sequence[1] == models::L3);
  BOOST_TEST(s.mains.harmonics.size() == 1u);
  BOOST_TEST(s.mains.harmonics[0].order == 5);
  BOOST_TEST(s.cts[1].phase == models::L3);
  BOOST_TEST(s.cts[1].reversed);
  BOOST_TEST(s.cts[1].ratio == 2000.0);  // home100's 100 A : 50 mA
  BOOST_TEST(s.loads.size() == 2u);
  BOOST_TEST(s.loads[1].leading);
  BOOST_TEST(s.loads[1].phases.size() == 3u);
  BOOST_TEST(s.steps.size() == 4u);
  // Sorted by time, whatever the file's order.
  BOOST_TEST(s.steps[0].start_ns == 1'000'000'000);
  BOOST_TEST(s.steps[0].sets.size() == 2u);
  BOOST_TEST(s.steps[1].expects[1].kind == Expectation::Kind::tolerance);
  BOOST_TEST(*s.steps[1].expects[1].value == 12.0);
  BOOST_TEST(s.steps[1].expects[1].where.line == 22);
  BOOST_TEST(s.steps[2].kind == Step::Kind::within);
  BOOST_TEST(s.steps[2].end_ns == 7'000'000'000);
  BOOST_TEST(s.steps[3].kind == Step::Kind::during);
  BOOST_TEST(s.steps[3].expects[1].kind == Expectation::Kind::not_between);
  BOOST_TEST(s.duration_ns == 60'000'000'000);
  BOOST_TEST(s.adc.seed == 7u);
}

BOOST_AUTO_TEST_CASE(base_files_merge_and_errors_name_the_right_file) {
  TempFile base("base_a.yaml", R"(scenario: base
device: { variant: ag63 }
plant:
  mains: { voltage_v: 230, frequency_hz: 50 }
  loads:
    - { name: heater, phases: [L1], current_a: 5 }
)");
  const std::string base_name = std::filesystem::path(base.path()).filename().string();
  TempFile derived("derived.yaml", "base: " + base_name + R"(
plant:
  mains: { voltage_v: 240 }
steps:
  - at: 1s
    expect: { meter.L1.voltage_v: { value: 240, tolerance_pct: 2 } }
)");
  const Scenario s = load_scenario(derived.path());
  BOOST_TEST(s.id == std::filesystem::path(derived.path()).stem().string());
  BOOST_TEST(s.mains.voltage_v == 240);
  BOOST_TEST(s.mains.frequency_hz == 50);  // kept from the base
  BOOST_TEST(s.loads.size() == 1u);
  BOOST_TEST(s.loads[0].current_a == 5);

  TempFile bad_base("base_b.yaml", "plant:\n  loads:\n    - { name: x, current_a: lots }\n");
  TempFile uses_bad("uses_bad.yaml",
                    "base: " + std::filesystem::path(bad_base.path()).filename().string() +
                        "\nseed: 3\n");
  try {
    load_scenario(uses_bad.path());
    BOOST_FAIL("no error");
  } catch (const ScenarioError& e) {
    BOOST_TEST(e.where().file == bad_base.path());
    BOOST_TEST(e.where().line == 3);
    BOOST_TEST(e.key() == "plant.loads[0].current_a");
  }
}

BOOST_AUTO_TEST_CASE(base_loops_are_an_error) {
  const std::string self = "loop.yaml";
  const ScenarioError e = error_of(self, "base: amprig-test-" + std::to_string(getpid()) + "-" + self + "\n");
  BOOST_TEST(std::string(e.what()).find("loops") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(malformed_files_name_file_line_and_key) {
  check_error("device:\n  variant: ag99\n", 2, "device.variant", "unknown variant 'ag99'");
  check_error("device:\n  varient: ag63\n", 2, "device.varient", "unknown key");
  check_error("plant:\n  mains: { voltage_v: 230, frequency_hz: 70 }\n", 2, "plant.mains.frequency_hz",
              "out of range [45, 65]");
  check_error("plant:\n  mains:\n    sequence: [L1, L2, L4]\n", 3, "plant.mains.sequence",
              "expected L1, L2 or L3");
  check_error("plant:\n  loads:\n    - { phases: [L1], current_a: 3 }\n", 3, "plant.loads[0].name",
              "needs a name");
  check_error("plant:\n  loads:\n    - { name: a, current_a: 3, power_factor: 1.2 }\n", 3,
              "plant.loads[0].power_factor", "out of range");
  check_error("plant:\n  loads:\n    - { name: a }\n    - { name: a }\n", 4, "plant.loads[1].name",
              "two loads");
  check_error("steps:\n  - at: 2 fortnights\n    expect: { led.logo: on }\n", 2, "steps[0].at",
              "unknown unit");
  check_error("steps:\n  - expect: { led.logo: on }\n", 2, "steps[0]", "exactly one of 'at' or 'during'");
  check_error("steps:\n  - at: 1s\n    expect:\n      meter.L1.current_a: { value: 3 }\n", 4,
              "steps[0].expect.meter.L1.current_a", "tolerance");
  check_error("steps:\n  - at: 1s\n    expect:\n      meter.L1.current_a: { min: 5, max: 3 }\n", 4,
              "steps[0].expect.meter.L1.current_a", "min is above max");
  check_error("steps:\n  - during: [5s, 2s]\n    expect: { led.logo: on }\n", 2, "steps[0].during",
              "end is before start");
  check_error("seed: 1\nseed: 2\n", 2, "seed", "twice");
  check_error("plant:\n  mains: { voltage_v: 230\n", 3, "", "YAML syntax error");
  check_error("scenario: x\nsurprise: 1\n", 2, "surprise", "unknown key");
}

BOOST_AUTO_TEST_CASE(installation_solar_and_cartridge_keys) {
  TempFile file("install.yaml", R"(device:
  fuse_a: 35
  supply_voltage_v: 240
  current_scheme: [L2, -L1, L3]
plant:
  cartridge: { present: false }
  solar: { power_w: 4600, phases: [L1, L3], profile: clear_sky, sunrise_h: 5, sunset_h: 21,
           clouds: [ { at: 9h, duration: 10min, depth: 0.7, edge: 30s } ] }
steps:
  - at: 1s
    expect: { settings.last_result: { contains: "rejected" } }
)");
  const Scenario s = load_scenario(file.path());
  BOOST_TEST(s.device.installation.fuse_a == 35.0f);
  BOOST_TEST(s.device.installation.supply_voltage_v == 240.0f);
  BOOST_TEST(s.device.installation.scheme.phase[0] == 1);
  BOOST_TEST(s.device.installation.scheme.phase[1] == 0);
  BOOST_TEST(s.device.installation.scheme.inverted[1]);
  BOOST_TEST(!s.device.installation.scheme.inverted[0]);
  BOOST_TEST(!s.device.cartridge_present);
  BOOST_TEST(s.device.generation);  // solar in the plant means generation is installed
  BOOST_REQUIRE(s.solar.size() == 1u);
  BOOST_TEST(s.solar[0].power_w == 4600);
  BOOST_TEST(s.solar[0].phases.size() == 2u);
  BOOST_TEST(s.solar[0].sunrise_h == 5);
  BOOST_REQUIRE(s.solar[0].clouds.size() == 1u);
  BOOST_TEST(s.solar[0].clouds[0].start_s == 9 * 3600.0);
  BOOST_TEST(s.solar[0].clouds[0].duration_s == 600.0);
  BOOST_TEST(s.steps[0].expects[0].kind == Expectation::Kind::contains);
  BOOST_TEST(s.steps[0].expects[0].exact == "rejected");
}

BOOST_AUTO_TEST_CASE(invalid_installation_settings_name_the_rule) {
  check_error("device:\n  current_scheme: [L1, L1, L3]\n", 2, "device", "installation settings are invalid");
  check_error("device:\n  current_scheme: [L1, L2]\n", 2, "device.current_scheme", "three entries");
  check_error("device:\n  current_scheme: [L1, L2, -L4]\n", 2, "device.current_scheme",
              "expected L1, L2 or L3");
  check_error("plant:\n  solar: { power_w: 100, profile: sunny }\n", 2, "plant.solar.profile",
              "expected constant, ramp or clear_sky");
  check_error("plant:\n  solar: { power_w: 100, clouds: [ { duration: 1s } ] }\n", 2,
              "plant.solar.clouds[0].at", "start time");
  check_error("steps:\n  - at: 1s\n    expect: { led.logo: { contains: o, min: 1 } }\n", 3,
              "steps[0].expect.led.logo", "stands alone");
}

BOOST_AUTO_TEST_CASE(it_networks) {
  TempFile file("it.yaml", R"(device: { variant: ag63, network: IT, voltage_inputs: [L1, L2] }
plant:
  mains: { voltage_v: 230 }
  loads:
    - { name: heater, phases: [L1, L2], current_a: 10 }
    - { name: pump, phases: [L1, L2, L3], current_a: 4 }
)");
  const Scenario s = load_scenario(file.path());
  BOOST_TEST((s.device.installation.network == fw::NetworkType::it));
  BOOST_TEST((s.mains.network == models::Network::it));
  BOOST_TEST(s.dividers[0].star_reference);
  BOOST_TEST(!s.dividers[2].connected);
  BOOST_TEST(s.loads[0].line_to_line);
  BOOST_TEST(!s.loads[1].line_to_line);

  check_error("device: { network: IT }\nplant:\n  loads:\n    - { name: a, phases: [L2], current_a: 1 }\n",
              4, "plant.loads[0].phases", "no neutral");
  check_error("device: { variant: home100, network: IT }\n", 1, "device", "ag63 only");
  check_error("device: { network: TT }\n", 1, "device.network", "expected TN or IT");
}

BOOST_AUTO_TEST_CASE(the_rtl_adc_and_the_rates_it_can_make) {
  TempFile file("rtl.yaml",
                "device:\n  adc: rtl\n  sample_rate_hz: 8000\n"
                "plant:\n  adc: { modulator_clock_hz: 2048000 }\n");
  const Scenario s = load_scenario(file.path());
  BOOST_TEST(s.device.adc == "rtl");
  BOOST_TEST(s.rtl_adc.modulator_clock_hz == 2'048'000u);
  BOOST_TEST(load_scenario(TempFile("plain.yaml", "seed: 2\n").path()).device.adc == "behavioural");

  // The decimator divides the modulator clock by a whole number: the key that broke it is named.
  check_error("device:\n  adc: rtl\n  sample_rate_hz: 7000\n", 3, "device.sample_rate_hz",
              "not a whole multiple of the 7000 Hz sample rate (ratio 146.29)");
  check_error("device:\n  adc: rtl\n  sample_rate_hz: 7000\n", 3, "device.sample_rate_hz",
              "the nearest that fit: 6400 Hz (ratio 160) or 8000 Hz (ratio 128)");
  check_error("device:\n  adc: rtl\nplant:\n  adc: { modulator_clock_hz: 1000000 }\n", 4,
              "plant.adc.modulator_clock_hz", "1000000 Hz modulator clock is not a whole multiple");
  check_error(
      "device:\n  adc: rtl\n  sample_rate_hz: 1000\nplant:\n"
      "  adc: { modulator_clock_hz: 4096000 }\n",
      3, "device.sample_rate_hz", "divides by 2 to 1024");
  check_error("plant:\n  adc: { modulator_clock_hz: 1024000.5 }\n", 2,
              "plant.adc.modulator_clock_hz", "whole number of Hz");
  check_error("device:\n  adc: sigma-delta\n", 2, "device.adc", "expected behavioural or rtl");
  // A behavioural ADC takes any rate.
  BOOST_TEST(load_scenario(TempFile("odd.yaml", "device: { sample_rate_hz: 7000 }\n").path())
                 .device.sample_rate_hz == 7000u);

  // amprig run --adc: every scenario decoded afterwards, whatever its own key says, and the
  // message says where the rtl came from.
  set_adc_override("rtl");
  const std::string plain = load_scenario(TempFile("p.yaml", "seed: 2\n").path()).device.adc;
  const std::string own =
      load_scenario(TempFile("b.yaml", "device: { adc: behavioural }\n").path()).device.adc;
  std::string message;
  try {
    load_scenario(TempFile("odd.yaml", "device: { sample_rate_hz: 7000 }\n").path());
  } catch (const ScenarioError& e) {
    message = e.what();
  }
  set_adc_override("");
  BOOST_TEST(plain == "rtl");
  BOOST_TEST(own == "rtl");
  BOOST_TEST(message.find("odd.yaml:1: key 'device.sample_rate_hz'") != std::string::npos, message);
  BOOST_TEST(message.find("(device.adc is rtl from the command line's --adc)") != std::string::npos,
             message);
  BOOST_TEST(load_scenario(TempFile("p.yaml", "seed: 2\n").path()).device.adc == "behavioural");
}

BOOST_AUTO_TEST_CASE(a_missing_file_is_an_error_not_a_crash) {
  try {
    load_scenario("/nonexistent/scenario.yaml");
    BOOST_FAIL("no error");
  } catch (const ScenarioError& e) {
    BOOST_TEST(std::string(e.what()).find("/nonexistent/scenario.yaml") != std::string::npos);
  }
}
