#include "sweep/sweep.h"

#include <fnmatch.h>
#include <glob.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <map>
#include <set>

#include "scenario/decoder.h"
#include "scenario/scenario_config.h"
#include "sweep/hash.h"

namespace amprig::sweep {
namespace {

namespace fs = std::filesystem;

ConfigNode scalar_node(const std::string& text, const SourceRef& where) {
  ConfigNode n;
  n.type = ConfigNode::Type::scalar;
  n.scalar = text;
  n.where = where;
  return n;
}

ConfigNode sequence_node(const SourceRef& where) {
  ConfigNode n;
  n.type = ConfigNode::Type::sequence;
  n.where = where;
  return n;
}

ConfigNode map_node(const SourceRef& where) {
  ConfigNode n;
  n.type = ConfigNode::Type::map;
  n.where = where;
  return n;
}

void set_field(ConfigNode& map, const std::string& key, ConfigNode value) {
  for (auto& field : map.fields) {
    if (field.first == key) {
      field.second = std::move(value);
      return;
    }
  }
  map.key_refs.push_back(value.where);
  map.fields.emplace_back(key, std::move(value));
}

void erase_field(ConfigNode& map, const std::string& key) {
  for (std::size_t i = 0; i < map.fields.size(); ++i) {
    if (map.fields[i].first == key) {
      map.fields.erase(map.fields.begin() + static_cast<std::ptrdiff_t>(i));
      map.key_refs.erase(map.key_refs.begin() + static_cast<std::ptrdiff_t>(i));
      return;
    }
  }
}

// A key that takes one value or a list of them.
std::vector<const ConfigNode*> one_or_list(const ConfigNode& node, const std::string& key) {
  std::vector<const ConfigNode*> out;
  if (node.is_scalar()) {
    out.push_back(&node);
  } else if (node.is_sequence() && !node.items.empty()) {
    for (const auto& item : node.items) out.push_back(&item);
  } else {
    Decoder::fail(node.where, key, "expected a value or a non-empty list of values");
  }
  return out;
}

// A scenario file merged with its `base:` chain (the engine's own rule: maps merge key by key,
// a base's path is relative to the file naming it).
ConfigNode load_tree(const std::string& path, std::vector<std::string>& chain) {
  const std::string canonical = fs::weakly_canonical(path).string();
  if (std::find(chain.begin(), chain.end(), canonical) != chain.end()) {
    throw ScenarioError(SourceRef{path, 0}, "base", "the base chain loops back to this file");
  }
  chain.push_back(canonical);
  ConfigNode node = load_config_file(path);
  if (node.type == ConfigNode::Type::null) {
    throw ScenarioError(SourceRef{path, 0}, "", "the file is empty");
  }
  Decoder::require_map(node, "");
  const ConfigNode* base = node.find("base");
  if (base == nullptr) return node;
  const fs::path base_path = fs::path(path).parent_path() / Decoder::scalar(*base, "base");
  if (!fs::exists(base_path)) {
    Decoder::fail(base->where, "base", "no such file: " + base_path.string());
  }
  ConfigNode merged = merge_config(load_tree(base_path.string(), chain), node);
  erase_field(merged, "base");
  return merged;
}

bool is_scenario_file(const fs::path& p) {
  return p.extension() == ".yaml" && p.filename().string().rfind("base_", 0) != 0;
}

// The files one `bases:` entry names: a file, a directory (every *.yaml below it except the
// base_*.yaml templates) or a glob (the same files among its matches).
std::vector<std::string> files_of_entry(const ConfigNode& entry, const std::string& key,
                                        const std::string& dir) {
  const std::string text = Decoder::scalar(entry, key);
  const fs::path p = (fs::path(dir) / text).lexically_normal();
  std::vector<std::string> out;
  if (text.find_first_of("*?[") != std::string::npos) {
    glob_t found{};
    if (glob(p.c_str(), 0, nullptr, &found) == 0) {
      for (std::size_t i = 0; i < found.gl_pathc; ++i) {
        const fs::path match(found.gl_pathv[i]);
        if (fs::is_regular_file(match) && is_scenario_file(match)) out.push_back(match.string());
      }
    }
    globfree(&found);
    if (out.empty()) Decoder::fail(entry.where, key, "no scenario file matches " + p.string());
  } else if (fs::is_directory(p)) {
    for (const auto& e : fs::recursive_directory_iterator(p)) {
      if (e.is_regular_file() && is_scenario_file(e.path())) out.push_back(e.path().string());
    }
    if (out.empty()) Decoder::fail(entry.where, key, "no scenario file (*.yaml) in " + p.string());
  } else if (fs::is_regular_file(p)) {
    if (p.extension() != ".yaml") {
      Decoder::fail(entry.where, key, "a base is a YAML scenario file (*.yaml): " + p.string());
    }
    out.push_back(p.string());
  } else if (fs::exists(p)) {
    // A pipe would block the sweep and a device never end: a base is a file.
    Decoder::fail(entry.where, key,
                  "a base is a regular file, not a pipe or device: " + p.string());
  } else {
    Decoder::fail(entry.where, key, "no such file or directory: " + p.string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

SimTimeNs step_end_ns(const ConfigNode& step) {
  if (const auto* during = step.find("during")) {
    return Decoder::duration(during->items.at(1), "during");
  }
  SimTimeNs end = 0;
  if (const auto* at = step.find("at")) end = Decoder::duration(*at, "at");
  if (const auto* within = step.find("within")) end += Decoder::duration(*within, "within");
  return end;
}

SimTimeNs step_start_ns(const ConfigNode& step) {
  if (const auto* during = step.find("during")) {
    return Decoder::duration(during->items.at(0), "during");
  }
  const auto* at = step.find("at");
  return at ? Decoder::duration(*at, "at") : 0;
}

Dimension decode_dimension(const ConfigNode& node, const std::string& key) {
  Decoder::check_keys(node, key, {"fault", "values", "at", "durations", "bases", "note"});
  Dimension d;
  d.key = key;
  d.where = node.where;
  const ConfigNode* fault = node.find("fault");
  if (fault == nullptr) {
    Decoder::fail(node.where, key + ".fault", "a dimension needs the fault signal it sets");
  }
  d.fault = Decoder::scalar(*fault, key + ".fault");
  d.where = fault->where;
  const ConfigNode* values = node.find("values");
  if (values == nullptr) {
    Decoder::fail(node.where, key + ".values", "a dimension needs the values to try");
  }
  std::set<std::string> seen;
  for (const auto* v : one_or_list(*values, key + ".values")) {
    const std::string& text = Decoder::scalar(*v, key + ".values");
    if (!seen.insert(text).second) {
      Decoder::fail(v->where, key + ".values", "'" + text + "' is listed twice");
    }
    d.values.emplace_back(text, v->where);
  }
  const ConfigNode* at = node.find("at");
  if (at == nullptr) Decoder::fail(node.where, key + ".at", "a dimension needs its start times");
  std::set<SimTimeNs> seen_at;
  for (const auto* v : one_or_list(*at, key + ".at")) {
    const SimTimeNs t = Decoder::duration(*v, key + ".at");
    if (!seen_at.insert(t).second) {
      Decoder::fail(v->where, key + ".at", "a start time is listed twice");
    }
    d.at.emplace_back(t, v->where);
  }
  if (const ConfigNode* durations = node.find("durations")) {
    std::set<SimTimeNs> seen_d;
    for (const auto* v : one_or_list(*durations, key + ".durations")) {
      if (Decoder::scalar(*v, key + ".durations") == "forever") {
        if (!seen_d.insert(-1).second) {
          Decoder::fail(v->where, key + ".durations", "forever is listed twice");
        }
        d.durations.emplace_back(std::nullopt, v->where);
        continue;
      }
      const SimTimeNs t = Decoder::duration(*v, key + ".durations");
      if (t <= 0) {
        Decoder::fail(v->where, key + ".durations", "a duration must be positive (or forever)");
      }
      if (!seen_d.insert(t).second) {
        Decoder::fail(v->where, key + ".durations", "a duration is listed twice");
      }
      d.durations.emplace_back(t, v->where);
    }
  } else {
    d.durations.emplace_back(std::nullopt, fault->where);
  }
  if (const ConfigNode* bases = node.find("bases")) {
    for (const auto* v : one_or_list(*bases, key + ".bases")) {
      d.base_patterns.push_back(Decoder::scalar(*v, key + ".bases"));
    }
  }
  return d;
}

std::vector<Dimension> decode_dimensions(const ConfigNode& node, const std::string& key) {
  if (!node.is_sequence()) {
    Decoder::fail(node.where, key, "expected a list of { fault, values, at, durations }");
  }
  std::vector<Dimension> out;
  for (std::size_t i = 0; i < node.items.size(); ++i) {
    out.push_back(decode_dimension(node.items[i], key + "[" + std::to_string(i) + "]"));
  }
  return out;
}

// Checks an `expect:` map by the engine's own decoder, so that a malformed entry is reported
// against the sweep file before anything runs.
void check_expect_map(const ConfigNode& expect, const std::string& key) {
  Decoder::require_map(expect, key);
  if (expect.fields.empty()) Decoder::fail(expect.where, key, "expected at least one expectation");
  for (std::size_t k = 0; k < expect.fields.size(); ++k) {
    const auto& [name, value] = expect.fields[k];
    decode_expectation(name, value, expect.key_refs[k], key + "." + name);
  }
}

// `invariants:` is an expect map (checked from 0 s to the end), or a list of { from, expect }.
std::vector<Invariant> decode_invariants(const ConfigNode& node, const std::string& key) {
  std::vector<Invariant> out;
  if (node.is_map()) {
    check_expect_map(node, key);
    out.push_back(Invariant{key, 0, node, node.where});
    return out;
  }
  if (!node.is_sequence()) {
    Decoder::fail(node.where, key, "expected an expect map, or a list of { from, expect }");
  }
  for (std::size_t i = 0; i < node.items.size(); ++i) {
    const ConfigNode& item = node.items[i];
    const std::string path = key + "[" + std::to_string(i) + "]";
    Decoder::check_keys(item, path, {"from", "expect", "note"});
    Invariant inv;
    inv.key = path;
    inv.where = item.where;
    if (const auto* from = item.find("from")) {
      inv.from_ns = Decoder::duration(*from, path + ".from");
    }
    const ConfigNode* expect = item.find("expect");
    if (expect == nullptr) Decoder::fail(item.where, path + ".expect", "an invariant needs expect");
    check_expect_map(*expect, path + ".expect");
    inv.expect = *expect;
    out.push_back(std::move(inv));
  }
  return out;
}

Recovery decode_recovery(const ConfigNode& node, const std::string& key) {
  Decoder::check_keys(node, key, {"within", "not_before", "expect", "note"});
  Recovery r;
  r.key = key;
  r.where = node.where;
  if (const auto* v = node.find("not_before")) {
    r.not_before_ns = Decoder::duration(*v, key + ".not_before");
  }
  const ConfigNode* within = node.find("within");
  if (within == nullptr) {
    Decoder::fail(node.where, key + ".within", "recovery needs within: (how long it may take)");
  }
  r.within_ns = Decoder::duration(*within, key + ".within");
  const ConfigNode* expect = node.find("expect");
  if (expect == nullptr) Decoder::fail(node.where, key + ".expect", "recovery needs expect:");
  check_expect_map(*expect, key + ".expect");
  r.expect = *expect;
  return r;
}

bool decode_base_expectations(const ConfigNode& node, const std::string& key) {
  const std::string& t = Decoder::scalar(node, key);
  if (t == "keep") return true;
  if (t == "drop") return false;
  Decoder::fail(node.where, key, "expected keep or drop, got '" + t + "'");
}

// What a group takes from the sweep's top level.
struct Defaults {
  std::vector<Dimension> dimensions;
  std::vector<Invariant> invariants;
  std::optional<Recovery> recovery;
  bool keep = false;
  std::optional<SimTimeNs> duration_ns;
};

std::optional<SimTimeNs> decode_run_duration(const ConfigNode& node, const std::string& key) {
  const SimTimeNs d = Decoder::duration(node, key);
  if (d <= 0) Decoder::fail(node.where, key, "a run's duration must be positive");
  return d;
}

// One group: its keys (a `groups:` entry, or the sweep's top level without groups) and its
// bases, appended to the sweep's list.
void decode_group(const ConfigNode& node, const std::string& prefix, const Defaults& defaults,
                  Sweep& sweep) {
  const auto key = [&](const std::string& k) { return prefix.empty() ? k : prefix + "." + k; };
  Group g;
  g.name = sweep.name;
  if (const auto* v = node.find("name")) g.name = Decoder::scalar(*v, key("name"));
  g.dimensions = defaults.dimensions;
  g.invariants = defaults.invariants;
  g.recovery = defaults.recovery;
  g.keep_base_expectations = defaults.keep;
  g.duration_ns = defaults.duration_ns;
  if (!prefix.empty()) {
    if (const auto* v = node.find("dimensions")) {
      for (auto& d : decode_dimensions(*v, key("dimensions"))) g.dimensions.push_back(std::move(d));
    }
    if (const auto* v = node.find("invariants")) {
      for (auto& i : decode_invariants(*v, key("invariants"))) g.invariants.push_back(std::move(i));
    }
    if (const auto* v = node.find("recovery")) g.recovery = decode_recovery(*v, key("recovery"));
    if (const auto* v = node.find("base_expectations")) {
      g.keep_base_expectations = decode_base_expectations(*v, key("base_expectations"));
    }
    if (const auto* v = node.find("duration")) {
      g.duration_ns = decode_run_duration(*v, key("duration"));
    }
  }
  const ConfigNode* bases = node.find("bases");
  if (bases == nullptr) Decoder::fail(node.where, key("bases"), "a sweep needs its base scenarios");
  const std::size_t group_index = sweep.groups.size();
  for (const auto* entry : one_or_list(*bases, key("bases"))) {
    for (const auto& path : files_of_entry(*entry, key("bases"), sweep.dir)) {
      const auto same = std::find_if(sweep.bases.begin(), sweep.bases.end(),
                                     [&](const Base& b) { return b.path == path; });
      if (same != sweep.bases.end()) {
        if (same->group == group_index) continue;  // two entries of one group overlap
        Decoder::fail(entry->where, key("bases"),
                      path + " is already a base of another group (" + same->where.str() + ")");
      }
      Base b;
      b.path = path;
      b.relative = fs::absolute(path)
                       .lexically_normal()
                       .lexically_relative(fs::absolute(sweep.dir).lexically_normal())
                       .string();
      b.group = group_index;
      b.where = entry->where;
      b.key = key("bases");
      b.tree = load_tree(path, b.files);
      const Scenario decoded = scenario_from_merged(b.tree, path, fs::path(path).stem().string());
      b.description = decoded.description;
      b.length_ns = decoded.duration_ns;
      if (const auto* faults = b.tree.find("faults")) {
        for (const auto& f : faults->items) {
          const SimTimeNs at = Decoder::duration(*f.find("at"), "faults.at");
          std::optional<SimTimeNs> end;
          if (const auto* d = f.find("duration")) {
            end = at + Decoder::duration(*d, "faults.duration");
          }
          b.own_faults.emplace_back(at, end);
        }
      }
      g.bases.push_back(sweep.bases.size());
      sweep.bases.push_back(std::move(b));
    }
  }
  sweep.groups.push_back(std::move(g));
}

// With a fixed run duration, every fault point and its recovery window must fit in it.
void check_fits(const Sweep& sweep) {
  for (const auto& g : sweep.groups) {
    if (!g.duration_ns) continue;
    const SimTimeNs run = *g.duration_ns;
    const SimTimeNs window = g.recovery ? g.recovery->within_ns : 0;
    const auto late = [&](SimTimeNs t) { return t > run; };
    for (const auto& d : g.dimensions) {
      for (const auto& [at, at_where] : d.at) {
        if (at >= run) {
          Decoder::fail(at_where, d.key + ".at",
                        "starts at " + format_duration(at) + ", not before the end of the run (" +
                            format_duration(run) + ")");
        }
        for (const auto& [duration, d_where] : d.durations) {
          if (duration && late(at + *duration + window)) {
            Decoder::fail(d_where, d.key + ".durations",
                          "the fault ends at " + format_duration(at + *duration) +
                              (window ? " and its recovery window at " +
                                            format_duration(at + *duration + window)
                                      : std::string()) +
                              ", after the end of the run (" + format_duration(run) + ")");
          }
        }
      }
    }
    if (g.recovery && late(g.recovery->not_before_ns + window)) {
      Decoder::fail(g.recovery->where, g.recovery->key + ".not_before",
                    "the recovery window of a run without faults ends at " +
                        format_duration(g.recovery->not_before_ns + window) +
                        ", after the end of the run (" + format_duration(run) + ")");
    }
    for (std::size_t i = 0; i < g.invariants.size(); ++i) {
      if (g.invariants[i].from_ns >= run) {
        Decoder::fail(g.invariants[i].where, g.invariants[i].key + ".from",
                      "starts after the end of the run");
      }
    }
    for (const std::size_t b : g.bases) {
      for (const auto& [at, end] : sweep.bases[b].own_faults) {
        if (at < run && end && *end <= run && g.recovery && late(*end + window)) {
          Decoder::fail(sweep.bases[b].where, sweep.bases[b].key,
                        sweep.bases[b].path + ": its own fault ending at " + format_duration(*end) +
                            " leaves no room for the recovery window before the end of the run (" +
                            format_duration(run) + ")");
        }
      }
    }
  }
}

// Counts that stop at the largest size_t instead of wrapping round: a hostile file's product of
// list lengths is compared with a limit, never used as a size.
std::size_t add_counts(std::size_t a, std::size_t b) {
  std::size_t sum = 0;
  return __builtin_add_overflow(a, b, &sum) ? std::numeric_limits<std::size_t>::max() : sum;
}
std::size_t multiply_counts(std::size_t a, std::size_t b) {
  std::size_t product = 0;
  return __builtin_mul_overflow(a, b, &product) ? std::numeric_limits<std::size_t>::max() : product;
}
std::size_t points_of(const Dimension& d) {
  return multiply_counts(multiply_counts(d.values.size(), d.at.size()), d.durations.size());
}

// A fault and its recovery window must end within the simulator's range: each time is checked
// on its own as it is read, their sums here.
void check_time_sums(const Sweep& sweep) {
  const auto beyond = [](SimTimeNs a, SimTimeNs b) {
    return a > kMaxSimTimeNs || b > kMaxSimTimeNs - a;
  };
  const std::string range =
      "beyond the simulator's latest time (" + format_duration(kMaxSimTimeNs) + ")";
  for (const auto& g : sweep.groups) {
    const SimTimeNs window = g.recovery ? g.recovery->within_ns : 0;
    if (g.recovery && beyond(g.recovery->not_before_ns, window)) {
      Decoder::fail(g.recovery->where, g.recovery->key + ".within",
                    "not_before and within together end " + range);
    }
    for (const auto& d : g.dimensions) {
      for (const auto& [at, at_where] : d.at) {
        for (const auto& [duration, d_where] : d.durations) {
          if (!duration) continue;
          if (beyond(at, *duration) || beyond(at + *duration, window)) {
            Decoder::fail(d_where, d.key + ".durations",
                          "a fault from " + format_duration(at) + " for " +
                              format_duration(*duration) +
                              (window ? " and its recovery window (" + format_duration(window) + ")"
                                      : std::string()) +
                              " ends " + range);
          }
        }
      }
    }
  }
}

// Distinct sets of exactly j faults, one point from each of j different dimensions: the j-th
// elementary symmetric sum of the dimensions' point counts (saturating).
std::vector<std::size_t> fault_sets_by_size(const std::vector<std::size_t>& points) {
  std::vector<std::size_t> sets(points.size() + 1, 0);
  sets[0] = 1;
  for (const std::size_t p : points) {
    for (std::size_t j = sets.size() - 1; j >= 1; --j) {
      sets[j] = add_counts(sets[j], multiply_counts(sets[j - 1], p));
    }
  }
  return sets;
}

// How many distinct runs the sample can draw: per base, the fault sets of each size k may take
// (k capped at the dimensions that apply), less the one-fault runs the grid already has.
std::size_t sample_capacity(const Sweep& sweep) {
  std::size_t capacity = 0;
  for (const auto& base : sweep.bases) {
    const Group& g = sweep.groups[base.group];
    std::vector<std::size_t> points;
    for (const auto& d : g.dimensions) {
      if (g.applies(d, base)) points.push_back(points_of(d));
    }
    if (points.empty()) continue;
    const auto sets = fault_sets_by_size(points);
    std::set<std::size_t> sizes;
    for (std::size_t k = sweep.sample_faults_min; k <= sweep.sample_faults_max; ++k) {
      sizes.insert(std::min(k, points.size()));
    }
    for (const std::size_t j : sizes) {
      if (j == 1 && sweep.mode == Mode::both) continue;
      capacity = add_counts(capacity, sets[j]);
    }
  }
  return capacity;
}

// The sweep's size against kMaxRuns before a run is made; the error names what makes it big.
void check_size(const Sweep& sweep) {
  if (sweep.mode != Mode::grid) {
    const std::size_t capacity = sample_capacity(sweep);
    if (sweep.sample_runs > capacity) {
      Decoder::fail(
          sweep.sample_where, "sample.runs",
          std::to_string(sweep.sample_runs) +
              " sampled runs asked, but the dimensions offer only " + std::to_string(capacity) +
              " distinct runs of " + std::to_string(sweep.sample_faults_min) +
              (sweep.sample_faults_max > sweep.sample_faults_min
                   ? " to " + std::to_string(sweep.sample_faults_max)
                   : std::string()) +
              " faults" + (sweep.mode == Mode::both ? " beside the grid's" : std::string()));
    }
  }
  const std::size_t grid = run_count(sweep) - sweep.sample_runs;
  const std::size_t total = run_count(sweep);
  if (total <= kMaxRuns) return;
  // What gives the most runs: a dimension (over every base it applies to), the bases' own
  // fault-free runs, or the sample.
  struct Part {
    std::size_t runs = 0, bases = 0;
    const Dimension* dimension = nullptr;
  };
  std::map<std::string, Part> parts;  // by dimension key: a sweep's own is in every group
  if (sweep.mode != Mode::sample) {
    for (const auto& g : sweep.groups) {
      for (const auto& d : g.dimensions) {
        for (const std::size_t b : g.bases) {
          if (!g.applies(d, sweep.bases[b])) continue;
          Part& part = parts[d.key];
          part.runs = add_counts(part.runs, points_of(d));
          ++part.bases;
          part.dimension = &d;
        }
      }
    }
  }
  const Part* largest = nullptr;
  for (const auto& [key, part] : parts) {
    if (largest == nullptr || part.runs > largest->runs) largest = &part;
  }
  const std::string what = "the sweep expands to " +
                           (total == std::numeric_limits<std::size_t>::max()
                                ? std::string("more runs than can be counted")
                                : std::to_string(total) + " runs (grid " + std::to_string(grid) +
                                      ", sample " + std::to_string(sweep.sample_runs) + ")") +
                           ", more than the " + std::to_string(kMaxRuns) + " a sweep may have";
  const std::size_t fault_free = sweep.mode == Mode::sample ? 0 : sweep.bases.size();
  if (largest != nullptr && largest->runs >= sweep.sample_runs && largest->runs >= fault_free) {
    const Dimension& d = *largest->dimension;
    Decoder::fail(d.where, d.key,
                  what + "; this dimension alone gives " + std::to_string(largest->runs) + " (" +
                      std::to_string(d.values.size()) + " values x " + std::to_string(d.at.size()) +
                      " start times x " + std::to_string(d.durations.size()) + " durations on " +
                      std::to_string(largest->bases) +
                      (largest->bases == 1 ? " base)" : " bases)"));
  }
  if (sweep.sample_runs >= fault_free) {
    Decoder::fail(sweep.sample_where, "sample.runs", what);
  }
  const Base& first = sweep.bases.front();
  Decoder::fail(first.where, first.key,
                what + "; its " + std::to_string(sweep.bases.size()) +
                    " bases alone give as many fault-free runs");
}

// A base's name in ids: its stem, or (when two bases share a stem) its path relative to the
// sweep file without '..' and the extension, with '.' for '/'.
void name_bases(Sweep& sweep) {
  std::map<std::string, int> stems;
  for (const auto& b : sweep.bases) ++stems[fs::path(b.path).stem().string()];
  std::map<std::string, const Base*> names;
  for (auto& b : sweep.bases) {
    b.name = fs::path(b.path).stem().string();
    if (stems[b.name] > 1) {
      std::string name;
      for (const auto& part : fs::path(b.relative).replace_extension()) {
        if (part == ".." || part == ".") continue;
        name += (name.empty() ? "" : ".") + part.string();
      }
      b.name = name;
    }
    const auto [it, fresh] = names.emplace(b.name, &b);
    if (!fresh) {
      Decoder::fail(b.where, b.key,
                    b.path + " and " + it->second->path + " would give runs the same name");
    }
  }
}

std::string safe_part(const std::string& text) {
  std::string out = text;
  for (char& c : out) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
                    c == '=' || c == '@' || c == '+' || c == ',' || c == '-';
    if (!ok) c = '_';
  }
  return out;
}

void emit(YAML::Emitter& out, const ConfigNode& node) {
  switch (node.type) {
    case ConfigNode::Type::null:
      out << YAML::Null;
      break;
    case ConfigNode::Type::scalar: {
      const std::string& t = node.scalar;
      // Text that YAML would read back as null stays text.
      if (t.empty() || t == "~" || t == "null" || t == "Null" || t == "NULL") {
        out << YAML::DoubleQuoted << t;
      } else {
        out << t;
      }
      break;
    }
    case ConfigNode::Type::sequence: {
      const bool flat = std::all_of(node.items.begin(), node.items.end(),
                                    [](const ConfigNode& n) { return n.is_scalar(); });
      out << (flat ? YAML::Flow : YAML::Block) << YAML::BeginSeq;
      for (const auto& item : node.items) emit(out, item);
      out << YAML::EndSeq;
      break;
    }
    case ConfigNode::Type::map:
      out << YAML::BeginMap;
      for (const auto& [key, value] : node.fields) {
        out << YAML::Key << key << YAML::Value;
        emit(out, value);
      }
      out << YAML::EndMap;
      break;
  }
}

}  // namespace

std::string format_duration(SimTimeNs ns) {
  if (ns == 0) return "0s";
  if (ns % 1'000'000'000 == 0) return std::to_string(ns / 1'000'000'000) + "s";
  if (ns % 1'000'000 == 0) return std::to_string(ns / 1'000'000) + "ms";
  if (ns % 1'000 == 0) return std::to_string(ns / 1'000) + "us";
  return std::to_string(ns) + "ns";
}

const char* to_string(Mode mode) {
  switch (mode) {
    case Mode::grid:
      return "grid";
    case Mode::sample:
      return "sample";
    case Mode::both:
      return "both";
  }
  return "?";
}

std::string FaultPoint::token() const {
  return name + "=" + value + "@" + format_duration(at_ns) +
         (duration_ns ? "+" + format_duration(*duration_ns) : std::string());
}

std::optional<SimTimeNs> FaultPoint::end_ns() const {
  if (!duration_ns) return std::nullopt;
  return at_ns + *duration_ns;
}

FaultPoint Dimension::point(std::size_t index) const {
  const std::size_t per_value = at.size() * durations.size();
  const auto& [value, value_where] = values[index / per_value];
  const auto& [start, at_where] = at[(index % per_value) / durations.size()];
  const auto& [duration, duration_where] = durations[index % durations.size()];
  FaultPoint p;
  p.name = fault;
  p.value = value;
  p.at_ns = start;
  p.duration_ns = duration;
  p.name_where = where;
  p.value_where = value_where;
  p.at_where = at_where;
  p.duration_where = duration_where;
  return p;
}

bool Group::applies(const Dimension& dimension, const Base& base) const {
  const auto matches = [&](const std::string& pattern) {
    return fnmatch(pattern.c_str(), base.name.c_str(), 0) == 0 ||
           fnmatch(pattern.c_str(), base.relative.c_str(), 0) == 0;
  };
  bool any_positive = false, included = false;
  for (const auto& pattern : dimension.base_patterns) {
    if (!pattern.empty() && pattern[0] == '!') {
      if (matches(pattern.substr(1))) return false;
    } else {
      any_positive = true;
      included = included || matches(pattern);
    }
  }
  return !any_positive || included;
}

Sweep load_sweep(const std::string& path) {
  const ConfigNode root = load_config_file(path);
  if (root.type == ConfigNode::Type::null) {
    throw ScenarioError(SourceRef{path, 0}, "", "the file is empty");
  }
  Decoder::check_keys(
      root, "",
      {"sweep", "description", "seed", "timeout", "mode", "sample", "base_expectations", "duration",
       "bases", "dimensions", "invariants", "recovery", "groups"});
  Sweep sweep;
  sweep.file = path;
  sweep.dir = fs::path(path).parent_path().string();
  if (sweep.dir.empty()) sweep.dir = ".";
  sweep.name = fs::path(path).stem().string();
  if (const auto* v = root.find("sweep")) {
    sweep.name = Decoder::scalar(*v, "sweep");
    if (sweep.name.empty() || safe_part(sweep.name) != sweep.name ||
        sweep.name.find_first_of("=@+,") != std::string::npos) {
      Decoder::fail(v->where, "sweep", "use letters, digits, '.', '_' and '-' only");
    }
  }
  if (const auto* v = root.find("description")) {
    sweep.description = Decoder::scalar(*v, "description");
  }
  if (const auto* v = root.find("seed")) {
    const double seed = Decoder::number(*v, "seed");
    if (seed < 0 || seed > static_cast<double>(kMaxSweepSeed) ||
        seed != static_cast<double>(static_cast<std::uint64_t>(seed))) {
      Decoder::fail(v->where, "seed",
                    "a seed is a whole number from 0 to " + std::to_string(kMaxSweepSeed) +
                        ", got '" + v->scalar + "'");
    }
    sweep.seed = static_cast<std::uint64_t>(seed);
  }
  if (const auto* v = root.find("timeout")) {
    sweep.timeout_s = Decoder::seconds(*v, "timeout");
    if (sweep.timeout_s < 1) Decoder::fail(v->where, "timeout", "a run's timeout is at least 1s");
  }
  if (const auto* v = root.find("mode")) {
    const std::string& m = Decoder::scalar(*v, "mode");
    if (m == "grid") {
      sweep.mode = Mode::grid;
    } else if (m == "sample") {
      sweep.mode = Mode::sample;
    } else if (m == "both") {
      sweep.mode = Mode::both;
    } else {
      Decoder::fail(v->where, "mode", "expected grid, sample or both, got '" + m + "'");
    }
  }
  const ConfigNode* sample = root.find("sample");
  if (sweep.mode != Mode::grid && sample == nullptr) {
    Decoder::fail(root.key_ref("mode"), "sample",
                  std::string("mode ") + to_string(sweep.mode) + " needs sample: { runs, faults }");
  }
  if (sample != nullptr) {
    if (sweep.mode == Mode::grid) {
      Decoder::fail(root.key_ref("sample"), "mode",
                    "sample: is given, so mode must be sample or both");
    }
    Decoder::check_keys(*sample, "sample", {"runs", "faults"});
    sweep.sample_where = root.key_ref("sample");
    const ConfigNode* runs = sample->find("runs");
    if (runs == nullptr) Decoder::fail(sample->where, "sample.runs", "how many runs to draw");
    const double n = Decoder::number_in(*runs, "sample.runs", 1, static_cast<double>(kMaxRuns));
    if (n != static_cast<double>(static_cast<std::size_t>(n))) {
      Decoder::fail(runs->where, "sample.runs", "a whole number of runs");
    }
    sweep.sample_runs = static_cast<std::size_t>(n);
    sweep.sample_faults_min = sweep.sample_faults_max = 2;
    if (const auto* f = sample->find("faults")) {
      const auto whole = [](const ConfigNode& node, const std::string& key) {
        const double k = Decoder::number_in(node, key, 1, static_cast<double>(kMaxSampleFaults));
        if (k != static_cast<double>(static_cast<std::size_t>(k))) {
          Decoder::fail(node.where, key, "a whole number of faults");
        }
        return static_cast<std::size_t>(k);
      };
      if (f->is_sequence()) {
        if (f->items.size() != 2) {
          Decoder::fail(f->where, "sample.faults", "expected k or [min, max]");
        }
        sweep.sample_faults_min = whole(f->items[0], "sample.faults");
        sweep.sample_faults_max = whole(f->items[1], "sample.faults");
        if (sweep.sample_faults_min > sweep.sample_faults_max) {
          Decoder::fail(f->where, "sample.faults", "min is above max");
        }
      } else {
        sweep.sample_faults_min = sweep.sample_faults_max = whole(*f, "sample.faults");
      }
    }
  }
  Defaults defaults;
  if (const auto* v = root.find("dimensions")) {
    defaults.dimensions = decode_dimensions(*v, "dimensions");
  }
  if (const auto* v = root.find("invariants")) {
    defaults.invariants = decode_invariants(*v, "invariants");
  }
  if (const auto* v = root.find("recovery")) defaults.recovery = decode_recovery(*v, "recovery");
  if (const auto* v = root.find("base_expectations")) {
    defaults.keep = decode_base_expectations(*v, "base_expectations");
  }
  if (const auto* v = root.find("duration")) {
    defaults.duration_ns = decode_run_duration(*v, "duration");
  }
  if (const auto* groups = root.find("groups")) {
    if (root.find("bases") != nullptr) {
      Decoder::fail(root.key_ref("bases"), "bases", "with groups:, each group lists its own bases");
    }
    if (!groups->is_sequence() || groups->items.empty()) {
      Decoder::fail(groups->where, "groups", "expected a list of groups");
    }
    for (std::size_t i = 0; i < groups->items.size(); ++i) {
      const ConfigNode& g = groups->items[i];
      const std::string key = "groups[" + std::to_string(i) + "]";
      Decoder::check_keys(g, key,
                          {"name", "bases", "dimensions", "invariants", "recovery",
                           "base_expectations", "duration", "note"});
      decode_group(g, key, defaults, sweep);
    }
  } else {
    decode_group(root, "", defaults, sweep);
  }
  std::set<std::string> group_names;
  for (std::size_t i = 0; i < sweep.groups.size(); ++i) {
    if (!group_names.insert(sweep.groups[i].name).second) {
      Decoder::fail(root.find("groups")->items[i].where, "groups[" + std::to_string(i) + "].name",
                    "two groups are named '" + sweep.groups[i].name + "'");
    }
  }
  check_fits(sweep);
  check_time_sums(sweep);
  name_bases(sweep);
  check_size(sweep);
  return sweep;
}

std::string run_id(const std::string& base_name, const std::vector<FaultPoint>& faults) {
  std::string exact = base_name, id = safe_part(base_name);
  for (const auto& f : faults) {
    exact += "~" + f.token();
    id += "~" + safe_part(f.token());
  }
  // Two runs whose texts differ only where characters were replaced keep apart by the hash.
  constexpr std::size_t kMaxLength = 200;
  if (id != exact || id.size() > kMaxLength) {
    id = id.substr(0, std::min(id.size(), kMaxLength - 13)) + "-" + hex64(fnv1a64(exact), 12);
  }
  return id;
}

std::uint64_t run_seed(std::uint64_t sweep_seed, const std::string& id) {
  return splitmix64(sweep_seed ^ fnv1a64(id)) & ((std::uint64_t{1} << 52) - 1);
}

std::size_t run_count(const Sweep& sweep) {
  std::size_t runs = sweep.mode == Mode::grid ? 0 : sweep.sample_runs;
  if (sweep.mode == Mode::sample) return runs;
  for (const auto& g : sweep.groups) {
    for (const std::size_t b : g.bases) {
      runs = add_counts(runs, 1);
      for (const auto& d : g.dimensions) {
        if (g.applies(d, sweep.bases[b])) runs = add_counts(runs, points_of(d));
      }
    }
  }
  return runs;
}

std::vector<Run> expand(const Sweep& sweep) {
  std::vector<Run> runs;
  std::set<std::string> ids;
  const auto add = [&](std::size_t base, std::vector<FaultPoint> faults, bool sampled) {
    Run run;
    run.id = run_id(sweep.bases[base].name, faults);
    if (!ids.insert(run.id).second) return false;
    run.seed = run_seed(sweep.seed, run.id);
    run.base = base;
    run.faults = std::move(faults);
    run.sampled = sampled;
    runs.push_back(std::move(run));
    return true;
  };
  if (sweep.mode != Mode::sample) {
    for (const auto& g : sweep.groups) {
      for (const std::size_t b : g.bases) {
        add(b, {}, false);
        for (const auto& d : g.dimensions) {
          if (!g.applies(d, sweep.bases[b])) continue;
          for (std::size_t i = 0; i < d.points(); ++i) add(b, {d.point(i)}, false);
        }
      }
    }
  }
  if (sweep.mode != Mode::grid) {
    StableRandom random(splitmix64(sweep.seed ^ fnv1a64("sample")));
    const std::size_t max_draws = 100 * sweep.sample_runs + 1000;
    std::size_t drawn = 0, draws = 0;
    while (drawn < sweep.sample_runs) {
      if (++draws > max_draws) {
        Decoder::fail(sweep.sample_where, "sample.runs",
                      "only " + std::to_string(drawn) + " distinct runs found in " +
                          std::to_string(max_draws) + " draws: the dimensions offer too few");
      }
      const std::size_t b = static_cast<std::size_t>(random.below(sweep.bases.size()));
      const Group& g = sweep.groups[sweep.bases[b].group];
      std::vector<const Dimension*> open;
      for (const auto& d : g.dimensions) {
        if (g.applies(d, sweep.bases[b])) open.push_back(&d);
      }
      if (open.empty()) continue;
      std::size_t k = sweep.sample_faults_min +
                      static_cast<std::size_t>(
                          random.below(sweep.sample_faults_max - sweep.sample_faults_min + 1));
      k = std::min(k, open.size());
      std::vector<FaultPoint> faults;
      for (std::size_t i = 0; i < k; ++i) {
        // A partial Fisher-Yates shuffle: k different dimensions.
        const std::size_t j = i + static_cast<std::size_t>(random.below(open.size() - i));
        std::swap(open[i], open[j]);
        faults.push_back(open[i]->point(static_cast<std::size_t>(random.below(open[i]->points()))));
      }
      std::sort(faults.begin(), faults.end(), [](const FaultPoint& x, const FaultPoint& y) {
        return x.at_ns != y.at_ns ? x.at_ns < y.at_ns : x.token() < y.token();
      });
      if (add(b, std::move(faults), true)) ++drawn;
    }
  }
  return runs;
}

std::optional<SimTimeNs> recovery_start_ns(const Sweep& sweep, const Run& run) {
  const Base& base = sweep.bases[run.base];
  const Group& g = sweep.groups[base.group];
  if (!g.recovery) return std::nullopt;
  SimTimeNs start = g.recovery->not_before_ns;
  for (const auto& [at, end] : base.own_faults) {
    if (g.duration_ns && at >= *g.duration_ns) continue;  // cut off with the rest of the base
    // Lasting to the end of the run, or beyond it: no recovery to see.
    if (!end || (g.duration_ns && *end > *g.duration_ns)) return std::nullopt;
    start = std::max(start, *end);
  }
  for (const auto& f : run.faults) {
    if (!f.end_ns()) return std::nullopt;
    start = std::max(start, *f.end_ns());
  }
  return start;
}

SimTimeNs run_end_ns(const Sweep& sweep, const Run& run) {
  const Base& base = sweep.bases[run.base];
  const Group& g = sweep.groups[base.group];
  if (g.duration_ns) return *g.duration_ns;
  SimTimeNs end = base.length_ns;
  for (const auto& f : run.faults) end = std::max(end, f.end_ns().value_or(f.at_ns));
  if (const auto start = recovery_start_ns(sweep, run)) {
    end = std::max(end, *start + g.recovery->within_ns);
  }
  return end;
}

ConfigNode run_tree(const Sweep& sweep, const Run& run) {
  const Base& base = sweep.bases[run.base];
  const Group& g = sweep.groups[base.group];
  const SimTimeNs end = run_end_ns(sweep, run);
  const SourceRef here = base.where;
  ConfigNode tree = base.tree;
  set_field(tree, "scenario", scalar_node(run.id, here));
  std::string faults_text;
  for (const auto& f : run.faults) faults_text += (faults_text.empty() ? "" : ", ") + f.token();
  std::string description = base.description.empty() ? base.name : base.description;
  while (!description.empty() && std::isspace(static_cast<unsigned char>(description.back()))) {
    description.pop_back();
  }
  set_field(tree, "description",
            scalar_node(description + " [sweep " + sweep.name + ": " +
                            (faults_text.empty() ? "no fault" : faults_text) + "]",
                        here));
  set_field(tree, "seed", scalar_node(std::to_string(run.seed), here));

  // The base's steps (their sets always; their expectations on request), then the invariants
  // and the recovery.
  ConfigNode steps = sequence_node(here);
  if (const auto* own = tree.find("steps")) {
    steps.where = own->where;
    for (const auto& step : own->items) {
      if (g.duration_ns && step_end_ns(step) > *g.duration_ns) continue;
      ConfigNode kept = step;
      if (!g.keep_base_expectations) {
        erase_field(kept, "expect");
        if (kept.find("set") == nullptr) continue;
      }
      steps.items.push_back(std::move(kept));
    }
  }
  for (const auto& inv : g.invariants) {
    if (inv.from_ns > end) continue;
    ConfigNode step = map_node(inv.where);
    ConfigNode window = sequence_node(inv.where);
    window.items.push_back(scalar_node(format_duration(inv.from_ns), inv.where));
    window.items.push_back(scalar_node(format_duration(end), inv.where));
    set_field(step, "during", std::move(window));
    set_field(step, "expect", inv.expect);
    steps.items.push_back(std::move(step));
  }
  if (const auto start = recovery_start_ns(sweep, run)) {
    ConfigNode step = map_node(g.recovery->where);
    set_field(step, "at", scalar_node(format_duration(*start), g.recovery->where));
    set_field(step, "within",
              scalar_node(format_duration(g.recovery->within_ns), g.recovery->where));
    set_field(step, "expect", g.recovery->expect);
    steps.items.push_back(std::move(step));
  }
  if (steps.items.empty()) {
    erase_field(tree, "steps");
  } else {
    set_field(tree, "steps", std::move(steps));
  }

  // The base's own faults, then the run's.
  ConfigNode faults = sequence_node(here);
  if (const auto* own = tree.find("faults")) {
    faults.where = own->where;
    for (const auto& f : own->items) {
      if (g.duration_ns && step_start_ns(f) >= *g.duration_ns) continue;
      ConfigNode kept = f;
      // One that would end after the run lasts to its end: its restore would lengthen the run.
      const ConfigNode* duration = f.find("duration");
      if (g.duration_ns && duration != nullptr &&
          step_start_ns(f) + Decoder::duration(*duration, "duration") > *g.duration_ns) {
        erase_field(kept, "duration");
      }
      faults.items.push_back(std::move(kept));
    }
  }
  for (const auto& f : run.faults) {
    ConfigNode entry = map_node(f.name_where);
    set_field(entry, "name", scalar_node(f.name, f.name_where));
    set_field(entry, "value", scalar_node(f.value, f.value_where));
    set_field(entry, "at", scalar_node(format_duration(f.at_ns), f.at_where));
    if (f.duration_ns) {
      set_field(entry, "duration", scalar_node(format_duration(*f.duration_ns), f.duration_where));
    }
    faults.items.push_back(std::move(entry));
  }
  if (faults.items.empty()) {
    erase_field(tree, "faults");
  } else {
    set_field(tree, "faults", std::move(faults));
  }
  set_field(tree, "duration", scalar_node(format_duration(end), here));
  // Who the run is comes first in its file; each key keeps its own line.
  const char* const kFirst[] = {"scenario", "description", "seed"};
  ConfigNode ordered = map_node(tree.where);
  for (const char* key : kFirst) {
    for (std::size_t i = 0; i < tree.fields.size(); ++i) {
      if (tree.fields[i].first != key) continue;
      ordered.fields.push_back(tree.fields[i]);
      ordered.key_refs.push_back(tree.key_refs[i]);
    }
  }
  for (std::size_t i = 0; i < tree.fields.size(); ++i) {
    if (std::find(std::begin(kFirst), std::end(kFirst), tree.fields[i].first) != std::end(kFirst)) {
      continue;
    }
    ordered.fields.push_back(tree.fields[i]);
    ordered.key_refs.push_back(tree.key_refs[i]);
  }
  tree = std::move(ordered);
  return tree;
}

Scenario run_scenario(const Sweep& sweep, const Run& run) {
  return scenario_from_merged(run_tree(sweep, run), sweep.bases[run.base].path, run.id);
}

std::string to_yaml(const ConfigNode& node) {
  YAML::Emitter out;
  emit(out, node);
  return std::string(out.c_str()) + "\n";
}

std::string run_yaml(const Sweep& sweep, const Run& run) {
  const Base& base = sweep.bases[run.base];
  return "# Run " + run.id + " of the sweep " + sweep.name + " (" + sweep.file +
         "), standalone:\n" + "# " + base.relative +
         " with its base: chain merged, the run's seed and faults, and the\n" +
         "# sweep's invariants and recovery as steps. `amprig run` plays it as the sweep did.\n" +
         to_yaml(run_tree(sweep, run));
}

std::string run_digest(const Sweep& sweep, const Run& run) {
  return hex64(fnv1a64(to_yaml(run_tree(sweep, run))));
}

}  // namespace amprig::sweep
