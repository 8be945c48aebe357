// libFuzzer target: a scenario file, decoded as `amprig run` decodes it (load_scenario: the
// file, its `base:` chain, the decoders and the models' own checks), next to the repository's
// base_*.yaml templates so that `base: base_ag63.yaml` resolves as it does there.
//
// Beyond crashes and sanitizer reports it checks that an error names the input (or a base) and
// a line the input has; that a decoded scenario's times lie within the kernel's range; that a
// second decode gives the same scenario; and that the file written back as YAML (as a sweep
// writes a run's scenario) decodes to the same scenario again.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "fuzz_support.h"
#include "scenario/config_tree.h"
#include "scenario/scenario.h"
#include "sweep/sweep.h"

namespace {

using amprig::ConfigNode;
using amprig::ScenarioError;
namespace fuzz = amprig::fuzz;

std::unique_ptr<fuzz::Fixture> g_fixture;

// A `base:` that leaves the fixture is left alone (see Fixture::stays_inside).
bool worth_decoding(const std::string& text) {
  try {
    const ConfigNode root = amprig::parse_config_text(text, "input");
    const ConfigNode* base = root.is_map() ? root.find("base") : nullptr;
    return base == nullptr || !base->is_scalar() || g_fixture->stays_inside(base->scalar);
  } catch (const ScenarioError&) {
    return true;
  }
}

void decode(const std::string& text) {
  const std::string input = g_fixture->input().string();
  g_fixture->write_input(text);
  amprig::Scenario first;
  if (!fuzz::decodes([&] { first = amprig::load_scenario(input); }, *g_fixture, text)) return;
  fuzz::check_times(first, "scenario");
  const std::string expected = fuzz::fingerprint(first);
  try {
    if (fuzz::fingerprint(amprig::load_scenario(input)) != expected) {
      fuzz::finding("nondeterministic-decode", "a second decode of the same file differs");
    }
    const std::string written = amprig::sweep::to_yaml(amprig::load_config_file(input));
    g_fixture->write_input(written);
    const amprig::Scenario again = amprig::load_scenario(input);
    if (fuzz::fingerprint(again, false) != fuzz::fingerprint(first, false)) {
      // Text that is not UTF-8 is its own finding: the decoders take it, the emitter does not.
      fuzz::finding(fuzz::valid_utf8(text) ? "yaml-round-trip-changes-scenario" : "non-utf8-text-accepted",
                    "written back as YAML, the file decodes to another scenario:\n" + written);
    }
  } catch (const std::exception& e) {
    fuzz::finding("yaml-round-trip-fails", e.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_fixture = std::make_unique<fuzz::Fixture>("input.yaml");
  g_fixture->mirror_files(fuzz::scenarios_folder() / "regression", "base_");
  std::atexit([] { g_fixture.reset(); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (worth_decoding(text)) decode(text);
  return 0;
}
