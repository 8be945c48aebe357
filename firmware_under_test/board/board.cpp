#include "board/board.h"

#include <cstring>

namespace amprig::fw {
namespace {

// Burdens are chosen so that the CT's maximum secondary current peaks at about
// 80 % of the ADC's half range; dividers so that the highest specified voltage
// plus a 10 % swell stays inside it.
constexpr BoardDesign kDesigns[] = {
    {Variant::ag63, "ag63", 63.0 / 0.030, 27.0, 63.0, 94.5, 0.8, 1.0e6, 2.4e3, 85.0, 256.0, 16,
     3.3, 50.0, false},
    {Variant::home100, "home100", 100.0 / 0.050, 16.0, 100.0, 150.0, 1.0, 1.0e6, 2.4e3, 0.0, 390.0,
     16, 3.3, 50.0, true},
    {Variant::public400, "public400", 400.0 / 0.100, 8.2, 400.0, 600.0, 1.2, 1.0e6, 2.4e3, 0.0,
     390.0, 16, 3.3, 50.0, true},
};

}  // namespace

const BoardDesign& board_design(Variant variant) {
  for (const auto& d : kDesigns) {
    if (d.variant == variant) return d;
  }
  return kDesigns[0];
}

bool parse_variant(const char* id, Variant* out) {
  for (const auto& d : kDesigns) {
    if (std::strcmp(d.id, id) == 0) {
      *out = d.variant;
      return true;
    }
  }
  return false;
}

}  // namespace amprig::fw
