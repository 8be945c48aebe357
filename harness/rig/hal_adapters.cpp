#include "rig/hal_adapters.h"

#include <cstring>
#include <systemc>

#include "rig/sim_log.h"

namespace amprig {

std::uint64_t SimClock::now_us() const {
  // The time resolution is fixed once the first time is built, before any clock is read; an
  // sc_time built per call costs more than the rest of the firmware's poll.
  static const sc_dt::uint64 ticks_per_us = sc_core::sc_time(1, sc_core::SC_US).value();
  return static_cast<std::uint64_t>(sc_core::sc_time_stamp().value() / ticks_per_us);
}

void SimLeds::set(fw::hal::LedId led, fw::hal::LedColour colour) {
  auto& state = m_state[static_cast<int>(led)];
  if (state == colour) return;
  state = colour;
  m_events.push_back(LedEvent{m_clock.now_us(), led, colour});
}

std::size_t SimLeds::changes(fw::hal::LedId led) const {
  std::size_t n = 0;
  for (const auto& e : m_events) n += e.led == led;
  return n;
}

double SimLeds::last_change_s(fw::hal::LedId led) const {
  for (auto it = m_events.rbegin(); it != m_events.rend(); ++it) {
    if (it->led == led) return static_cast<double>(it->time_us) / 1e6;
  }
  return -1;
}

const char* to_string(fw::hal::LedColour colour) {
  switch (colour) {
    case fw::hal::LedColour::off: return "off";
    case fw::hal::LedColour::on: return "on";
    case fw::hal::LedColour::green: return "green";
    case fw::hal::LedColour::blue: return "blue";
    case fw::hal::LedColour::red: return "red";
  }
  return "?";
}

RamNvm::RamNvm(std::size_t size_bytes, std::size_t page_bytes)
    : m_data(size_bytes, 0xff), m_page_bytes(page_bytes) {}

fw::Status RamNvm::read(std::size_t offset, fw::Span<std::uint8_t> out) {
  if (offset > m_data.size() || out.size() > m_data.size() - offset) return fw::Status::out_of_range;
  std::memcpy(out.data(), m_data.data() + offset, out.size());
  return fw::Status::ok;
}

bool RamNvm::spend_byte() {
  if (m_cut) return false;
  if (m_cut_after == 0) {
    m_cut = true;
    m_cut_after = -1;
    return false;
  }
  if (m_cut_after > 0) --m_cut_after;
  ++m_bytes_programmed;
  return true;
}

fw::Status RamNvm::write(std::size_t offset, fw::Span<const std::uint8_t> data) {
  if (offset > m_data.size() || data.size() > m_data.size() - offset) return fw::Status::out_of_range;
  // Flash semantics: programming can only clear bits.
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (!spend_byte()) return fw::Status::unavailable;
    m_data[offset + i] &= data[i];
  }
  return fw::Status::ok;
}

fw::Status RamNvm::erase_page(std::size_t offset) {
  if (offset >= m_data.size() || offset % m_page_bytes != 0) return fw::Status::invalid_argument;
  for (std::size_t i = 0; i < m_page_bytes; ++i) {
    if (!spend_byte()) return fw::Status::unavailable;
    m_data[offset + i] = 0xff;
  }
  return fw::Status::ok;
}

void RamNvm::flip_bits(std::size_t offset, std::uint8_t mask) {
  if (offset < m_data.size()) m_data[offset] ^= mask;
}

void SimLog::write(fw::hal::LogLevel level, const char* message) {
  LogLevel l = LogLevel::info;
  switch (level) {
    case fw::hal::LogLevel::debug: l = LogLevel::debug; break;
    case fw::hal::LogLevel::info: l = LogLevel::info; break;
    case fw::hal::LogLevel::warning: l = LogLevel::warning; break;
    case fw::hal::LogLevel::error: l = LogLevel::error; break;
  }
  log_line(l, m_module, message);
}

}  // namespace amprig
