// The power monitor's image: the firmware application over the stub drivers, started as the rig
// starts it and polled every few milliseconds for ever. The requests a local admin interface
// would make (settings, Wi-Fi, factory reset, reboot, power off and on) come from a word a
// debugger can write, so that every entry point the rig exercises is in the image and counted
// in its footprint.
#include <cstdint>

#include "app/firmware.h"
#include "board/board.h"
#include "no_destructor.h"
#include "stub_hal.h"

namespace {

using amprig::fw::Firmware;
using amprig::fw::FirmwareConfig;
using amprig::fw::Status;
using amprig::target::NoDestructor;
using amprig::target::StubDrivers;

constexpr std::uint32_t kCoreClockHz = 64'000'000;
constexpr std::uint32_t kPollPeriodMs = 5;  // as the rig polls

enum class AdminRequest : std::uint32_t {
  none,
  apply_settings,
  apply_wifi,
  factory_reset,
  reboot,
  power_off,
  power_on,
};

volatile AdminRequest g_admin_request = AdminRequest::none;
// What a display or a debugger reads.
volatile float g_display[8] = {};
volatile std::uint32_t g_display_status = 0;

}  // namespace

namespace amprig::target {
// What the admin interface sends, filled in before it raises its request. External linkage, so
// that the compiler cannot take them for constants.
fw::InstallationSettings g_requested_settings{};
char g_requested_ssid[fw::kWifiFieldMax + 1] = "";
char g_requested_password[fw::kWifiFieldMax + 1] = "";
}  // namespace amprig::target

namespace {

using amprig::target::g_requested_password;
using amprig::target::g_requested_settings;
using amprig::target::g_requested_ssid;

// In this order, in this file: the firmware keeps references to the drivers.
NoDestructor<StubDrivers> g_drivers;
NoDestructor<Firmware> g_firmware(g_drivers->hal());

FirmwareConfig firmware_config() {
  FirmwareConfig config;
  config.variant = amprig::fw::Variant::ag63;
  config.metering = amprig::fw::metering_config_for(amprig::fw::board_design(config.variant), 6400);
  return config;
}

void serve_admin(const FirmwareConfig& config) {
  const AdminRequest request = g_admin_request;
  if (request == AdminRequest::none) return;
  g_admin_request = AdminRequest::none;
  Status status = Status::ok;
  switch (request) {
    case AdminRequest::none:
      break;
    case AdminRequest::apply_settings:
      status = g_firmware->apply_settings(g_requested_settings).status;
      break;
    case AdminRequest::apply_wifi:
      status = g_firmware->apply_wifi(g_requested_ssid, g_requested_password).status;
      break;
    case AdminRequest::factory_reset:
      status = g_firmware->factory_reset();
      break;
    case AdminRequest::reboot:
      g_firmware->reboot();
      break;
    case AdminRequest::power_off:
      g_firmware->stop();
      break;
    case AdminRequest::power_on:
      status = g_firmware->start(config);
      break;
  }
  g_display_status = static_cast<std::uint32_t>(status);
}

void show(const amprig::fw::Measurements& m, const amprig::fw::Diagnosis& d) {
  for (int p = 0; p < amprig::fw::kPhases; ++p) {
    g_display[2 * p] = m.phase[p].current_a;
    g_display[2 * p + 1] = m.phase[p].power_w;
  }
  g_display[6] = m.frequency_hz;
  g_display[7] = static_cast<float>(d.current);
}

}  // namespace

int main() {
  amprig::target::start_systick(kCoreClockHz);
  const FirmwareConfig config = firmware_config();
  if (g_firmware->start(config) != Status::ok) amprig::target::halt();
  std::uint64_t next_poll_us = 0;
  for (;;) {
    const std::uint64_t now_us = g_drivers->clock.now_us();
    if (now_us >= next_poll_us) {
      next_poll_us = now_us + kPollPeriodMs * 1000u;
      g_firmware->poll();
      serve_admin(config);
      show(g_firmware->measurements(), g_firmware->diagnosis());
    }
    __asm volatile("wfi");  // the next SysTick or DMA interrupt
  }
}
