#include "scenario/config_tree.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

namespace amprig {
namespace {

SourceRef ref(const std::string& file, const YAML::Mark& mark) {
  return SourceRef{file, mark.is_null() ? 0 : mark.line + 1};
}

ConfigNode convert(const YAML::Node& node, const std::string& file) {
  ConfigNode out;
  out.where = ref(file, node.Mark());
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      out.type = ConfigNode::Type::null;
      break;
    case YAML::NodeType::Scalar:
      out.type = ConfigNode::Type::scalar;
      out.scalar = node.Scalar();
      break;
    case YAML::NodeType::Sequence:
      out.type = ConfigNode::Type::sequence;
      for (const auto& item : node) out.items.push_back(convert(item, file));
      break;
    case YAML::NodeType::Map:
      out.type = ConfigNode::Type::map;
      for (const auto& kv : node) {
        const SourceRef key_where = ref(file, kv.first.Mark());
        if (!kv.first.IsScalar()) throw ScenarioError(key_where, "?", "map keys must be plain names");
        const std::string key = kv.first.Scalar();
        if (out.find(key) != nullptr) throw ScenarioError(key_where, key, "key appears twice");
        out.fields.emplace_back(key, convert(kv.second, file));
        out.key_refs.push_back(key_where);
      }
      break;
  }
  return out;
}

}  // namespace

const ConfigNode* ConfigNode::find(const std::string& key) const {
  for (const auto& [k, v] : fields) {
    if (k == key) return &v;
  }
  return nullptr;
}

const SourceRef& ConfigNode::key_ref(const std::string& key) const {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].first == key) return key_refs[i];
  }
  return where;
}

ConfigNode parse_config_text(const std::string& text, const std::string& file_name) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ScenarioError(ref(file_name, e.mark), "", "YAML syntax error: " + e.msg);
  }
  return convert(root, file_name);
}

ConfigNode load_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ScenarioError(SourceRef{path, 0}, "", "cannot open file");
  std::stringstream text;
  text << in.rdbuf();
  return parse_config_text(text.str(), path);
}

ConfigNode merge_config(const ConfigNode& base, const ConfigNode& overlay) {
  if (!base.is_map() || !overlay.is_map()) return overlay;
  ConfigNode out = base;
  out.where = overlay.where;
  for (std::size_t i = 0; i < overlay.fields.size(); ++i) {
    const auto& [key, value] = overlay.fields[i];
    bool replaced = false;
    for (std::size_t j = 0; j < out.fields.size(); ++j) {
      if (out.fields[j].first == key) {
        out.fields[j].second = merge_config(out.fields[j].second, value);
        out.key_refs[j] = overlay.key_refs[i];
        replaced = true;
        break;
      }
    }
    if (!replaced) {
      out.fields.emplace_back(key, value);
      out.key_refs.push_back(overlay.key_refs[i]);
    }
  }
  return out;
}

}  // namespace amprig
