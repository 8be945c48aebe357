// libFuzzer target: a sweep file, read as `amprig sweep` reads it (load_sweep: the file and every
// base scenario it names) and expanded into its runs, which are not run. The input sits in a
// sweeps/ folder beside links to the repository's other scenario folders, so that
// `bases: ../regression/...` resolves as it does in the repository.
//
// Beyond crashes and sanitizer reports it checks that an error names the input (or a base) and
// a line the input has; that reading and expanding twice gives the same runs, each with an id
// that can name a file and a seed a scenario keeps exactly; and, for a few runs of each sweep,
// that the run's scenario decodes (the sweep's checks let nothing through that fails only once
// it runs) with the run's seed, keeps its times within the kernel's range, ends after its
// faults, and plays the same scenario when written out as YAML (`amprig sweep --emit`).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "scenario/config_tree.h"
#include "scenario/scenario.h"
#include "scenario/scenario_config.h"
#include "sweep/sweep.h"

namespace {

using amprig::ConfigNode;
using amprig::ScenarioError;
namespace fuzz = amprig::fuzz;
namespace sweep = amprig::sweep;

// Runs checked in full per sweep: the first ones and the last (the sample's, in mode both).
constexpr std::size_t kRunsChecked = 4;

std::unique_ptr<fuzz::Fixture> g_fixture;

bool bases_stay_inside(const ConfigNode& bases) {
  if (bases.is_scalar()) return g_fixture->stays_inside(bases.scalar);
  for (const auto& entry : bases.items) {
    if (entry.is_scalar() && !g_fixture->stays_inside(entry.scalar)) return false;
  }
  return true;
}

// `bases:` entries that leave the fixture are left alone (see Fixture::stays_inside).
bool worth_decoding(const std::string& text) {
  try {
    const ConfigNode root = amprig::parse_config_text(text, "input");
    if (!root.is_map()) return true;
    if (const ConfigNode* bases = root.find("bases"); bases && !bases_stay_inside(*bases)) return false;
    if (const ConfigNode* groups = root.find("groups"); groups && groups->is_sequence()) {
      for (const auto& g : groups->items) {
        const ConfigNode* bases = g.is_map() ? g.find("bases") : nullptr;
        if (bases && !bases_stay_inside(*bases)) return false;
      }
    }
    return true;
  } catch (const ScenarioError&) {
    return true;
  }
}

std::string describe_runs(const std::vector<sweep::Run>& runs) {
  std::string out;
  for (const auto& r : runs) out += r.id + "#" + std::to_string(r.seed) + (r.sampled ? "s" : "g") + "\n";
  return out;
}

// A run's id names its files (results, traces, `--emit`); its seed passes through a scenario's
// `seed:` as a double (sweep.h: below 2^52).
void check_identity(const sweep::Run& run) {
  if (run.id.empty() || run.id == "." || run.id == ".." ||
      run.id.find_first_of(std::string("/\0", 2)) != std::string::npos) {
    fuzz::finding("run-id-not-a-file-name", "'" + run.id + "'");
  }
  if (run.seed >= (std::uint64_t{1} << 52)) {
    fuzz::finding("run-seed-not-exact", run.id + ": " + std::to_string(run.seed));
  }
}

void check_run(const sweep::Sweep& s, const sweep::Run& run, bool utf8) {
  const std::string what = "run " + run.id;
  const amprig::Scenario scenario = sweep::run_scenario(s, run);
  if (scenario.seed != run.seed) {
    fuzz::finding("run-seed-changes", what + ": seed " + std::to_string(run.seed) + " plays as " +
                                          std::to_string(scenario.seed));
  }
  fuzz::check_times(scenario, what);
  const amprig::SimTimeNs end = sweep::run_end_ns(s, run);
  for (const auto& f : run.faults) {
    if (f.at_ns < 0 || f.end_ns().value_or(f.at_ns) > end) {
      fuzz::finding("fault-outside-run", what + ": " + f.token() + " ends after " + sweep::format_duration(end));
    }
  }
  // What `amprig sweep --emit` writes and `amprig run` plays.
  const ConfigNode tree = sweep::run_tree(s, run);
  const std::string yaml = sweep::run_yaml(s, run);
  const ConfigNode back = amprig::parse_config_text(yaml, s.bases[run.base].path);
  if (!fuzz::same_tree(tree, back)) {
    // Text that is not UTF-8 is its own finding: the decoders take it, the emitter does not.
    fuzz::finding(utf8 ? "run-yaml-round-trip-changes-tree" : "non-utf8-text-accepted",
                  what + ":\n" + yaml);
  }
  const amprig::Scenario replayed = amprig::scenario_from_merged(back, s.bases[run.base].path, run.id);
  if (fuzz::fingerprint(replayed, false) != fuzz::fingerprint(scenario, false)) {
    fuzz::finding(utf8 ? "run-yaml-plays-another-scenario" : "non-utf8-text-accepted",
                  what + ":\n" + yaml);
  }
  if (sweep::run_digest(s, run) != sweep::run_digest(s, run)) {
    fuzz::finding("nondeterministic-digest", what);
  }
}

void decode(const std::string& text) {
  const std::string input = g_fixture->input().string();
  g_fixture->write_input(text);
  sweep::Sweep s;
  std::vector<sweep::Run> runs;
  const auto decode = [&] {
    s = sweep::load_sweep(input);
    runs = sweep::expand(s);
  };
  if (!fuzz::decodes(decode, *g_fixture, text)) return;
  const bool utf8 = fuzz::valid_utf8(text);
  try {
    if (describe_runs(sweep::expand(sweep::load_sweep(input))) != describe_runs(runs)) {
      fuzz::finding("nondeterministic-expansion", "a second reading of the same sweep expands otherwise");
    }
    for (std::size_t i = 0; i < runs.size(); ++i) {
      check_identity(runs[i]);
      if (i < kRunsChecked || i + 1 == runs.size()) check_run(s, runs[i], utf8);
    }
  } catch (const std::exception& e) {
    fuzz::finding("run-fails-after-sweep-accepted", e.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_fixture = std::make_unique<fuzz::Fixture>("sweeps/input.yaml");
  g_fixture->link_folders(fuzz::scenarios_folder(), "sweeps");
  std::atexit([] { g_fixture.reset(); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (worth_decoding(text)) decode(text);
  return 0;
}
