#pragma once
// Stub drivers for the HAL: enough for the firmware to start, run its poll loop and take DMA
// interrupts on the target, and nothing real (no peripheral registers beyond the core's SysTick).
// The ADC's DMA raises AdcDma_IRQHandler; the others answer as a device with nothing connected:
// no network, erased NVM that drops writes, the button released, the cartridge present.
#include <cstddef>
#include <cstdint>

#include "hal/hal.h"
#include "no_destructor.h"
#include "startup.h"

namespace amprig::target {

namespace hal = fw::hal;

class StubAdcDma final : public hal::AdcDma, NeverDeleted {
 public:
  fw::Status start(const hal::AdcConfig& config, fw::Span<hal::AdcCode> buffer,
                   hal::AdcDmaClient& client) override;
  void stop() override;
  // From the DMA interrupt: which half of the buffer has just been filled.
  void on_interrupt(bool full);

 private:
  hal::AdcDmaClient* m_client = nullptr;
};

// Microseconds from the SysTick interrupt's millisecond count.
class StubClock final : public hal::Clock, NeverDeleted {
 public:
  std::uint64_t now_us() const override;
};

class StubLeds final : public hal::Leds, NeverDeleted {
 public:
  void set(hal::LedId led, hal::LedColour colour) override;
};

class StubNvm final : public hal::Nvm, NeverDeleted {
 public:
  static constexpr std::size_t kPageBytes = 2048;
  static constexpr std::size_t kPages = 4;  // settings (0, 1) and Wi-Fi credentials (2, 3)
  std::size_t size_bytes() const override { return kPages * kPageBytes; }
  std::size_t page_bytes() const override { return kPageBytes; }
  fw::Status read(std::size_t offset, fw::Span<std::uint8_t> out) override;
  fw::Status write(std::size_t offset, fw::Span<const std::uint8_t> data) override;
  fw::Status erase_page(std::size_t offset) override;
};

class StubNetworkLink final : public hal::NetworkLink, NeverDeleted {
 public:
  bool lan_carrier() const override;
  void wifi_join(const char* ssid, const char* password) override;
  void wifi_leave() override;
  bool wifi_associated() const override;
  void dhcp_start(hal::Uplink via) override;
  bool dhcp_bound() const override;
  void cloud_open() override;
  void cloud_close() override;
  hal::CloudState cloud_state() const override;
  fw::Status send(fw::Span<const std::uint8_t> datagram) override;
  void access_point(bool on, const char* ssid) override;
};

class StubButton final : public hal::Button, NeverDeleted {
 public:
  bool pressed() const override;
};

class StubCartridgeSense final : public hal::CartridgeSense, NeverDeleted {
 public:
  bool present() const override { return true; }
};

class StubLog final : public hal::Log, NeverDeleted {
 public:
  void write(hal::LogLevel level, const char* message) override;
};

// Every driver, and the Hal that names them.
struct StubDrivers {
  StubAdcDma adc;
  StubClock clock;
  StubLeds leds;
  StubNvm nvm;
  StubNetworkLink link;
  StubButton button;
  StubCartridgeSense cartridge;
  StubLog log;
  hal::Hal hal() { return {adc, clock, leds, nvm, link, button, cartridge, log}; }
};

}  // namespace amprig::target
