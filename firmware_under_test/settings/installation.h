#pragma once
// The installation settings of the local admin interface's "Installation" tab.
#include <cstdint>

#include "board/board.h"

namespace amprig::fw {

enum class NetworkType : std::uint8_t { tn = 0, it = 1 };

// Maps each CT input to the grid phase it measures and its direction, so that a
// miswired installation (CTs swapped or reversed) is fixed in software.
struct CurrentScheme {
  std::uint8_t phase[3] = {0, 1, 2};  // CT input k measures grid phase phase[k] (0 = L1)
  bool inverted[3] = {false, false, false};  // CT input k reads that phase's current negated
};

struct InstallationSettings {
  float fuse_a = 25.0f;            // main fuse current limit
  NetworkType network = NetworkType::tn;
  float supply_voltage_v = 230.0f; // nominal phase voltage (TN) or line voltage (IT)
  CurrentScheme scheme{};
};

// nullptr when `settings` is valid for `board`; otherwise why not (a static
// string naming the field). Invalid settings are never stored or applied.
const char* check_settings(const InstallationSettings& settings, const BoardDesign& board);

bool operator==(const InstallationSettings& a, const InstallationSettings& b);
inline bool operator!=(const InstallationSettings& a, const InstallationSettings& b) {
  return !(a == b);
}

}  // namespace amprig::fw
