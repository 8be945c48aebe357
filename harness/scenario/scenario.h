#pragma once
// A scenario as read from its YAML file (after `base:` files are merged): the
// device and plant configuration, and the timed steps to set and expect.
#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "adc/adc_dma_model.h"
#include "adc/rtl/rtl_adc.h"
#include "balancer/balancer.h"
#include "board/board.h"
#include "charger/charger.h"
#include "ct/current_transformer.h"
#include "frontend/voltage_divider.h"
#include "fuse/main_fuse.h"
#include "loads/load.h"
#include "mains/mains.h"
#include "network/link.h"
#include "network/site_network.h"
#include "settings/installation.h"
#include "solar/pv_inverter.h"

namespace amprig {

// Where a piece of a scenario came from, for messages.
struct SourceRef {
  std::string file;
  int line = 0;  // 1-based; 0 = unknown
  std::string str() const;
};

// A malformed scenario: names the file, the line and the key.
class ScenarioError : public std::runtime_error {
 public:
  ScenarioError(SourceRef where, std::string key, const std::string& message);
  // An error already worded in full (relayed from another process).
  explicit ScenarioError(const std::string& whole_message) : std::runtime_error(whole_message) {}
  const SourceRef& where() const { return m_where; }
  const std::string& key() const { return m_key; }

 private:
  SourceRef m_where;
  std::string m_key;
};

// Simulated time in nanoseconds: exact for every duration a scenario can write.
using SimTimeNs = std::int64_t;
// The latest simulated time the SystemC kernel represents: 2^64 - 1 ticks of its default 1 ps
// resolution, about 213 days (a test compares it with sc_max_time()). Every time and duration a
// user gives (steps, windows, faults, durations, sums of them, the Python API) is checked
// against it.
constexpr SimTimeNs kMaxSimTimeNs = 18'446'744'073'709'551;

struct Expectation {
  enum class Kind { exact, tolerance, range, not_between, contains };
  std::string signal;
  Kind kind = Kind::exact;
  std::string exact;                  // kind exact: the scalar as written; contains: the text
  std::optional<double> value;        // kind tolerance: a number ...
  std::string value_signal;           // ... or the name of a signal to compare with
  double tolerance_pct = 0;
  double tolerance_abs = 0;
  std::optional<double> min, max;     // kind range
  double low = 0, high = 0;           // kind not_between
  SourceRef where;
  std::string describe() const;       // "12 ±2 %", "in [6, 16]", ...
};

struct Assignment {
  std::string signal;
  std::string value;  // the scalar as written; typed by the signal when applied
  SourceRef where;
  std::string key;    // the key errors name (empty: set.<signal>)
  // A fault of the `faults:` key: its set keeps the value the signal had just before under
  // save_as, and its end (a restore, value empty) sets the value kept under restore_from.
  std::string save_as;
  std::string restore_from;
};

struct Step {
  enum class Kind { at, within, during };
  Kind kind = Kind::at;
  SimTimeNs start_ns = 0;
  SimTimeNs end_ns = 0;  // within: start + window; during: window end; at: start
  std::vector<Assignment> sets;
  std::vector<Expectation> expects;
  SourceRef where;
};

struct DeviceSettings {
  fw::Variant variant = fw::Variant::ag63;
  std::array<bool, 3> voltage_inputs{true, true, true};
  // The Installation tab as the installer left it: stored in NVM before power-on.
  fw::InstallationSettings installation{};
  bool generation = false;  // generation installed (default: when the plant has solar)
  bool cartridge_present = true;
  std::uint32_t sample_rate_hz = 6400;
  std::uint32_t dma_frames_per_half = 64;
  std::string adc = "behavioural";  // or "rtl": models/adc/rtl/rtl_adc.h
  std::string serial_number = "2300001234G";
  double telemetry_period_s = 1;
  // The Wi-Fi tab as the installer left it: stored in NVM before power-on (empty: none).
  std::string wifi_ssid;
  std::string wifi_password;
};

// A charger of the plant and its link to the balancer (both directions alike).
struct ChargerSetup {
  models::ChargerConfig charger;
  models::LinkConfig link;
  models::Phase offline_grid_phase = models::L1;  // as written; charger.offline_phase is mapped
};

// The load-balancer group. It runs whenever the plant has chargers.
struct BalancerSetup {
  fw::balancer::Settings settings;
  double cycle_s = 1;  // one decision per cycle
};

struct Scenario {
  std::string id;
  std::string description;
  std::string file;
  std::uint64_t seed = 1;
  DeviceSettings device;
  models::MainsConfig mains;
  std::vector<models::LoadConfig> loads;
  std::vector<models::SolarConfig> solar;  // zero or one inverter
  models::MainFuseConfig fuse{};           // rating: plant.fuse.rating_a, else device.fuse_a
  std::array<models::CtConfig, 3> cts;
  std::array<models::DividerConfig, 3> dividers;
  models::AdcModelConfig adc;
  models::RtlAdcConfig rtl_adc;  // used when device.adc is rtl
  std::vector<ChargerSetup> chargers;
  BalancerSetup balancer;
  models::SiteNetworkConfig network;
  std::vector<Step> steps;       // sorted by start time
  SimTimeNs duration_ns = 0;     // run at least this long (default: the last step's end)
  SimTimeNs check_period_ns = 10'000'000;  // how often `within`/`during` are checked
};

// Loads `path`, merging its `base:` chain. Throws ScenarioError.
Scenario load_scenario(const std::string& path);
// The canonical paths of `path` and of the base files it merges, as far as they can be read (an
// error is left for load_scenario to report).
std::vector<std::string> scenario_files(const std::string& path);
// `amprig run --adc VARIANT`: every scenario decoded from now on in this process, and in the
// processes it starts, uses that ADC whatever its device.adc says ("": each its own).
void set_adc_override(const std::string& variant);
// Gives `s` another seed: every random source of its rig derives from it.
void reseed(Scenario& s, std::uint64_t seed);
// Parses "250ms", "2s", "10min", "1h", "1.5" (seconds). Throws std::invalid_argument for
// anything else, and for a duration beyond kMaxSimTimeNs.
SimTimeNs parse_duration_ns(const std::string& text);
// "18446744.073709551 s (about 213 days)": kMaxSimTimeNs as the messages word it.
std::string max_sim_time_text();
// The scenario with the nominal plant for its variant and no steps.
Scenario default_scenario(fw::Variant variant);

}  // namespace amprig
