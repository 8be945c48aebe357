#include "connectivity/telemetry.h"

#include "core/crc.h"
#include "core/le_bytes.h"

namespace amprig::fw {
namespace {

// Datagram layout (little-endian), every field naturally aligned:
//   0  magic           u16  "AT" (0x41 0x54)
//   2  version         u16  1
//   4  sequence        u32
//   8  measured_at_us  u64
//  16  current_ma      3 x i32, L1..L3
//  28  power_w         3 x i32, L1..L3
//  40  CRC-16/CCITT-FALSE u16 over bytes [0, 40)
//  42
constexpr std::uint16_t kMagic = 0x5441;  // "AT" in memory order
constexpr std::uint16_t kVersion = 1;
constexpr std::size_t kCrcOffset = 40;
static_assert(kCrcOffset + 2 == kTelemetryBytes, "the layout above fills the datagram");

}  // namespace

std::size_t encode_telemetry(const TelemetryReport& report, Span<std::uint8_t> out) {
  if (out.size() < kTelemetryBytes) return 0;
  std::uint8_t* p = out.data();
  le::put_u16(p + 0, kMagic);
  le::put_u16(p + 2, kVersion);
  le::put_u32(p + 4, report.sequence);
  le::put_u64(p + 8, report.measured_at_us);
  for (int k = 0; k < 3; ++k) {
    le::put_i32(p + 16 + 4 * k, report.current_ma[k]);
    le::put_i32(p + 28 + 4 * k, report.power_w[k]);
  }
  le::put_u16(p + kCrcOffset, crc16_ccitt(p, kCrcOffset));
  return kTelemetryBytes;
}

bool decode_telemetry(Span<const std::uint8_t> in, TelemetryReport* out) {
  if (out == nullptr || in.size() != kTelemetryBytes) return false;
  const std::uint8_t* p = in.data();
  if (le::get_u16(p + 0) != kMagic || le::get_u16(p + 2) != kVersion ||
      le::get_u16(p + kCrcOffset) != crc16_ccitt(p, kCrcOffset)) {
    return false;
  }
  TelemetryReport r;
  r.sequence = le::get_u32(p + 4);
  r.measured_at_us = le::get_u64(p + 8);
  for (int k = 0; k < 3; ++k) {
    r.current_ma[k] = le::get_i32(p + 16 + 4 * k);
    r.power_w[k] = le::get_i32(p + 28 + 4 * k);
  }
  *out = r;
  return true;
}

}  // namespace amprig::fw
