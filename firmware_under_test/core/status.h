#pragma once
// Error returns for the firmware core: it has no exceptions.
#include <cstdint>

namespace amprig::fw {

enum class Status : std::uint8_t {
  ok = 0,
  invalid_argument,
  out_of_range,
  unavailable,
  failed_precondition,
  data_loss,
  resource_exhausted,
};

constexpr const char* to_string(Status s) {
  switch (s) {
    case Status::ok: return "ok";
    case Status::invalid_argument: return "invalid_argument";
    case Status::out_of_range: return "out_of_range";
    case Status::unavailable: return "unavailable";
    case Status::failed_precondition: return "failed_precondition";
    case Status::data_loss: return "data_loss";
    case Status::resource_exhausted: return "resource_exhausted";
  }
  return "unknown";
}

}  // namespace amprig::fw
