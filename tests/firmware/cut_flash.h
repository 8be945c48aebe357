#pragma once
// A flash fake for the NVM stores' power-cut tests.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "hal/hal.h"

namespace amprig::fw::test {

// Flash semantics as the rig's RamNvm: programming only clears bits, erase sets a page to 0xff.
// Power can be cut after a budget of programmed or erased bytes: the byte that would exceed it,
// and every one after, is never written (an erase in progress leaves its page partly erased).
class CutFlash final : public hal::Nvm {
 public:
  explicit CutFlash(std::size_t size_bytes = 1024, std::size_t page_bytes = 256)
      : m_bytes(size_bytes, 0xff), m_page_bytes(page_bytes) {}

  std::size_t size_bytes() const override { return m_bytes.size(); }
  std::size_t page_bytes() const override { return m_page_bytes; }
  Status read(std::size_t offset, Span<std::uint8_t> out) override {
    if (m_off) return Status::unavailable;
    if (offset > m_bytes.size() || out.size() > m_bytes.size() - offset) {
      return Status::out_of_range;
    }
    std::memcpy(out.data(), m_bytes.data() + offset, out.size());
    return Status::ok;
  }
  Status write(std::size_t offset, Span<const std::uint8_t> data) override {
    if (offset > m_bytes.size() || data.size() > m_bytes.size() - offset) {
      return Status::out_of_range;
    }
    for (std::size_t i = 0; i < data.size(); ++i) {
      if (!spend_byte()) return Status::unavailable;
      if (offset + i != stuck_offset) m_bytes[offset + i] &= data[i];
    }
    return Status::ok;
  }
  Status erase_page(std::size_t offset) override {
    if (offset >= m_bytes.size() || offset % m_page_bytes != 0) return Status::invalid_argument;
    for (std::size_t i = 0; i < m_page_bytes; ++i) {
      if (!spend_byte()) return Status::unavailable;
      m_bytes[offset + (erase_descending ? m_page_bytes - 1 - i : i)] = 0xff;
    }
    return Status::ok;
  }

  void cut_after(std::size_t bytes) {
    m_budget = bytes;
    m_armed = true;
  }
  void restore_power() {
    m_armed = false;
    m_off = false;
  }
  std::size_t bytes_touched() const { return m_touched; }
  std::vector<std::uint8_t>& raw() { return m_bytes; }  // the test's backdoor: any bit, any way

  bool erase_descending = false;  // the order inside an erase is the chip's, not the firmware's
  std::size_t stuck_offset = std::numeric_limits<std::size_t>::max();  // a byte that never programs

 private:
  bool spend_byte() {
    if (m_off) return false;
    if (m_armed && m_budget == 0) {
      m_off = true;
      return false;
    }
    if (m_armed) --m_budget;
    ++m_touched;
    return true;
  }

  std::vector<std::uint8_t> m_bytes;
  std::size_t m_page_bytes;
  std::size_t m_touched = 0;
  std::size_t m_budget = 0;
  bool m_armed = false;
  bool m_off = false;
};

}  // namespace amprig::fw::test
