#pragma once
// The firmware application: owns the DMA buffer and the metering pipeline,
// drives the LEDs, and exposes its measurements. Everything is allocated when
// the object is constructed; nothing after start().
#include <cstddef>
#include <cstdint>

#include "board/board.h"
#include "core/status.h"
#include "hal/hal.h"
#include "diagnostics/diagnostics.h"
#include "metering/metering.h"
#include "settings/installation.h"
#include "settings/settings_store.h"

namespace amprig::fw {

constexpr std::uint32_t kMaxDmaFramesPerHalf = 256;

struct FirmwareConfig {
  Variant variant = Variant::ag63;
  MeteringConfig metering;  // calibration; the current scheme comes from the settings in NVM
  std::uint32_t dma_frames_per_half = 64;  // 10 ms at 6.4 kHz
};

// How long every LED stays dark when the reset button restarts the device.
constexpr std::uint64_t kResetDarkUs = 1'000'000;

struct SettingsResult {
  Status status = Status::ok;
  const char* reason = nullptr;  // why the settings were rejected; nullptr when applied
};

class Firmware final : public hal::AdcDmaClient {
 public:
  explicit Firmware(const hal::Hal& hal);
  // Power-on: every bit of RAM state starts afresh, the settings are loaded from
  // NVM (defaults when none are valid), then the DMA starts.
  Status start(const FirmwareConfig& config);
  // Power off (or brown-out): the DMA stops, every LED goes dark.
  void stop();
  // The main loop's periodic work (diagnostics, LEDs, button); the rig calls it every few ms.
  void poll();
  const Measurements& measurements() const { return m_metering.latest(); }
  const Diagnosis& diagnosis() const;
  bool running() const { return m_running; }

  // The local admin interface's Installation tab: validates, saves to NVM, then
  // applies (measurements restart). Invalid settings are rejected, never stored.
  SettingsResult apply_settings(const InstallationSettings& settings);
  const InstallationSettings& settings() const;
  // System tab: erase the stored settings and restart with the defaults.
  Status factory_reset();
  // System tab, or the reset button: LEDs dark for kResetDarkUs, measurements
  // restart, settings kept.
  void reboot();

  void on_half_complete() override;
  void on_full_complete() override;

 private:
  static constexpr int kLedCount = 4;
  // Drives an LED only when its colour changes (or was never set): the bus is slow.
  void set_led(hal::LedId led, hal::LedColour colour);
  void process_half(std::size_t half);

  hal::Hal m_hal;
  FirmwareConfig m_config{};
  Metering m_metering;
  bool m_running = false;
  hal::LedColour m_led_colour[kLedCount]{};
  bool m_led_known[kLedCount]{};
  hal::AdcCode m_dma_buffer[2 * kMaxDmaFramesPerHalf * hal::kAdcChannels]{};
};

// Metering calibration derived from the board design (nominal parts).
MeteringConfig metering_config_for(const BoardDesign& board, std::uint32_t sample_rate_hz);

}  // namespace amprig::fw
