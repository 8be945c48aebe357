#include "settings/settings_store.h"

#include <limits>

#include "core/le_bytes.h"

namespace amprig::fw {
namespace {

// Payload of the "AMPS" record (RecordStore header before it, CRC after it), little-endian,
// offsets within the record:
//  12  fuse_a           f32
//  16  network          u8   0 tn, 1 it
//  17  supply_voltage_v f32
//  21  scheme.phase     3 x u8
//  24  scheme.inverted  3 x u8 (0 or 1)
//  27  CRC-32; the record is 31 bytes
constexpr std::uint16_t kPayloadBytes = 15;

static_assert(std::numeric_limits<float>::is_iec559 && sizeof(float) == 4,
              "the record stores floats as IEEE-754 binary32");

// Field values are left to check_settings, except those that have no representation in the
// struct.
bool payload_valid(const std::uint8_t* p) {
  return p[4] <= 1 && p[12] <= 1 && p[13] <= 1 && p[14] <= 1;
}

constexpr RecordFormat kFormat{
    0x53504D41,  // "AMPS" in memory order
    1,           // layout version
    kPayloadBytes,
    SettingsStore::kFirstPage,
    &payload_valid,
};

void encode(const InstallationSettings& s, std::uint8_t* p) {
  le::put_f32(p + 0, s.fuse_a);
  p[4] = static_cast<std::uint8_t>(s.network);
  le::put_f32(p + 5, s.supply_voltage_v);
  for (int k = 0; k < 3; ++k) {
    p[9 + k] = s.scheme.phase[k];
    p[12 + k] = s.scheme.inverted[k] ? 1 : 0;
  }
}

InstallationSettings decode(const std::uint8_t* p) {
  InstallationSettings s;
  s.fuse_a = le::get_f32(p + 0);
  s.network = static_cast<NetworkType>(p[4]);
  s.supply_voltage_v = le::get_f32(p + 5);
  for (int k = 0; k < 3; ++k) {
    s.scheme.phase[k] = p[9 + k];
    s.scheme.inverted[k] = p[12 + k] != 0;
  }
  return s;
}

}  // namespace

SettingsStore::SettingsStore(hal::Nvm& nvm) : m_records(nvm, kFormat) {}

Status SettingsStore::load(InstallationSettings* out) {
  std::uint8_t payload[kPayloadBytes];
  const Status status = m_records.load(Span<std::uint8_t>(payload));
  *out = status == Status::ok ? decode(payload) : InstallationSettings{};
  return status;
}

Status SettingsStore::save(const InstallationSettings& settings) {
  std::uint8_t payload[kPayloadBytes];
  encode(settings, payload);
  return m_records.save(Span<const std::uint8_t>(payload));
}

Status SettingsStore::factory_reset() { return m_records.factory_reset(); }

}  // namespace amprig::fw
