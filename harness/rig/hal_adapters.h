#pragma once
// The firmware's HAL as the rig provides it: simulated time, LEDs that remember
// their colour and every change, RAM-backed NVM, an offline network link, a
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

 private:
  const fw::hal::Clock& m_clock;
  std::array<fw::hal::LedColour, 4> m_state{};
  std::vector<LedEvent> m_events;
};

class RamNvm final : public fw::hal::Nvm {
 public:
  RamNvm(std::size_t size_bytes, std::size_t page_bytes);
  std::size_t size_bytes() const override { return m_data.size(); }
  std::size_t page_bytes() const override { return m_page_bytes; }
  fw::Status read(std::size_t offset, fw::Span<std::uint8_t> out) override;
  fw::Status write(std::size_t offset, fw::Span<const std::uint8_t> data) override;
  fw::Status erase_page(std::size_t offset) override;

 private:
  std::vector<std::uint8_t> m_data;
  std::size_t m_page_bytes;
};

class OfflineLink final : public fw::hal::NetworkLink {
 public:
  bool up() const override { return false; }
  fw::Status send(fw::Span<const std::uint8_t>) override { return fw::Status::unavailable; }
  std::size_t receive(fw::Span<std::uint8_t>) override { return 0; }
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
