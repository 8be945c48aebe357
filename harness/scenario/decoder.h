#pragma once
// Reads typed values out of a merged scenario tree; every error names the file,
// the line and the key. Shared by the scenario decoders, not part of the API.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "scenario/config_tree.h"
#include "scenario/limits.h"
#include "scenario/scenario.h"

namespace amprig {

inline std::string format_number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// Reads typed values out of the merged tree; every error names file, line and key.
class Decoder {
 public:
  [[noreturn]] static void fail(const SourceRef& where, const std::string& key,
                                const std::string& message) {
    throw ScenarioError(where, key, message);
  }

  static void require_map(const ConfigNode& node, const std::string& key) {
    if (!node.is_map()) fail(node.where, key, "expected a map of keys");
  }

  // Rejects keys not in `allowed`, suggesting the closest allowed one.
  static void check_keys(const ConfigNode& map, const std::string& path,
                         std::initializer_list<const char*> allowed) {
    require_map(map, path);
    for (std::size_t i = 0; i < map.fields.size(); ++i) {
      const std::string& key = map.fields[i].first;
      bool ok = false;
      for (const char* a : allowed) ok = ok || key == a;
      if (ok) continue;
      std::string list;
      for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
      fail(map.key_refs[i], join(path, key), "unknown key (allowed here: " + list + ")");
    }
  }

  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  static const std::string& scalar(const ConfigNode& node, const std::string& key) {
    if (!node.is_scalar()) fail(node.where, key, "expected a single value");
    return node.scalar;
  }

  static double number(const ConfigNode& node, const std::string& key) {
    const std::string& text = scalar(node, key);
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || end == text.c_str() || *end != '\0' || !std::isfinite(v)) {
      fail(node.where, key, "expected a number, got '" + text + "'");
    }
    return v;
  }

  static double number_in(const ConfigNode& node, const std::string& key, double lo, double hi) {
    const double v = number(node, key);
    if (v < lo || v > hi) {
      fail(node.where, key,
           format_number(v) + " is out of range [" + format_number(lo) + ", " +
               format_number(hi) + "]");
    }
    return v;
  }

  static bool boolean(const ConfigNode& node, const std::string& key) {
    const std::string& t = scalar(node, key);
    if (t == "true" || t == "yes" || t == "on") return true;
    if (t == "false" || t == "no" || t == "off") return false;
    fail(node.where, key, "expected true or false, got '" + t + "'");
  }

  static SimTimeNs duration(const ConfigNode& node, const std::string& key) {
    try {
      return parse_duration_ns(scalar(node, key));
    } catch (const std::invalid_argument& e) {
      fail(node.where, key, e.what());
    }
  }

  // `a + b` (a start and a window, a fault's start and its duration) as one time, which must
  // stay within the kernel's range like each of its parts.
  static SimTimeNs sum_ns(SimTimeNs a, SimTimeNs b, const SourceRef& where, const std::string& key,
                          const std::string& what) {
    if (b > kMaxSimTimeNs - a) {
      fail(where, key, what + " ends beyond the simulator's range: at most " + max_sim_time_text());
    }
    return a + b;
  }

  // A list of at most `limit` entries (`what`: "loads", "steps", ...).
  static void check_count(const ConfigNode& list, const std::string& key, std::size_t limit,
                          const std::string& what) {
    const std::size_t count = list.is_map() ? list.fields.size() : list.items.size();
    if (count > limit) {
      fail(list.where, key,
           std::to_string(count) + " " + what + "; the limit is " + std::to_string(limit));
    }
  }

  static double seconds(const ConfigNode& node, const std::string& key) {
    return static_cast<double>(duration(node, key)) * 1e-9;
  }

  static models::Phase phase(const ConfigNode& node, const std::string& key) {
    const std::string& t = scalar(node, key);
    if (t == "L1") return models::L1;
    if (t == "L2") return models::L2;
    if (t == "L3") return models::L3;
    fail(node.where, key, "expected L1, L2 or L3, got '" + t + "'");
  }

  static std::vector<models::Phase> phases(const ConfigNode& node, const std::string& key) {
    if (!node.is_sequence() || node.items.empty()) {
      fail(node.where, key, "expected a list of phases, e.g. [L1, L2, L3]");
    }
    std::vector<models::Phase> out;
    for (const auto& item : node.items) {
      const auto p = phase(item, key);
      if (std::find(out.begin(), out.end(), p) != out.end()) {
        fail(item.where, key, "phase listed twice");
      }
      out.push_back(p);
    }
    return out;
  }

  static std::vector<models::Harmonic> harmonics(const ConfigNode& node, const std::string& key) {
    if (!node.is_sequence()) fail(node.where, key, "expected a list of { order, percent }");
    check_count(node, key, kMaxHarmonics, "harmonics");
    std::vector<models::Harmonic> out;
    for (std::size_t i = 0; i < node.items.size(); ++i) {
      const ConfigNode& h = node.items[i];
      const std::string path = key + "[" + std::to_string(i) + "]";
      check_keys(h, path, {"order", "percent", "phase_deg"});
      models::Harmonic harmonic;
      const ConfigNode* order = h.find("order");
      const ConfigNode* percent = h.find("percent");
      if (order == nullptr || percent == nullptr) {
        fail(h.where, path, "a harmonic needs both order and percent");
      }
      const double o = number_in(*order, path + ".order", 2, 50);
      if (o != std::floor(o)) fail(order->where, path + ".order", "order must be a whole number");
      harmonic.order = static_cast<int>(o);
      harmonic.percent = number_in(*percent, path + ".percent", 0, 100);
      if (const auto* ph = h.find("phase_deg")) {
        harmonic.phase_deg = number_in(*ph, path + ".phase_deg", -360, 360);
      }
      out.push_back(harmonic);
    }
    return out;
  }
};


}  // namespace amprig

namespace amprig {

// scenario_network.cpp: the EV side and the network.
void decode_device_connectivity(const ConfigNode& device, Scenario& s);
void decode_chargers(const ConfigNode& node, Scenario& s);
void decode_balancer(const ConfigNode& node, Scenario& s);
void decode_network(const ConfigNode& node, Scenario& s);

}  // namespace amprig
