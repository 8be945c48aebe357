#pragma once
// The firmware application: owns the DMA buffer, the metering pipeline, the
// wiring diagnostics, the installation settings and the site Wi-Fi credentials,
// drives the LEDs and the connectivity, sends telemetry to the cloud, watches
// the reset button, and exposes its measurements. Everything is allocated when
// the object is constructed; nothing after start().
#include <cstddef>
#include <cstdint>

#include "board/board.h"
#include "connectivity/connectivity.h"
#include "connectivity/wifi_store.h"
#include "core/status.h"
#include "diagnostics/diagnostics.h"
#include "hal/hal.h"
#include "metering/metering.h"
#include "settings/installation.h"
#include "settings/settings_store.h"

namespace amprig::fw {

constexpr std::uint32_t kMaxDmaFramesPerHalf = 256;

constexpr std::size_t kSerialNumberBytes = 24;  // the terminator included

struct FirmwareConfig {
  Variant variant = Variant::ag63;
  MeteringConfig metering;  // calibration; the scheme and the network come from the settings in NVM
  DiagnosticsConfig diagnostics;  // thresholds and generation; the network comes from the settings
  std::uint32_t dma_frames_per_half = 64;  // 10 ms at 6.4 kHz
  ConnectivityConfig connectivity;
  std::uint32_t telemetry_period_ms = 1000;  // one datagram per period while in the cloud
  // Digits ending in `G`, at least 7 of them: the access point is `AG_` and the last 7 digits.
  char serial_number[kSerialNumberBytes] = "2300001234G";
};

// "AG_" and 7 digits, and the terminator.
constexpr std::size_t kAccessPointSsidBytes = 11;

// How long every LED stays dark when the reset button restarts the device.
constexpr std::uint64_t kResetDarkUs = 1'000'000;

struct SettingsResult {
  Status status = Status::ok;
  const char* reason = nullptr;  // why the settings were rejected; nullptr when applied
};

class Firmware final : public hal::AdcDmaClient {
 public:
  explicit Firmware(const hal::Hal& hal);
  // Power-on: every bit of RAM state starts afresh (the energy registers too: they
  // are RAM-only in this build), the settings and the Wi-Fi credentials are loaded
  // from NVM (defaults, none, when not valid), then the DMA and the connectivity start
  // (the access point opens). The voltage and current LEDs stay dark until the first
  // diagnosis has settled. Status::invalid_argument for a malformed serial number.
  Status start(const FirmwareConfig& config);
  // Power off (or brown-out): the DMA and the connectivity stop, every LED goes dark.
  void stop();
  // The main loop's periodic work (diagnostics, connectivity, telemetry, LEDs, button); the rig
  // calls it every few ms.
  void poll();
  const Measurements& measurements() const { return m_metering.latest(); }
  const Diagnosis& diagnosis() const;
  bool running() const { return m_running; }

  // The local admin interface's Installation tab: validates, saves to NVM, then
  // applies (measurements restart). Invalid settings are rejected, never stored.
  SettingsResult apply_settings(const InstallationSettings& settings);
  const InstallationSettings& settings() const;
  // The Wi-Fi tab's Update: validated with check_wifi_credentials (rejected with its reason, never
  // stored or truncated), stored in NVM, then joined (a Wi-Fi in use is left first).
  SettingsResult apply_wifi(const char* ssid, const char* password);
  const WifiCredentials& wifi() const { return m_wifi; }

  LinkState link_state() const { return m_connectivity.state(); }
  hal::Uplink uplink() const { return m_connectivity.uplink(); }
  bool access_point_on() const { return m_connectivity.access_point_on(); }
  const char* access_point_ssid() const { return m_ap_ssid; }        // "" before the first start()
  std::uint32_t telemetry_sent() const { return m_telemetry_sent; }  // datagrams since boot

  // System tab: erase the stored settings and Wi-Fi credentials, then reboot with the defaults.
  Status factory_reset();
  // System tab, or the reset button: the DMA stops and every LED is dark for
  // kResetDarkUs, then the device boots as at power-on (settings from NVM).
  void reboot();

  void on_half_complete() override;
  void on_full_complete() override;

 private:
  static constexpr int kLedCount = 4;
  // Everything a power-on or a reboot does: RAM state afresh, settings from NVM, DMA started.
  Status boot();
  // Once per period while in the cloud with a window seen: one datagram of the latest window.
  void send_telemetry(const Measurements& m, std::uint64_t now_us);
  // Applies m_settings to the running pipeline; measurements restart. `reconfigure` (a new
  // scheme or network) configures the metering afresh, its energy registers included.
  Status apply_to_pipeline(bool reconfigure);
  MeteringConfig metering_config() const;
  DiagnosticsConfig diagnostics_config() const;
  // True once per debounced press.
  bool button_pressed(std::uint64_t now_us);
  void show_diagnosis();
  void all_leds_off();
  // Drives an LED only when its colour changes (or was never set): the bus is slow.
  void set_led(hal::LedId led, hal::LedColour colour);
  void process_half(std::size_t half);

  hal::Hal m_hal;
  FirmwareConfig m_config{};
  SettingsStore m_store;
  InstallationSettings m_settings{};
  WifiStore m_wifi_store;
  WifiCredentials m_wifi{};
  Connectivity m_connectivity;
  char m_ap_ssid[kAccessPointSsidBytes] = {};
  std::uint64_t m_window_seen_us = 0;  // when poll() first saw m_diagnosed_window
  bool m_telemetry_due_known = false;  // m_next_telemetry_us is set (in the cloud, a window seen)
  std::uint64_t m_next_telemetry_us = 0;
  std::uint32_t m_telemetry_sent = 0;  // also the last datagram's sequence
  Metering m_metering;
  Diagnostics m_diagnostics;
  std::uint32_t m_diagnosed_window = 0;  // the last window the diagnostics saw
  bool m_running = false;                // powered: from start() to stop(), reboots included
  bool m_dma_running = false;
  bool m_rebooting = false;  // LEDs dark, waiting for kResetDarkUs to pass
  std::uint64_t m_reboot_since_us = 0;
  bool m_button_level = false;   // as last read
  bool m_button_stable = false;  // debounced
  std::uint64_t m_button_level_since_us = 0;
  hal::LedColour m_led_colour[kLedCount]{};
  bool m_led_known[kLedCount]{};
  hal::AdcCode m_dma_buffer[2 * kMaxDmaFramesPerHalf * hal::kAdcChannels]{};
};

// Metering calibration derived from the board design (nominal parts).
MeteringConfig metering_config_for(const BoardDesign& board, std::uint32_t sample_rate_hz);

}  // namespace amprig::fw
