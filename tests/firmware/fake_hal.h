#pragma once
// Fakes of the firmware's HAL: they record what the firmware asks for, stamped with the fake
// clock's time, and let the test play the hardware (fill a DMA half, raise its interrupt).
#include <cstdint>
#include <cstring>
#include <vector>

#include "hal/hal.h"

namespace amprig::fw::test {

class FakeClock final : public hal::Clock {
 public:
  std::uint64_t now_us() const override { return m_now_us; }
  void advance_us(std::uint64_t us) { m_now_us += us; }

 private:
  std::uint64_t m_now_us = 0;
};

class FakeAdcDma final : public hal::AdcDma {
 public:
  Status start(const hal::AdcConfig& config, Span<hal::AdcCode> buffer,
               hal::AdcDmaClient& client) override {
    ++starts;
    this->config = config;
    this->buffer = buffer;
    this->client = &client;
    return start_status;
  }
  void stop() override {
    ++stops;
    client = nullptr;
  }

  // Plays one DMA half: the test fills it, the "interrupt" tells the client.
  Span<hal::AdcCode> half(int which) const {
    const std::size_t n = buffer.size() / 2;
    return buffer.subspan(static_cast<std::size_t>(which) * n, n);
  }
  void complete(int which) const {
    if (which == 0) {
      client->on_half_complete();
    } else {
      client->on_full_complete();
    }
  }

  Status start_status = Status::ok;
  int starts = 0;
  int stops = 0;
  hal::AdcConfig config{};
  Span<hal::AdcCode> buffer{};
  hal::AdcDmaClient* client = nullptr;
};

struct LedEvent {
  std::uint64_t time_us;
  hal::LedId led;
  hal::LedColour colour;
};

class FakeLeds final : public hal::Leds {
 public:
  explicit FakeLeds(const hal::Clock& clock) : m_clock(clock) {}
  void set(hal::LedId led, hal::LedColour colour) override {
    events.push_back({m_clock.now_us(), led, colour});
    m_state[static_cast<int>(led)] = colour;
  }
  hal::LedColour state(hal::LedId led) const { return m_state[static_cast<int>(led)]; }

  std::vector<LedEvent> events;

 private:
  const hal::Clock& m_clock;
  hal::LedColour m_state[4]{};
};

class FakeNvm final : public hal::Nvm {
 public:
  std::size_t size_bytes() const override { return sizeof(m_bytes); }
  std::size_t page_bytes() const override { return 256; }
  Status read(std::size_t offset, Span<std::uint8_t> out) override {
    if (offset + out.size() > sizeof(m_bytes)) return Status::out_of_range;
    std::memcpy(out.data(), m_bytes + offset, out.size());
    return Status::ok;
  }
  Status write(std::size_t offset, Span<const std::uint8_t> data) override {
    if (write_status != Status::ok) return write_status;
    if (offset + data.size() > sizeof(m_bytes)) return Status::out_of_range;
    std::memcpy(m_bytes + offset, data.data(), data.size());
    ++writes;
    return Status::ok;
  }
  Status erase_page(std::size_t offset) override {
    if (write_status != Status::ok) return write_status;
    if (offset >= sizeof(m_bytes)) return Status::out_of_range;
    std::memset(m_bytes + offset - offset % 256, 0xFF, 256);
    ++erases;
    return Status::ok;
  }
  std::vector<std::uint8_t> contents() const { return {m_bytes, m_bytes + sizeof(m_bytes)}; }

  Status write_status = Status::ok;  // anything else: every write and erase fails with it
  int writes = 0;
  int erases = 0;

 private:
  std::uint8_t m_bytes[4096]{};
};

class FakeLink final : public hal::NetworkLink {
 public:
  bool up() const override { return false; }
  Status send(Span<const std::uint8_t>) override { return Status::unavailable; }
  std::size_t receive(Span<std::uint8_t>) override { return 0; }
};

class FakeButton final : public hal::Button {
 public:
  bool pressed() const override { return is_pressed; }
  bool is_pressed = false;
};

class FakeCartridge final : public hal::CartridgeSense {
 public:
  bool present() const override { return is_present; }
  bool is_present = true;
};

class FakeLog final : public hal::Log {
 public:
  void write(hal::LogLevel level, const char*) override {
    ++lines;
    warnings += level >= hal::LogLevel::warning ? 1 : 0;
  }
  int lines = 0;
  int warnings = 0;  // and errors
};

// Everything a Firmware needs, wired together.
struct FakeHal {
  FakeClock clock;
  FakeAdcDma adc;
  FakeLeds leds{clock};
  FakeNvm nvm;
  FakeLink link;
  FakeButton button;
  FakeCartridge cartridge;
  FakeLog log;
  hal::Hal hal() { return hal::Hal{adc, clock, leds, nvm, link, button, cartridge, log}; }
};

}  // namespace amprig::fw::test
