#pragma once
// Scenarios from an already-parsed tree: a YAML file's, or one built from a Python dict. The
// same decoders, checks and messages as for a file.
#include <string>

#include "scenario/config_tree.h"
#include "scenario/scenario.h"

namespace amprig {

// `root` may name a `base:` file, resolved against `base_dir`. Throws ScenarioError.
Scenario scenario_from_config(const ConfigNode& root, const std::string& file,
                              const std::string& base_dir);
// `root` with its bases already merged.
Scenario scenario_from_merged(const ConfigNode& root, const std::string& file,
                              const std::string& id);
// One `expect:` entry: a scalar (exact) or a map of value/tolerance_pct/tolerance_abs/min/max/
// not_between/contains. `path` is the key named in errors. Throws ScenarioError.
Expectation decode_expectation(const std::string& signal, const ConfigNode& node,
                               const SourceRef& key_where, const std::string& path);

}  // namespace amprig
