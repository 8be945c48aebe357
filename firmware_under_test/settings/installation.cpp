#include "settings/installation.h"

namespace amprig::fw {
namespace {

// The scenario parser accepts the same range, so that anything a scenario can
// configure is also a storable setting.
constexpr float kMinFuseA = 1.0f;
constexpr float kMaxFuseA = 4000.0f;
// The older variants specify their voltage terminal from 0 V; a nominal supply
// below 50 V AC is extra-low voltage, not a mains supply worth metering.
constexpr double kMinNominalSupplyV = 50.0;

// Written as "inside" rather than "outside" so that NaN fails it.
bool within(float value, double lo, double hi) { return value >= lo && value <= hi; }

double min_supply_v(const BoardDesign& board) {
  return board.min_voltage_v > kMinNominalSupplyV ? board.min_voltage_v : kMinNominalSupplyV;
}

// Messages are static strings, so each variant's range is spelled out; a test
// checks that the numbers match the board design.
const char* supply_voltage_reason(Variant variant) {
  switch (variant) {
    case Variant::ag63:
      return "supply_voltage_v must be between 85 and 256 V on ag63";
    case Variant::home100:
      return "supply_voltage_v must be between 50 and 390 V on home100";
    case Variant::public400:
      return "supply_voltage_v must be between 50 and 390 V on public400";
  }
  return "supply_voltage_v is outside the variant's voltage range";
}

}  // namespace

const char* check_settings(const InstallationSettings& settings, const BoardDesign& board) {
  if (!within(settings.fuse_a, kMinFuseA, kMaxFuseA)) return "fuse_a must be between 1 and 4000 A";
  if (settings.network != NetworkType::tn && settings.network != NetworkType::it) {
    return "network must be tn or it";
  }
  // The device spec lists IT networks among the newer generation's features.
  if (settings.network == NetworkType::it && board.variant != Variant::ag63) {
    return "network it is supported on ag63 only";
  }
  if (!within(settings.supply_voltage_v, min_supply_v(board), board.max_voltage_v)) {
    return supply_voltage_reason(board.variant);
  }
  bool seen[3] = {false, false, false};
  for (const std::uint8_t phase : settings.scheme.phase) {
    if (phase > 2) return "scheme.phase entries must be 0 (L1), 1 (L2) or 2 (L3)";
    if (seen[phase]) return "scheme.phase must map each grid phase to exactly one CT input";
    seen[phase] = true;
  }
  return nullptr;
}

bool operator==(const InstallationSettings& a, const InstallationSettings& b) {
  for (int k = 0; k < 3; ++k) {
    if (a.scheme.phase[k] != b.scheme.phase[k] || a.scheme.inverted[k] != b.scheme.inverted[k]) {
      return false;
    }
  }
  return a.fuse_a == b.fuse_a && a.network == b.network && a.supply_voltage_v == b.supply_voltage_v;
}

}  // namespace amprig::fw
