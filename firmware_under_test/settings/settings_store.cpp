#include "settings/settings_store.h"

#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <limits>

namespace amprig::fw {
namespace {

// Record layout (little-endian), one record at the start of each slot's page:
//   0  magic            u32  "AMPS"
//   4  layout version   u16  1
//   6  payload length   u16  15
//   8  sequence         u32  higher is newer
//  12  fuse_a           f32
//  16  network          u8   0 tn, 1 it
//  17  supply_voltage_v f32
//  21  scheme.phase     3 x u8
//  24  scheme.inverted  3 x u8 (0 or 1)
//  27  CRC-32 (IEEE)    u32  over bytes [0, 27)
//  31
constexpr std::uint32_t kMagic = 0x53504D41;  // "AMPS" in memory order
constexpr std::uint16_t kLayoutVersion = 1;
constexpr std::size_t kHeaderBytes = 12;
constexpr std::size_t kPayloadBytes = 15;
constexpr std::size_t kCrcOffset = kHeaderBytes + kPayloadBytes;
constexpr std::size_t kRecordBytes = kCrcOffset + 4;
constexpr int kSlots = 2;

static_assert(std::numeric_limits<float>::is_iec559 && sizeof(float) == 4,
              "the record stores floats as IEEE-754 binary32");

using Record = std::uint8_t[kRecordBytes];

void put_u16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
}
void put_u32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
void put_f32(std::uint8_t* p, float v) {
  std::uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  put_u32(p, bits);
}
std::uint16_t get_u16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
std::uint32_t get_u32(const std::uint8_t* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
float get_f32(const std::uint8_t* p) {
  const std::uint32_t bits = get_u32(p);
  float v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

// Bitwise, reflected, polynomial 0xEDB88320: the record is too small for a table to pay.
std::uint32_t crc32(const std::uint8_t* data, std::size_t size) {
  std::uint32_t crc = 0xffffffffu;
  for (std::size_t i = 0; i < size; ++i) {
    crc ^= data[i];
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void encode(const InstallationSettings& s, std::uint32_t sequence, Record& r) {
  put_u32(r + 0, kMagic);
  put_u16(r + 4, kLayoutVersion);
  put_u16(r + 6, kPayloadBytes);
  put_u32(r + 8, sequence);
  put_f32(r + 12, s.fuse_a);
  r[16] = static_cast<std::uint8_t>(s.network);
  put_f32(r + 17, s.supply_voltage_v);
  for (int k = 0; k < 3; ++k) {
    r[21 + k] = s.scheme.phase[k];
    r[24 + k] = s.scheme.inverted[k] ? 1 : 0;
  }
  put_u32(r + kCrcOffset, crc32(r, kCrcOffset));
}

// False unless `r` is a complete record of this layout. Field values are left
// to check_settings, except those that have no representation in the struct.
bool decode(const Record& r, std::uint32_t* sequence, InstallationSettings* out) {
  if (get_u32(r + 0) != kMagic || get_u16(r + 4) != kLayoutVersion ||
      get_u16(r + 6) != kPayloadBytes || get_u32(r + kCrcOffset) != crc32(r, kCrcOffset)) {
    return false;
  }
  if (r[16] > 1 || r[24] > 1 || r[25] > 1 || r[26] > 1) return false;
  InstallationSettings s;
  s.fuse_a = get_f32(r + 12);
  s.network = static_cast<NetworkType>(r[16]);
  s.supply_voltage_v = get_f32(r + 17);
  for (int k = 0; k < 3; ++k) {
    s.scheme.phase[k] = r[21 + k];
    s.scheme.inverted[k] = r[24 + k] != 0;
  }
  *sequence = get_u32(r + 8);
  *out = s;
  return true;
}

bool fits(const hal::Nvm& nvm) {
  return nvm.page_bytes() >= kRecordBytes && nvm.size_bytes() / nvm.page_bytes() >= kSlots;
}

std::size_t slot_offset(const hal::Nvm& nvm, int slot) {
  return static_cast<std::size_t>(slot) * nvm.page_bytes();
}

struct Scan {
  int newest_slot = -1;  // -1: none valid
  std::uint32_t sequence = 0;
  InstallationSettings settings{};
};

// A slot that cannot be read counts as invalid: the other may still hold good settings.
Scan scan(hal::Nvm& nvm) {
  Scan found;
  if (!fits(nvm)) return found;
  for (int slot = 0; slot < kSlots; ++slot) {
    Record r;
    std::uint32_t sequence = 0;
    InstallationSettings s;
    if (nvm.read(slot_offset(nvm, slot), Span<std::uint8_t>(r)) != Status::ok ||
        !decode(r, &sequence, &s)) {
      continue;
    }
    // Strictly newer: equal sequences (never written by save) resolve to slot 0.
    if (found.newest_slot < 0 || sequence > found.sequence) {
      found.newest_slot = slot;
      found.sequence = sequence;
      found.settings = s;
    }
  }
  return found;
}

}  // namespace

SettingsStore::SettingsStore(hal::Nvm& nvm) : m_nvm(nvm) {}

Status SettingsStore::load(InstallationSettings* out) {
  const Scan found = scan(m_nvm);
  m_newest_slot = found.newest_slot;
  m_sequence = found.sequence;
  *out = found.settings;
  return found.newest_slot < 0 ? Status::unavailable : Status::ok;
}

Status SettingsStore::save(const InstallationSettings& settings) {
  if (!fits(m_nvm)) return Status::resource_exhausted;
  // Scanned afresh rather than cached: a save before load(), or after a failed
  // save, must still leave the newest good record alone.
  const Scan found = scan(m_nvm);
  // A wrapped sequence would lose to the record it replaces.
  if (found.sequence == std::numeric_limits<std::uint32_t>::max()) return Status::out_of_range;
  const int slot = found.newest_slot == 0 ? 1 : 0;
  const std::uint32_t sequence = found.sequence + 1;
  Record r;
  encode(settings, sequence, r);

  const std::size_t offset = slot_offset(m_nvm, slot);
  Status status = m_nvm.erase_page(offset);
  if (status != Status::ok) return status;
  // The CRC goes last: until all of it is programmed the slot cannot pass as
  // valid, so a power cut at any byte leaves the other slot in charge.
  status = m_nvm.write(offset, Span<const std::uint8_t>(r, kCrcOffset));
  if (status != Status::ok) return status;
  status = m_nvm.write(offset + kCrcOffset, Span<const std::uint8_t>(r + kCrcOffset, 4));
  if (status != Status::ok) return status;

  // Flash reports success for bits it failed to clear only on read-back.
  Record check;
  status = m_nvm.read(offset, Span<std::uint8_t>(check));
  if (status != Status::ok) return status;
  if (std::memcmp(check, r, kRecordBytes) != 0) return Status::data_loss;
  m_newest_slot = slot;
  m_sequence = sequence;
  return Status::ok;
}

Status SettingsStore::factory_reset() {
  if (!fits(m_nvm)) return Status::resource_exhausted;
  // The older slot goes first: a power cut between the two erases then leaves
  // the newest settings, never resurrects the ones before them.
  const int first = scan(m_nvm).newest_slot == 0 ? 1 : 0;
  for (const int slot : {first, 1 - first}) {
    const Status status = m_nvm.erase_page(slot_offset(m_nvm, slot));
    if (status != Status::ok) return status;
  }
  m_newest_slot = -1;
  m_sequence = 0;
  return Status::ok;
}

}  // namespace amprig::fw
