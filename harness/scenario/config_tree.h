#pragma once
// A YAML document as a small tree whose every node knows its file and line, so
// that `base:` chains can be merged without losing where each value came from.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "scenario/scenario.h"

namespace amprig {

struct ConfigNode {
  enum class Type { null, scalar, sequence, map };
  Type type = Type::null;
  std::string scalar;
  std::vector<ConfigNode> items;                           // sequence
  std::vector<std::pair<std::string, ConfigNode>> fields;  // map, in file order
  std::vector<SourceRef> key_refs;                         // map: where each key stands
  SourceRef where;

  const ConfigNode* find(const std::string& key) const;
  const SourceRef& key_ref(const std::string& key) const;
  bool is_map() const { return type == Type::map; }
  bool is_sequence() const { return type == Type::sequence; }
  bool is_scalar() const { return type == Type::scalar; }
};

// Parses a YAML file; throws ScenarioError naming the file and line on a syntax error.
ConfigNode load_config_file(const std::string& path);
ConfigNode parse_config_text(const std::string& text, const std::string& file_name);
// Maps merge key by key (overlay wins, recursively); anything else is replaced whole.
ConfigNode merge_config(const ConfigNode& base, const ConfigNode& overlay);

}  // namespace amprig
