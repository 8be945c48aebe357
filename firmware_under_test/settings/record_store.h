#pragma once
// One small record in NVM that survives a power cut at any byte of its update: two slots (two
// consecutive pages), each holding a versioned, CRC-checked copy with a sequence number. A save
// writes the slot not holding the newest copy, so a cut leaves that copy intact. The payload's
// meaning belongs to a codec (SettingsStore, WifiStore); this class only moves checked bytes.
//
// Record layout (little-endian) at the start of each slot's page:
//   0  magic            u32  per record kind
//   4  layout version   u16  per record kind
//   6  payload length   u16
//   8  sequence         u32  higher is newer
//  12  payload          payload length bytes
//  ..  CRC-32 (IEEE)    u32  over everything before it
#include <cstddef>
#include <cstdint>

#include "core/span.h"
#include "core/status.h"
#include "hal/hal.h"

namespace amprig::fw {

struct RecordFormat {
  std::uint32_t magic;
  std::uint16_t version;
  std::uint16_t payload_bytes;  // at most RecordStore::kMaxPayloadBytes
  std::size_t first_page;       // the slots are pages first_page and first_page + 1
  // The codec's say on a payload whose CRC is intact: false for content it cannot represent
  // (an enum out of range, an unterminated string), so that such a slot counts as invalid.
  bool (*payload_valid)(const std::uint8_t* payload);
};

class RecordStore {
 public:
  static constexpr std::size_t kHeaderBytes = 12;
  static constexpr std::size_t kCrcBytes = 4;
  static constexpr std::size_t kMaxPayloadBytes = 64;

  RecordStore(hal::Nvm& nvm, const RecordFormat& format);
  // The newest valid record's payload into `payload` (format.payload_bytes long). Status::ok, or
  // Status::unavailable (and `payload` untouched) when neither slot holds a valid record.
  Status load(Span<std::uint8_t> payload);
  // Writes `payload` (format.payload_bytes long) to the slot not holding the newest record.
  Status save(Span<const std::uint8_t> payload);
  // Erases both slots, the older first: the next load finds nothing.
  Status factory_reset();
  std::uint32_t sequence() const { return m_sequence; }  // of the newest valid record
  std::size_t record_bytes() const { return kHeaderBytes + m_format.payload_bytes + kCrcBytes; }
  // False when the NVM cannot hold both slots (too few pages, pages smaller than a record).
  bool fits() const;

 private:
  struct Scan {
    int newest_slot = -1;  // -1: none valid
    std::uint32_t sequence = 0;
  };
  Scan scan(std::uint8_t* newest_payload);
  std::size_t slot_offset(int slot) const;

  hal::Nvm& m_nvm;
  RecordFormat m_format;
  std::uint32_t m_sequence = 0;
};

}  // namespace amprig::fw
