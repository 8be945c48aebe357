#pragma once
// Stream operators so that Boost.Test can print the firmware's enums in failure messages. The
// firmware core itself has no iostreams.
#include <ostream>

#include "core/status.h"
#include "hal/hal.h"

namespace amprig::fw {

inline std::ostream& operator<<(std::ostream& os, Status s) { return os << to_string(s); }

namespace hal {

inline std::ostream& operator<<(std::ostream& os, LedId led) {
  switch (led) {
    case LedId::logo:
      return os << "logo";
    case LedId::comm:
      return os << "comm";
    case LedId::voltage:
      return os << "voltage";
    case LedId::current:
      return os << "current";
  }
  return os << "led?";
}

inline std::ostream& operator<<(std::ostream& os, LedColour colour) {
  switch (colour) {
    case LedColour::off:
      return os << "off";
    case LedColour::on:
      return os << "on";
    case LedColour::green:
      return os << "green";
    case LedColour::blue:
      return os << "blue";
    case LedColour::red:
      return os << "red";
  }
  return os << "colour?";
}

}  // namespace hal
}  // namespace amprig::fw
