// Table-driven decision tests: each cases/*.yaml file is one behaviour, run as its own CTest
// test (`test_balancer --run_test=decision_case -- <file>`). Also: the settings and reasons
// tables, and that README.md documents them (`--run_test=readme_tables -- README.md`).
#define BOOST_TEST_MODULE amprig_balancer
#include <yaml-cpp/yaml.h>

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "balancer/balancer.h"

namespace bal = amprig::fw::balancer;

namespace {

template <typename T>
void read_triple(const YAML::Node& node, T (&out)[3]) {
  if (!node) return;
  BOOST_REQUIRE_MESSAGE(node.IsSequence() && node.size() == 3, "expected a list of 3 values");
  for (std::size_t k = 0; k < 3; ++k) out[k] = node[k].as<T>();
}

void read_u8_triple(const YAML::Node& node, std::uint8_t (&out)[3]) {
  int tmp[3] = {out[0], out[1], out[2]};
  read_triple(node, tmp);
  for (std::size_t k = 0; k < 3; ++k) out[k] = static_cast<std::uint8_t>(tmp[k]);
}

bal::Settings read_settings(const YAML::Node& node) {
  bal::Settings s;
  if (!node) return s;
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (key == "phase_order")
      read_u8_triple(v, s.phase_order);
    else if (key == "max_current_per_phase_online_a")
      s.max_current_per_phase_online_a = v.as<double>();
    else if (key == "max_current_per_phase_offline_a")
      s.max_current_per_phase_offline_a = v.as<double>();
    else if (key == "min_current_per_charger_a")
      s.min_current_per_charger_a = v.as<double>();
    else if (key == "supply_max_current_a")
      s.supply_max_current_a = v.as<double>();
    else if (key == "chargers_included_in_measurements")
      s.chargers_included_in_measurements = v.as<bool>();
    else if (key == "peak_adjustment_enabled")
      s.peak_adjustment_enabled = v.as<bool>();
    else if (key == "initial_peak_limit_w")
      s.initial_peak_limit_w = v.as<double>();
    else if (key == "nominal_phase_voltage_v")
      s.nominal_phase_voltage_v = v.as<double>();
    else if (key == "measurement_timeout_s")
      s.measurement_timeout_s = v.as<double>();
    else if (key == "ramp_up_a_per_s")
      s.ramp_up_a_per_s = v.as<double>();
    else if (key == "min_pause_s")
      s.min_pause_s = v.as<double>();
    else if (key == "hysteresis_a")
      s.hysteresis_a = v.as<double>();
    else if (key == "rotation_period_s")
      s.rotation_period_s = v.as<double>();
    else
      BOOST_FAIL("unknown setting: " + key);
  }
  return s;
}

// Applies the keys present in `node` on top of `c`, so a cycle only lists what changes.
void read_charger(const YAML::Node& node, bal::ChargerInput& c) {
  if (!node) return;
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (key == "linked")
      c.linked = v.as<bool>();
    else if (key == "rotation")
      read_u8_triple(v, c.rotation);
    else if (key == "car_phases")
      c.car_phases = static_cast<std::uint8_t>(v.as<int>());
    else if (key == "car_max_current_a")
      c.car_max_current_a = v.as<double>();
    else if (key == "wants_charge")
      c.wants_charge = v.as<bool>();
    else if (key == "drawn_current_a")
      read_triple(v, c.drawn_current_a);
    else if (key == "offline_current_a")
      c.offline_current_a = v.as<double>();
    else if (key == "offline_grid_phase")
      c.offline_grid_phase = static_cast<std::uint8_t>(v.as<int>());
    else if (key == "link_lost_for_s")
      c.link_lost_for_s = v.as<double>();
    else if (key == "link_timeout_s")
      c.link_timeout_s = v.as<double>();
    else
      BOOST_FAIL("unknown charger field: " + key);
  }
}

std::string file_argument(const char* usage) {
  const auto& suite = boost::unit_test::framework::master_test_suite();
  BOOST_REQUIRE_MESSAGE(suite.argc >= 2, usage);
  return suite.argv[1];
}

std::string case_path() {
  return file_argument("usage: test_balancer --run_test=decision_case -- <case.yaml>");
}

// True for exactly the enumerators of Reason. With -Wall -Werror a new enumerator missing from
// this switch fails the build, so the reason_table test below cannot silently miss one.
bool is_reason_enumerator(bal::Reason r) {
  switch (r) {
    case bal::Reason::idle:
    case bal::Reason::car_max:
    case bal::Reason::limited_by_fuse:
    case bal::Reason::limited_by_online_cap:
    case bal::Reason::limited_by_offline_cap:
    case bal::Reason::limited_by_peak:
    case bal::Reason::ramping_up:
    case bal::Reason::paused_below_minimum:
    case bal::Reason::paused_rotation:
    case bal::Reason::paused_min_pause:
    case bal::Reason::offline_reserved:
      return true;
  }
  return false;
}

std::string trim_cell(std::string cell) {
  const auto first = cell.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  cell = cell.substr(first, cell.find_last_not_of(" \t") - first + 1);
  if (cell.size() >= 2 && cell.front() == '`' && cell.back() == '`')
    cell = cell.substr(1, cell.size() - 2);
  return cell;
}

using Row = std::vector<std::string>;

// The rows (header and separator excluded) of the first Markdown table in `lines` whose header's
// first cell is `first_header`.
std::vector<Row> markdown_table(const std::vector<std::string>& lines,
                                const std::string& first_header) {
  std::vector<Row> rows;
  bool in_table = false;
  for (const auto& line : lines) {
    if (line.empty() || line[0] != '|') {
      if (in_table) break;
      continue;
    }
    Row cells;
    std::stringstream ss(line.substr(1));
    std::string cell;
    while (std::getline(ss, cell, '|')) cells.push_back(trim_cell(cell));
    if (!cells.empty() && cells.back().empty()) cells.pop_back();  // after the closing '|'
    if (!in_table) {
      in_table = !cells.empty() && cells[0] == first_header;
      continue;
    }
    if (!cells.empty() && cells[0].find_first_not_of("-: ") == std::string::npos) continue;
    rows.push_back(cells);
  }
  return rows;
}

}  // namespace

BOOST_AUTO_TEST_CASE(decision_case) {
  const std::string path = case_path();
  const YAML::Node doc = YAML::LoadFile(path);
  BOOST_TEST_MESSAGE("case " << path << ": " << doc["description"].as<std::string>(""));
  const bal::Settings settings = read_settings(doc["settings"]);
  BOOST_REQUIRE_MESSAGE(bal::check_settings(settings) == nullptr, "invalid settings");
  const double tol_a = doc["tolerance_a"].as<double>(0.01);

  bal::Balancer balancer(settings);
  bal::Inputs inputs;
  const YAML::Node chargers = doc["chargers"];
  inputs.charger_count = chargers ? chargers.size() : 0;
  BOOST_REQUIRE(inputs.charger_count <= bal::kMaxChargers);
  for (std::size_t i = 0; i < inputs.charger_count; ++i)
    read_charger(chargers[i], inputs.chargers[i]);

  const YAML::Node cycles = doc["cycles"];
  BOOST_REQUIRE_MESSAGE(cycles && cycles.size() > 0, "a case needs cycles");
  std::size_t checked = 0;
  for (std::size_t n = 0; n < cycles.size(); ++n) {
    const YAML::Node cyc = cycles[n];
    const double t_s = cyc["t"].as<double>();
    // A measurement persists until a cycle replaces it or sets `measurement: null`.
    if (cyc["measurement"]) {
      if (cyc["measurement"].IsNull()) {
        inputs.measurement.present = false;
      } else {
        inputs.measurement.present = true;
        inputs.measurement.timestamp_s = cyc["measurement_t"].as<double>(t_s);
        read_triple(cyc["measurement"], inputs.measurement.current_a);
      }
    }
    if (const YAML::Node upd = cyc["chargers"]) {
      BOOST_REQUIRE(upd.size() == inputs.charger_count);
      for (std::size_t i = 0; i < inputs.charger_count; ++i)
        read_charger(upd[i], inputs.chargers[i]);
    }
    const bal::Decision d = balancer.step(inputs, t_s);

    // The invariant that holds for every decision, expected or not.
    for (std::size_t i = 0; i < d.charger_count; ++i) {
      const double sp = d.chargers[i].setpoint_a;
      BOOST_CHECK_MESSAGE(sp == 0.0 || sp >= settings.min_current_per_charger_a - 1e-9,
                          "cycle " << n << " t=" << t_s << " charger " << i << ": setpoint " << sp
                                   << " A is between 0 and the minimum");
    }

    if (const YAML::Node on = cyc["expect_device_online"]) {
      BOOST_CHECK_MESSAGE(d.device_online == on.as<bool>(),
                          "cycle " << n << " t=" << t_s << ": device_online expected "
                                   << on.as<bool>() << ", actual " << d.device_online);
    }
    if (const YAML::Node av = cyc["expect_available_a"]) {
      for (std::size_t p = 0; p < 3; ++p) {
        const double want = av[p].as<double>();
        BOOST_CHECK_MESSAGE(std::fabs(d.available_a[p] - want) <= tol_a,
                            "cycle " << n << " t=" << t_s << " phase L" << p + 1
                                     << ": available expected " << want << " A, actual "
                                     << d.available_a[p] << " A");
      }
    }
    if (const YAML::Node hr = cyc["expect_headroom_a"]) {
      for (std::size_t p = 0; p < 3; ++p) {
        const double want = hr[p].as<double>();
        BOOST_CHECK_MESSAGE(std::fabs(d.headroom_a[p] - want) <= tol_a,
                            "cycle " << n << " t=" << t_s << " phase L" << p + 1
                                     << ": headroom expected " << want << " A, actual "
                                     << d.headroom_a[p] << " A");
      }
    }
    const YAML::Node expect = cyc["expect"];
    if (!expect) continue;
    BOOST_REQUIRE(expect.size() == d.charger_count);
    for (std::size_t i = 0; i < d.charger_count; ++i) {
      const YAML::Node e = expect[i];
      const double actual_a = d.chargers[i].setpoint_a;
      const std::string actual_reason = bal::to_string(d.chargers[i].reason);
      std::ostringstream msg;
      msg << "cycle " << n << " t=" << t_s << " charger " << i << ": expected ";
      bool ok = true;
      if (e["setpoint_a"]) {
        const double want = e["setpoint_a"].as<double>();
        msg << want << " A";
        ok = ok && std::fabs(actual_a - want) <= tol_a;
      }
      if (e["reason"]) {
        const std::string want = e["reason"].as<std::string>();
        msg << " (" << want << ")";
        ok = ok && want == actual_reason;
      }
      msg << ", actual " << actual_a << " A (" << actual_reason << ")";
      BOOST_CHECK_MESSAGE(ok, msg.str());
      ++checked;
    }
  }
  BOOST_TEST(checked > 0u);
}

// The settings table documents exactly the fields of Settings, with the struct's defaults.
BOOST_AUTO_TEST_CASE(settings_table) {
  const bal::Settings s;
  BOOST_TEST(std::size(bal::kSettingInfo) == 15u);
  const auto default_of = [](const char* name) -> std::string {
    for (const auto& info : bal::kSettingInfo) {
      if (std::strcmp(info.name, name) == 0) return info.default_value;
    }
    return "<missing>";
  };
  const auto num = [](double v) {
    std::ostringstream os;
    os << v;
    return os.str();
  };
  BOOST_TEST(default_of("phase_order") == "0,1,2");
  BOOST_TEST(default_of("max_current_per_phase_online_a") == num(s.max_current_per_phase_online_a));
  BOOST_TEST(default_of("max_current_per_phase_offline_a") ==
             num(s.max_current_per_phase_offline_a));
  BOOST_TEST(default_of("min_current_per_charger_a") == num(s.min_current_per_charger_a));
  BOOST_TEST(default_of("supply_max_current_a") == num(s.supply_max_current_a));
  BOOST_TEST(default_of("chargers_included_in_measurements") ==
             (s.chargers_included_in_measurements ? "true" : "false"));
  BOOST_TEST(default_of("peak_adjustment_enabled") ==
             (s.peak_adjustment_enabled ? "true" : "false"));
  BOOST_TEST(default_of("initial_peak_limit_w") == num(s.initial_peak_limit_w));
  BOOST_TEST(default_of("nominal_phase_voltage_v") == num(s.nominal_phase_voltage_v));
  BOOST_TEST(default_of("measurement_timeout_s") == num(s.measurement_timeout_s));
  BOOST_TEST(default_of("ramp_up_a_per_s") == num(s.ramp_up_a_per_s));
  BOOST_TEST(default_of("min_pause_s") == num(s.min_pause_s));
  BOOST_TEST(default_of("hysteresis_a") == num(s.hysteresis_a));
  BOOST_TEST(default_of("rotation_period_s") == num(s.rotation_period_s));
  BOOST_TEST(default_of("setpoint_step_a") == num(s.setpoint_step_a));
  BOOST_TEST(bal::check_settings(s) == nullptr);
}

// Every reason has exactly one entry, in enum order, with a unique non-empty name and meaning;
// to_string() gives the table's name.
BOOST_AUTO_TEST_CASE(reason_table) {
  std::size_t enumerators = 0;
  for (int v = 0; v <= 255; ++v) {
    const auto r = static_cast<bal::Reason>(v);
    if (!is_reason_enumerator(r)) continue;
    ++enumerators;
    std::size_t entries = 0;
    for (const auto& info : bal::kReasonInfo) {
      if (info.reason == r) ++entries;
    }
    BOOST_TEST(entries == 1u, "reason value " << v << " has " << entries << " entries");
    BOOST_TEST(std::strcmp(bal::to_string(r), "unknown") != 0, "reason value " << v);
  }
  BOOST_TEST(bal::kReasonCount == enumerators);
  std::set<std::string> names, meanings;
  for (std::size_t i = 0; i < bal::kReasonCount; ++i) {
    const auto& info = bal::kReasonInfo[i];
    BOOST_TEST(is_reason_enumerator(info.reason), "entry " << i);
    BOOST_TEST(static_cast<std::size_t>(info.reason) == i, "entry " << i << " out of enum order");
    BOOST_REQUIRE(info.name != nullptr);
    BOOST_REQUIRE(info.meaning != nullptr);
    BOOST_TEST(std::strlen(info.name) > 0u, "entry " << i << ": empty name");
    BOOST_TEST(std::strlen(info.meaning) > 0u, "entry " << i << ": empty meaning");
    BOOST_TEST(names.insert(info.name).second, "duplicate name " << info.name);
    BOOST_TEST(meanings.insert(info.meaning).second, "duplicate meaning for " << info.name);
    BOOST_TEST(std::string(bal::to_string(info.reason)) == info.name);
  }
  BOOST_TEST(std::string(bal::to_string(static_cast<bal::Reason>(255))) == "unknown");
}

// README.md's section "## The load balancer" has the settings table (setting, unit, default,
// meaning) and the reasons table (reason, meaning) exactly as kSettingInfo and kReasonInfo, in the
// same order, so the documentation cannot drift from the code.
BOOST_AUTO_TEST_CASE(readme_tables) {
  const std::string path =
      file_argument("usage: test_balancer --run_test=readme_tables -- <README.md>");
  std::ifstream file(path);
  BOOST_REQUIRE_MESSAGE(file, "cannot read " << path);
  std::vector<std::string> section;
  bool in_section = false;
  for (std::string line; std::getline(file, line);) {
    if (line.rfind("## ", 0) == 0) {
      if (in_section) break;
      in_section = line == "## The load balancer";
      continue;
    }
    if (in_section) section.push_back(line);
  }
  BOOST_REQUIRE_MESSAGE(!section.empty(), path << ": no section '## The load balancer'");

  const auto settings = markdown_table(section, "setting");
  BOOST_TEST(settings.size() == std::size(bal::kSettingInfo),
             path << ": settings table has " << settings.size() << " rows, kSettingInfo "
                  << std::size(bal::kSettingInfo));
  for (std::size_t i = 0; i < std::size(bal::kSettingInfo) && i < settings.size(); ++i) {
    const auto& info = bal::kSettingInfo[i];
    const Row want = {info.name, info.unit, info.default_value, info.description};
    BOOST_TEST((settings[i] == want), path << ": settings row " << i + 1 << " should be | `"
                                           << info.name << "` | " << info.unit << " | "
                                           << info.default_value << " | " << info.description
                                           << " |");
  }

  const auto reasons = markdown_table(section, "reason");
  BOOST_TEST(reasons.size() == bal::kReasonCount, path << ": reasons table has " << reasons.size()
                                                       << " rows, kReasonInfo "
                                                       << bal::kReasonCount);
  for (std::size_t i = 0; i < bal::kReasonCount && i < reasons.size(); ++i) {
    const auto& info = bal::kReasonInfo[i];
    const Row want = {info.name, info.meaning};
    BOOST_TEST((reasons[i] == want), path << ": reasons row " << i + 1 << " should be | `"
                                          << info.name << "` | " << info.meaning << " |");
  }
}
