#include "stub_hal.h"

namespace amprig::target {
namespace {

// Stand-ins for peripheral registers: volatile, so that the compiler keeps every access the
// firmware makes through the HAL, as it would keep a real driver's.
volatile std::uint32_t g_ticks_ms = 0;
volatile std::uint32_t g_dma_status = 0;  // bit 0: half transfer, bit 1: transfer complete
volatile std::uint8_t g_led_gpio[4] = {};
volatile std::uint32_t g_gpio_in = 0;  // bit 0: the reset button
volatile const char* g_log_last = nullptr;
volatile std::uint8_t g_log_level = 0;
volatile std::uint32_t g_nvm_writes = 0;
volatile std::uint32_t g_tx_bytes = 0;
volatile const char* g_ap_ssid = nullptr;

StubAdcDma* g_active_dma = nullptr;

}  // namespace

fw::Status StubAdcDma::start(const hal::AdcConfig& config, fw::Span<hal::AdcCode> buffer,
                             hal::AdcDmaClient& client) {
  if (config.channels == 0 || buffer.empty() || buffer.size() % (2u * config.channels) != 0) {
    return fw::Status::invalid_argument;
  }
  m_client = &client;
  g_active_dma = this;
  return fw::Status::ok;
}

void StubAdcDma::stop() {
  g_active_dma = nullptr;
  m_client = nullptr;
}

void StubAdcDma::on_interrupt(bool full) {
  if (m_client == nullptr) return;
  if (full) {
    m_client->on_full_complete();
  } else {
    m_client->on_half_complete();
  }
}

std::uint64_t StubClock::now_us() const { return std::uint64_t{g_ticks_ms} * 1000u; }

void StubLeds::set(hal::LedId led, hal::LedColour colour) {
  g_led_gpio[static_cast<std::size_t>(led) & 3u] = static_cast<std::uint8_t>(colour);
}

// Erased flash: every byte reads 0xFF, and writes are dropped.
fw::Status StubNvm::read(std::size_t offset, fw::Span<std::uint8_t> out) {
  if (offset > size_bytes() || out.size() > size_bytes() - offset) return fw::Status::out_of_range;
  for (std::uint8_t& b : out) b = 0xFF;
  return fw::Status::ok;
}

fw::Status StubNvm::write(std::size_t offset, fw::Span<const std::uint8_t> data) {
  if (offset > size_bytes() || data.size() > size_bytes() - offset) return fw::Status::out_of_range;
  g_nvm_writes = g_nvm_writes + 1;
  return fw::Status::ok;
}

fw::Status StubNvm::erase_page(std::size_t offset) {
  if (offset % kPageBytes != 0 || offset >= size_bytes()) return fw::Status::out_of_range;
  return fw::Status::ok;
}

bool StubNetworkLink::lan_carrier() const { return false; }
void StubNetworkLink::wifi_join(const char*, const char*) {}
void StubNetworkLink::wifi_leave() {}
bool StubNetworkLink::wifi_associated() const { return false; }
void StubNetworkLink::dhcp_start(hal::Uplink) {}
bool StubNetworkLink::dhcp_bound() const { return false; }
void StubNetworkLink::cloud_open() {}
void StubNetworkLink::cloud_close() {}
hal::CloudState StubNetworkLink::cloud_state() const { return hal::CloudState::closed; }

fw::Status StubNetworkLink::send(fw::Span<const std::uint8_t> datagram) {
  g_tx_bytes = g_tx_bytes + datagram.size();
  return fw::Status::unavailable;
}

void StubNetworkLink::access_point(bool on, const char* ssid) { g_ap_ssid = on ? ssid : nullptr; }

bool StubButton::pressed() const { return (g_gpio_in & 1u) != 0; }

void StubLog::write(hal::LogLevel level, const char* message) {
  g_log_level = static_cast<std::uint8_t>(level);
  g_log_last = message;
}

}  // namespace amprig::target

extern "C" void SysTick_Handler() { amprig::target::g_ticks_ms = amprig::target::g_ticks_ms + 1; }

extern "C" void AdcDma_IRQHandler() {
  using amprig::target::g_dma_status;
  const std::uint32_t status = g_dma_status;
  g_dma_status = 0;  // write-to-clear on a real controller
  if (amprig::target::g_active_dma == nullptr) return;
  if ((status & 1u) != 0) amprig::target::g_active_dma->on_interrupt(false);
  if ((status & 2u) != 0) amprig::target::g_active_dma->on_interrupt(true);
}
