#pragma once
// A fault sweep: base scenarios crossed with fault dimensions, read from a sweep file
// (scenarios/sweeps/*.yaml) and expanded into runs. Every run is an ordinary scenario: its base
// file's tree with the run's faults in `faults:`, its own seed, and the sweep's invariants and
// recovery as `during` and `within` steps, played by the scenario engine like any other.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scenario/config_tree.h"
#include "scenario/scenario.h"

namespace amprig::sweep {

// One entry of a run's `faults:`: set `name` to `value` at `at_ns`, for `duration_ns` (none: to
// the end of the run). The refs point into the sweep file, so that errors name its lines.
struct FaultPoint {
  std::string name;
  std::string value;
  SimTimeNs at_ns = 0;
  std::optional<SimTimeNs> duration_ns;
  SourceRef name_where, value_where, at_where, duration_where;
  // "ct2.reversed=true@2s+3s" ("@2s" alone when it lasts to the end).
  std::string token() const;
  std::optional<SimTimeNs> end_ns() const;
};

// A fault signal with the values, start times and durations to try: its points are every
// combination of the three.
struct Dimension {
  std::string fault;
  std::string key;  // "dimensions[2]", "groups[1].dimensions[0]": what errors name
  SourceRef where;
  std::vector<std::pair<std::string, SourceRef>> values;
  std::vector<std::pair<SimTimeNs, SourceRef>> at;
  std::vector<std::pair<std::optional<SimTimeNs>, SourceRef>> durations;  // none: forever
  // Globs on a base's name or relative path: it applies to the bases that match one (every
  // base when there is none) and match no '!' pattern.
  std::vector<std::string> base_patterns;
  std::size_t points() const { return values.size() * at.size() * durations.size(); }
  FaultPoint point(std::size_t index) const;
};

// `expect` entries that must hold at every check from `from_ns` to the end of the run.
struct Invariant {
  std::string key;  // what errors name
  SimTimeNs from_ns = 0;
  ConfigNode expect;  // the `expect:` map as written in the sweep file
  SourceRef where;
};

// `expect` entries that must hold (together, at one check) within `within_ns` of the end of the
// run's last fault, but never before `not_before_ns` (when the base scenario has settled; a run
// without faults is checked from then); not checked when a fault lasts to the end of the run.
struct Recovery {
  std::string key;
  SimTimeNs within_ns = 0;
  SimTimeNs not_before_ns = 0;
  ConfigNode expect;
  SourceRef where;
};

struct Base {
  std::string path;      // as opened (the sweep file's folder joined with the entry)
  std::string relative;  // relative to the sweep file's folder: what results record
  std::string name;      // in run ids: the file's stem (its relative path when two share one)
  ConfigNode tree;       // merged with its own base: chain
  std::vector<std::string> files;  // its file and those of its base: chain, as opened
  std::string description;
  SimTimeNs length_ns = 0;  // how long the scenario runs on its own
  // Its own `faults:` entries: start, and end (none: to the end of the run).
  std::vector<std::pair<SimTimeNs, std::optional<SimTimeNs>>> own_faults;
  std::size_t group = 0;
  SourceRef where;  // the `bases:` entry that named it
  std::string key;  // its key, for errors
};

struct Group {
  std::string name;
  std::vector<std::size_t> bases;     // indices into Sweep::bases
  std::vector<Dimension> dimensions;  // the sweep's own, then the group's
  std::vector<Invariant> invariants;  // the same
  std::optional<Recovery> recovery;   // the group's, else the sweep's
  bool keep_base_expectations = false;
  std::optional<SimTimeNs> duration_ns;  // every run lasts exactly this long
  bool applies(const Dimension& dimension, const Base& base) const;
};

// The limits of a sweep file, each checked before anything runs, with an error that names the
// file, the line and the key.
// The most runs a sweep may expand to, grid and sample together (the nightly sweep has 3054).
inline constexpr std::size_t kMaxRuns = 100'000;
// The most faults one sampled run may combine.
inline constexpr std::size_t kMaxSampleFaults = 16;
// The largest sweep seed: 2^53, up to which a YAML number holds every whole number exactly.
inline constexpr std::uint64_t kMaxSweepSeed = std::uint64_t{1} << 53;

enum class Mode { grid, sample, both };

struct Sweep {
  std::string name;
  std::string description;
  std::string file;  // as given
  std::string dir;   // its folder
  std::uint64_t seed = 1;
  double timeout_s = 300;
  Mode mode = Mode::grid;
  std::size_t sample_runs = 0;
  std::size_t sample_faults_min = 1, sample_faults_max = 1;
  SourceRef sample_where;
  std::vector<Group> groups;
  std::vector<Base> bases;
};

struct Run {
  std::string id;
  std::uint64_t seed = 0;
  std::size_t base = 0;  // index into Sweep::bases
  std::vector<FaultPoint> faults;
  bool sampled = false;
};

// Reads and checks a sweep file and every base scenario it names. Throws ScenarioError naming
// the file, the line and the key.
Sweep load_sweep(const std::string& path);

// How many runs expand() makes at most: the grid's, plus the sample's.
std::size_t run_count(const Sweep& sweep);

// Every run of the sweep, in a stable order: the grid (per group, per base: the fault-free run,
// then every point of every dimension that applies), then the sample. Ids are unique.
std::vector<Run> expand(const Sweep& sweep);

// A run's id from its content: the base's name and its faults' tokens joined by '~', made safe
// as a file name (other characters become '_', and then a hash of the exact content follows).
std::string run_id(const std::string& base_name, const std::vector<FaultPoint>& faults);
// The run's seed: a stable hash of the sweep's seed and the run's id (below 2^52, so that it
// passes through a scenario's `seed:` exactly).
std::uint64_t run_seed(std::uint64_t sweep_seed, const std::string& id);

// When the run ends, and when its recovery window starts (none: not checked).
SimTimeNs run_end_ns(const Sweep& sweep, const Run& run);
std::optional<SimTimeNs> recovery_start_ns(const Sweep& sweep, const Run& run);

// The run as a scenario tree; scenario_from_merged() decodes it.
ConfigNode run_tree(const Sweep& sweep, const Run& run);
Scenario run_scenario(const Sweep& sweep, const Run& run);
// The run as a standalone scenario file (no base:), and a hash of that text: two runs with the
// same digest play the same scenario.
std::string run_yaml(const Sweep& sweep, const Run& run);
std::string run_digest(const Sweep& sweep, const Run& run);

// A tree as YAML text, keys in their order.
std::string to_yaml(const ConfigNode& node);
// "2s", "250ms", "1500us": the shortest exact form.
std::string format_duration(SimTimeNs ns);
const char* to_string(Mode mode);

}  // namespace amprig::sweep
