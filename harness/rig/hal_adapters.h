#pragma once
// The firmware's HAL as the rig provides it: simulated time, LEDs that remember
// their colour and every change, RAM-backed NVM, a
// button the scenario can press, and a log stamped with simulated time.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "hal/hal.h"

namespace amprig {

class SimClock final : public fw::hal::Clock {
 public:
  std::uint64_t now_us() const override;
};

struct LedEvent {
  std::uint64_t time_us;
  fw::hal::LedId led;
  fw::hal::LedColour colour;
};

class SimLeds final : public fw::hal::Leds {
 public:
  explicit SimLeds(const fw::hal::Clock& clock) : m_clock(clock) {}
  void set(fw::hal::LedId led, fw::hal::LedColour colour) override;
  fw::hal::LedColour colour(fw::hal::LedId led) const { return m_state[static_cast<int>(led)]; }
  const std::vector<LedEvent>& events() const { return m_events; }
  // Colour changes of `led` so far, and when the last one happened (-1 s: never).
  std::size_t changes(fw::hal::LedId led) const;
  double last_change_s(fw::hal::LedId led) const;

 private:
  const fw::hal::Clock& m_clock;
  std::array<fw::hal::LedColour, 4> m_state{};
  std::vector<LedEvent> m_events;
};

// Flash with erase-before-write pages. A power cut can be armed to strike after
// a given number of further bytes are programmed or erased: the rest of that
// operation, and everything after it, never reaches the flash.
class RamNvm final : public fw::hal::Nvm {
 public:
  RamNvm(std::size_t size_bytes, std::size_t page_bytes);
  // Cuts power after `bytes` more bytes (0: at the next byte); negative disarms.
  void arm_power_cut(long bytes) { m_cut_after = bytes; }
  long armed_power_cut() const { return m_cut_after; }
  // True once an armed cut has struck; cleared when power returns.
  bool power_cut() const { return m_cut; }
  void restore_power() { m_cut = false; }
  std::uint64_t bytes_programmed() const { return m_bytes_programmed; }
  std::size_t size_bytes() const override { return m_data.size(); }
  std::size_t page_bytes() const override { return m_page_bytes; }
  fw::Status read(std::size_t offset, fw::Span<std::uint8_t> out) override;
  fw::Status write(std::size_t offset, fw::Span<const std::uint8_t> data) override;
  fw::Status erase_page(std::size_t offset) override;
  // Corruption (a fault, not an operation of the flash): XORs `mask` into the byte at
  // `offset`, spending no write and no power-cut budget.
  void flip_bits(std::size_t offset, std::uint8_t mask);

 private:
  // False when the power is (or has just been) cut: the byte is not written.
  bool spend_byte();

  std::vector<std::uint8_t> m_data;
  std::size_t m_page_bytes;
  long m_cut_after = -1;
  bool m_cut = false;
  std::uint64_t m_bytes_programmed = 0;
};

class SimCartridge final : public fw::hal::CartridgeSense {
 public:
  bool present() const override { return m_present; }
  void set_present(bool present) { m_present = present; }

 private:
  bool m_present = true;
};

class SimButton final : public fw::hal::Button {
 public:
  bool pressed() const override { return m_pressed; }
  void press(bool down) { m_pressed = down; }

 private:
  bool m_pressed = false;
};

class SimLog final : public fw::hal::Log {
 public:
  explicit SimLog(std::string module) : m_module(std::move(module)) {}
  void write(fw::hal::LogLevel level, const char* message) override;

 private:
  std::string m_module;
};

const char* to_string(fw::hal::LedColour colour);

}  // namespace amprig
