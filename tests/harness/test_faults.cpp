// The fault catalogue: the `faults:` key, the restore of what a fault replaced, the names the
// rig registers as faults with their groups, and the NVM corruption the firmware must survive.
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <functional>
#include <sstream>

#include "rig/hal_adapters.h"
#include "rig/rig.h"
#include "scenario/run.h"
#include "settings/settings_store.h"
#include "signals/signal_registry.h"
#include "temp_file.h"

using namespace amprig;

BOOST_TEST_DONT_PRINT_LOG_VALUE(amprig::Step::Kind)
BOOST_TEST_DONT_PRINT_LOG_VALUE(amprig::fw::Status)

namespace {

ScenarioError error_of(const std::string& text) {
  TempFile file("bad_faults.yaml", text);
  try {
    load_scenario(file.path());
  } catch (const ScenarioError& e) {
    return e;
  }
  BOOST_FAIL("no error");
  throw std::logic_error("unreachable");
}

void check_error(const std::string& text, int line, const std::string& key,
                 const std::string& fragment) {
  const ScenarioError e = error_of(text);
  BOOST_TEST_INFO("message: " << e.what());
  BOOST_TEST(e.where().line == line);
  BOOST_TEST(e.key() == key);
  BOOST_TEST(std::string(e.what()).find(fragment) != std::string::npos);
  BOOST_TEST(std::string(e.what()).find("bad_faults.yaml:" + std::to_string(line) + ":") !=
             std::string::npos);
}

ScenarioResult run_one(const TempFile& file) {
  const auto results = run_scenarios({file.path()}, RunOptions{}, {});
  BOOST_REQUIRE(results.size() == 1u);
  return results[0];
}

// Runs `body` in a child process, where a rig may be elaborated (SystemC builds one design per
// process), and returns what it reports: one line per problem.
std::vector<std::string> in_child(const std::function<std::vector<std::string>()>& body) {
  int fds[2];
  BOOST_REQUIRE(pipe(fds) == 0);
  const pid_t pid = fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    std::string out;
    try {
      for (const auto& line : body()) out += line + "\n";
    } catch (const std::exception& e) {
      out += std::string("exception: ") + e.what() + "\n";
    }
    for (std::size_t done = 0; done < out.size();) {
      const ssize_t n = write(fds[1], out.data() + done, out.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    _exit(0);
  }
  close(fds[1]);
  std::string all;
  char buffer[4096];
  for (ssize_t n; (n = read(fds[0], buffer, sizeof buffer)) > 0;)
    all.append(buffer, static_cast<std::size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0), "the child died");
  std::vector<std::string> lines;
  std::istringstream in(all);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

const char* kWithCharger = R"(scenario: catalogue
plant:
  loads:
    - { name: house, phases: [L1, L2, L3], current_a: 5 }
  chargers:
    - id: CH1
      car: { phases: 3, max_current_a: 16, plugged_at: 0s }
)";

}  // namespace

BOOST_AUTO_TEST_SUITE(faults)

BOOST_AUTO_TEST_CASE(a_fault_with_a_duration_is_a_set_and_a_restore) {
  TempFile file("faults.yaml", R"(scenario: faults
faults:
  - { name: mains.level, value: 0.5, at: 2s, duration: 300ms }
  - { name: ct1.reversed, value: true, at: 1s }
steps:
  - at: 2s
    expect: { meter.L1.voltage_v: { min: 0 } }
  - at: 2300ms
    set: { loads.x.current_a: 1 }
)");
  const Scenario s = load_scenario(file.path());
  BOOST_REQUIRE(s.steps.size() == 5u);
  // In time order; at equal times the faults come before the file's steps.
  BOOST_TEST(s.steps[0].start_ns == 1'000'000'000);
  BOOST_TEST(s.steps[0].sets[0].signal == "ct1.reversed");
  BOOST_TEST(s.steps[0].sets[0].value == "true");
  BOOST_TEST(s.steps[1].start_ns == 2'000'000'000);
  BOOST_TEST(s.steps[1].sets[0].signal == "mains.level");
  BOOST_TEST(s.steps[1].sets[0].save_as == "faults[0]");
  BOOST_TEST(s.steps[1].sets[0].key == "faults[0].name");
  BOOST_TEST(s.steps[1].sets[0].where.line == 3);
  BOOST_TEST(s.steps[2].expects.size() == 1u);
  BOOST_TEST(s.steps[3].start_ns == 2'300'000'000);
  BOOST_TEST(s.steps[3].sets[0].signal == "mains.level");
  BOOST_TEST(s.steps[3].sets[0].restore_from == "faults[0]");
  BOOST_TEST(s.steps[3].sets[0].value.empty());
  BOOST_TEST(s.steps[4].sets[0].signal == "loads.x.current_a");
  BOOST_TEST(s.duration_ns == 2'300'000'000);
}

BOOST_AUTO_TEST_CASE(malformed_faults_name_file_line_and_key) {
  check_error("faults: { name: mains.level }\n", 1, "faults", "expected a list");
  check_error("faults:\n  - { value: 1, at: 1s }\n", 2, "faults[0].name", "needs the signal");
  check_error("faults:\n  - { name: mains.level, at: 1s }\n", 2, "faults[0].value",
              "needs a value");
  check_error("faults:\n  - { name: mains.level, value: 0.5 }\n", 2, "faults[0].at", "start time");
  check_error(
      "faults:\n  - { name: a, value: 1, at: 1s }\n  - { name: mains.level, value: 0.5, "
      "at: 1s, duration: soon }\n",
      3, "faults[1].duration", "not a duration");
  check_error("faults:\n  - { name: mains.level, value: 0.5, at: 1s, until: 2s }\n", 2,
              "faults[0].until", "allowed here: name, value, at, duration, note");
  check_error("faults:\n  - { name: mains.level, value: [1, 2], at: 1s }\n", 2, "faults[0].value",
              "a single value");
}

BOOST_AUTO_TEST_CASE(unknown_fault_names_are_rejected_before_the_run_with_suggestions) {
  TempFile file("unknown_fault.yaml", R"(scenario: unknown_fault
faults:
  - { name: mains.levl, value: 0.5, at: 5s, duration: 1s }
)");
  const auto r = run_one(file);
  BOOST_TEST(to_string(r.outcome) == std::string("ERROR"));
  BOOST_TEST_INFO(r.error);
  BOOST_TEST(r.error.find(file.path() + ":3") != std::string::npos);
  BOOST_TEST(r.error.find("faults[0].name") != std::string::npos);
  BOOST_TEST(r.error.find("did you mean mains.level") != std::string::npos);
  BOOST_TEST(r.sim_s == 0.0);  // before the simulation started

  // A bad value too, and a read-only signal, whose restore would fail the same way.
  TempFile range("range_fault.yaml",
                 "faults:\n  - { name: mains.level, value: 5, at: 1s, duration: 1s }\n");
  const auto rr = run_one(range);
  BOOST_TEST(to_string(rr.outcome) == std::string("ERROR"));
  BOOST_TEST_INFO(rr.error);
  BOOST_TEST(rr.error.find(":2:") != std::string::npos);
  BOOST_TEST(rr.error.find("[0, 2]") != std::string::npos);
  BOOST_TEST(rr.sim_s == 0.0);
  TempFile read_only(
      "read_only_fault.yaml",
      "faults:\n  - { name: adc.dropped_buffers, value: 1, at: 1s, duration: 1s }\n");
  const auto ro = run_one(read_only);
  BOOST_TEST(to_string(ro.outcome) == std::string("ERROR"));
  BOOST_TEST(ro.error.find("read-only") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_restore_sets_back_what_the_fault_replaced) {
  // mains.L2.level is 0.8 from 1 s by a step; a fault swells it to 1.1 from 2 s for 1 s: at
  // 3 s it returns to 0.8, not to the scenario's initial 1. Two faults on one signal, the
  // second inside the first, each restore their own value.
  TempFile file("restore.yaml", R"(scenario: restore
faults:
  - { name: mains.L2.level, value: 1.1, at: 2s, duration: 1s }
  - { name: mains.frequency_hz, value: 52, at: 4s, duration: 2s }
  - { name: mains.frequency_hz, value: 48, at: 5s, duration: 500ms }
steps:
  - { at: 1s, set: { mains.L2.level: 0.8 } }
  - at: 2500ms
    expect: { mains.L2.level: 1.1, plant.L2.voltage_v: { value: 253, tolerance_pct: 0.001 } }
  - at: 3s
    expect: { mains.L2.level: 0.8, plant.L2.voltage_v: { value: 184, tolerance_pct: 0.001 } }
  - { at: 4500ms, expect: { plant.frequency_hz: 52 } }
  - { at: 5200ms, expect: { plant.frequency_hz: 48 } }
  - { at: 5500ms, expect: { plant.frequency_hz: 52 } }
  - { at: 6s, expect: { plant.frequency_hz: 50 } }
  - at: 7s
    expect: { meter.frequency_hz: { value: 50, tolerance_abs: 0.01 } }
)");
  const auto r = run_one(file);
  BOOST_TEST_INFO(r.error);
  for (const auto& f : r.failures) BOOST_TEST_INFO(f.message);
  BOOST_TEST(to_string(r.outcome) == std::string("PASS"));
  BOOST_TEST(r.expectations == 9);
}

BOOST_AUTO_TEST_CASE(signal_groups_ranges_and_whole_numbers) {
  BOOST_TEST(fault_group("mains.neutral.lost") == "plant");
  BOOST_TEST(fault_group("ct2.saturation_current_a") == "plant");
  BOOST_TEST(fault_group("voltage.L1.connected") == "plant");
  BOOST_TEST(fault_group("adc.stuck_bit") == "ADC");
  BOOST_TEST(fault_group("device.brownout_ms") == "device");
  BOOST_TEST(fault_group("nvm.corrupt") == "device");
  BOOST_TEST(fault_group("button.reset") == "device");
  BOOST_TEST(fault_group("cartridge.present") == "device");
  BOOST_TEST(fault_group("network.cloud.reachable") == "network");
  BOOST_TEST(fault_group("charger.CH1.car_delay_s") == "charger");

  SignalRegistry r;
  double bit = -1;
  Signal stuck = make_number(
      "adc.stuck_bit", "bit", "", [&] { return bit; }, [&](double v) { bit = v; }, true, -1, 15);
  stuck.integer = true;
  r.add(stuck);
  BOOST_TEST(r.at("adc.stuck_bit").group == "ADC");  // filled in from the name
  BOOST_TEST(describe_range(r.at("adc.stuck_bit")) == "whole -1 .. 15");
  r.set_from_text("adc.stuck_bit", "3");
  BOOST_TEST(bit == 3.0);
  BOOST_CHECK_THROW(r.set_from_text("adc.stuck_bit", "2.5"), std::invalid_argument);
  BOOST_CHECK_THROW(r.set_from_text("adc.stuck_bit", "16"), std::invalid_argument);
  r.add(make_bool("meter.synchronised", "", [] { return true; }));
  BOOST_TEST(r.at("meter.synchronised").group.empty());  // not a fault: no group
  BOOST_TEST(describe_range(r.at("meter.synchronised")) == "true|false");
}

BOOST_AUTO_TEST_CASE(the_rig_registers_every_fault_of_the_catalogue) {
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"ct1.saturation_current_a", "plant"},
      {"ct3.phase", "plant"},
      {"mains.neutral.lost", "plant"},
      {"mains.L2.level", "plant"},
      {"mains.level", "plant"},
      {"mains.L3.lost", "plant"},
      {"mains.frequency_hz", "plant"},
      {"mains.frequency_drift_hz_per_s", "plant"},
      {"mains.h3_pct", "plant"},
      {"mains.h13_pct", "plant"},
      {"mains.sequence", "plant"},
      {"voltage.L2.connected", "plant"},
      {"adc.offset_lsb", "ADC"},
      {"adc.gain_error_pct", "ADC"},
      {"adc.noise_lsb_rms", "ADC"},
      {"adc.stuck_bit", "ADC"},
      {"adc.stuck_bit_value", "ADC"},
      {"adc.clip_lsb", "ADC"},
      {"adc.drop_buffers", "ADC"},
      {"adc.clock_jitter_ns", "ADC"},
      {"device.brownout_ms", "device"},
      {"device.power", "device"},
      {"nvm.power_cut_after_bytes", "device"},
      {"button.reset", "device"},
      {"nvm.corrupt", "device"},
      {"nvm.corrupt_byte", "device"},
      {"nvm.corrupt_mask", "device"},
      {"cartridge.present", "device"},
      {"network.device_link.down", "network"},
      {"network.device_link.frozen", "network"},
      {"network.device_link.latency_s", "network"},
      {"network.device_link.loss_pct", "network"},
      {"network.cloud.reachable", "network"},
      {"network.lan.connected", "network"},
      {"network.dhcp.available", "network"},
      {"network.wifi.present", "network"},
      {"charger.CH1.link_lost", "charger"},
      {"charger.CH1.link.latency_s", "charger"},
      {"charger.CH1.link.loss_pct", "charger"},
      {"charger.CH1.car_ignores_limit", "charger"},
      {"charger.CH1.car_delay_s", "charger"},
  };
  TempFile file("catalogue.yaml", kWithCharger);
  const std::string path = file.path();
  const auto problems = in_child([&] {
    std::vector<std::string> out;
    const Scenario scenario = load_scenario(path);
    Rig rig("rig", scenario);
    const SignalRegistry& signals = rig.signals();
    for (const auto& [name, group] : expected) {
      const Signal* s = signals.find(name);
      if (s == nullptr) {
        out.push_back(name + ": missing");
        continue;
      }
      if (!s->fault) out.push_back(name + ": not marked as a fault");
      if (s->group != group) out.push_back(name + ": group " + s->group + ", expected " + group);
      if (!s->settable()) out.push_back(name + ": not settable");
    }
    bool any_fault = false;
    for (const Signal* s : signals.all()) {
      if (!s->fault) continue;
      any_fault = true;
      bool known_group = false;
      for (const char* g : kFaultGroups) known_group = known_group || s->group == g;
      if (!known_group) out.push_back(s->name + ": unknown group '" + s->group + "'");
      if (s->description.empty()) out.push_back(s->name + ": no description");
      if (!s->settable()) out.push_back(s->name + ": a fault that cannot be set");
      // What a restore sets back must be a value the signal accepts.
      try {
        parse_value(*s, to_string(s->get()));
      } catch (const std::exception& e) {
        out.push_back(s->name + ": its own value is refused: " + e.what());
      }
    }
    if (!any_fault) out.push_back("no faults at all");
    // Counters and measurements are not faults.
    for (const char* name : {"adc.dropped_buffers", "nvm.corruptions", "plant.neutral.voltage_v",
                             "adc.clipped_samples", "ct1.saturated"}) {
      const Signal* s = signals.find(name);
      if (s == nullptr)
        out.push_back(std::string(name) + ": missing");
      else if (s->fault || s->settable())
        out.push_back(std::string(name) + ": should be read-only");
    }
    return out;
  });
  for (const auto& p : problems) BOOST_ERROR(p);
}

BOOST_AUTO_TEST_CASE(a_corrupted_record_falls_back_to_the_other_slot) {
  // The firmware's store on the rig's flash: two saves fill both slots; a bit flipped in the
  // newest makes its CRC fail, so the older one loads; both flipped, none does.
  RamNvm nvm(8192, 1024);
  fw::SettingsStore store(nvm);
  fw::InstallationSettings first, second;
  first.fuse_a = 40;
  second.fuse_a = 32;
  BOOST_REQUIRE((store.save(first) == fw::Status::ok));   // slot 0, sequence 1
  BOOST_REQUIRE((store.save(second) == fw::Status::ok));  // slot 1, sequence 2
  fw::InstallationSettings loaded;
  BOOST_REQUIRE((store.load(&loaded) == fw::Status::ok));
  BOOST_TEST(loaded.fuse_a == 32.0f);
  const std::uint64_t programmed = nvm.bytes_programmed();
  nvm.flip_bits(1 * 1024 + 12, 0x01);                // slot 1, the first payload byte
  BOOST_TEST(nvm.bytes_programmed() == programmed);  // not a write
  BOOST_REQUIRE((store.load(&loaded) == fw::Status::ok));
  BOOST_TEST(loaded.fuse_a == 40.0f);
  nvm.flip_bits(0 * 1024 + 20, 0x80);
  BOOST_TEST((store.load(&loaded) == fw::Status::unavailable));
  BOOST_TEST(loaded.fuse_a == fw::InstallationSettings{}.fuse_a);
  nvm.flip_bits(1 * 1024 + 12, 0x01);  // flipped back: slot 1 is whole again
  BOOST_REQUIRE((store.load(&loaded) == fw::Status::ok));
  BOOST_TEST(loaded.fuse_a == 32.0f);
}

BOOST_AUTO_TEST_SUITE_END()
