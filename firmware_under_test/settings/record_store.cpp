#include "settings/record_store.h"

#include <cstring>
#include <initializer_list>
#include <limits>

#include "core/crc.h"
#include "core/le_bytes.h"

namespace amprig::fw {
namespace {

constexpr int kSlots = 2;
constexpr std::size_t kRecordCapacity =
    RecordStore::kHeaderBytes + RecordStore::kMaxPayloadBytes + RecordStore::kCrcBytes;

}  // namespace

RecordStore::RecordStore(hal::Nvm& nvm, const RecordFormat& format)
    : m_nvm(nvm), m_format(format) {}

bool RecordStore::fits() const {
  const std::size_t page = m_nvm.page_bytes();
  return m_format.payload_bytes <= kMaxPayloadBytes && page >= record_bytes() &&
         m_nvm.size_bytes() / page >= m_format.first_page + kSlots;
}

std::size_t RecordStore::slot_offset(int slot) const {
  return (m_format.first_page + static_cast<std::size_t>(slot)) * m_nvm.page_bytes();
}

// A slot that cannot be read counts as invalid: the other may still hold a good record.
RecordStore::Scan RecordStore::scan(std::uint8_t* newest_payload) {
  Scan found;
  if (!fits()) return found;
  const std::size_t crc_offset = kHeaderBytes + m_format.payload_bytes;
  for (int slot = 0; slot < kSlots; ++slot) {
    std::uint8_t r[kRecordCapacity];
    if (m_nvm.read(slot_offset(slot), Span<std::uint8_t>(r, record_bytes())) != Status::ok) {
      continue;
    }
    if (le::get_u32(r + 0) != m_format.magic || le::get_u16(r + 4) != m_format.version ||
        le::get_u16(r + 6) != m_format.payload_bytes ||
        le::get_u32(r + crc_offset) != crc32(r, crc_offset)) {
      continue;
    }
    if (m_format.payload_valid != nullptr && !m_format.payload_valid(r + kHeaderBytes)) continue;
    const std::uint32_t sequence = le::get_u32(r + 8);
    // Strictly newer: equal sequences (never written by save) resolve to slot 0.
    if (found.newest_slot < 0 || sequence > found.sequence) {
      found.newest_slot = slot;
      found.sequence = sequence;
      if (newest_payload != nullptr) {
        std::memcpy(newest_payload, r + kHeaderBytes, m_format.payload_bytes);
      }
    }
  }
  return found;
}

Status RecordStore::load(Span<std::uint8_t> payload) {
  if (payload.size() != m_format.payload_bytes) return Status::invalid_argument;
  std::uint8_t newest[kMaxPayloadBytes];
  const Scan found = scan(newest);
  m_sequence = found.sequence;
  if (found.newest_slot < 0) return Status::unavailable;
  std::memcpy(payload.data(), newest, m_format.payload_bytes);
  return Status::ok;
}

Status RecordStore::save(Span<const std::uint8_t> payload) {
  if (!fits()) return Status::resource_exhausted;
  if (payload.size() != m_format.payload_bytes) return Status::invalid_argument;
  // Scanned afresh rather than cached: a save before load(), or after a failed save, must
  // still leave the newest good record alone.
  const Scan found = scan(nullptr);
  // A wrapped sequence would lose to the record it replaces.
  if (found.sequence == std::numeric_limits<std::uint32_t>::max()) return Status::out_of_range;
  const int slot = found.newest_slot == 0 ? 1 : 0;
  const std::uint32_t sequence = found.sequence + 1;
  const std::size_t crc_offset = kHeaderBytes + m_format.payload_bytes;

  std::uint8_t r[kRecordCapacity];
  le::put_u32(r + 0, m_format.magic);
  le::put_u16(r + 4, m_format.version);
  le::put_u16(r + 6, m_format.payload_bytes);
  le::put_u32(r + 8, sequence);
  std::memcpy(r + kHeaderBytes, payload.data(), m_format.payload_bytes);
  le::put_u32(r + crc_offset, crc32(r, crc_offset));

  const std::size_t offset = slot_offset(slot);
  Status status = m_nvm.erase_page(offset);
  if (status != Status::ok) return status;
  // The CRC goes last: until all of it is programmed the slot cannot pass as valid, so a power
  // cut at any byte leaves the other slot in charge.
  status = m_nvm.write(offset, Span<const std::uint8_t>(r, crc_offset));
  if (status != Status::ok) return status;
  status = m_nvm.write(offset + crc_offset, Span<const std::uint8_t>(r + crc_offset, kCrcBytes));
  if (status != Status::ok) return status;

  // Flash reports success for bits it failed to clear only on read-back.
  std::uint8_t check[kRecordCapacity];
  status = m_nvm.read(offset, Span<std::uint8_t>(check, record_bytes()));
  if (status != Status::ok) return status;
  if (std::memcmp(check, r, record_bytes()) != 0) return Status::data_loss;
  m_sequence = sequence;
  return Status::ok;
}

Status RecordStore::factory_reset() {
  if (!fits()) return Status::resource_exhausted;
  // The older slot goes first: a power cut between the two erases then leaves the newest
  // record, never resurrects the one before it.
  const int first = scan(nullptr).newest_slot == 0 ? 1 : 0;
  for (const int slot : {first, 1 - first}) {
    const Status status = m_nvm.erase_page(slot_offset(slot));
    if (status != Status::ok) return status;
  }
  m_sequence = 0;
  return Status::ok;
}

}  // namespace amprig::fw
