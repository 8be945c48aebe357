#pragma once
// The telemetry datagram the device sends to the load balancer over its cloud session: the
// latest measurement window's currents and powers, stamped with the device time the window
// completed. Little-endian, fixed size, CRC-checked: the balancer decodes it with the same code.
#include <cstddef>
#include <cstdint>

#include "core/span.h"

namespace amprig::fw {

struct TelemetryReport {
  std::uint32_t sequence = 0;        // +1 per datagram since boot
  std::uint64_t measured_at_us = 0;  // device clock when the window completed
  // Per grid phase, signed like the active power: + import, - export.
  std::int32_t current_ma[3] = {0, 0, 0};
  std::int32_t power_w[3] = {0, 0, 0};
};

inline constexpr std::size_t kTelemetryBytes = 42;

// Writes the datagram into `out`; returns its length, or 0 when `out` is too small.
std::size_t encode_telemetry(const TelemetryReport& report, Span<std::uint8_t> out);
// False when `in` is not a well-formed datagram (length, magic, version or CRC).
bool decode_telemetry(Span<const std::uint8_t> in, TelemetryReport* out);

}  // namespace amprig::fw
