#include "app/firmware.h"

#include <cmath>
#include <cstring>

#include "connectivity/telemetry.h"

namespace amprig::fw {
namespace {

// A press must hold this long: contact bounce and a brushed button are not presses.
constexpr std::uint64_t kButtonDebounceUs = 50'000;

bool same_scheme(const CurrentScheme& a, const CurrentScheme& b) {
  for (int k = 0; k < kPhases; ++k) {
    if (a.phase[k] != b.phase[k] || a.inverted[k] != b.inverted[k]) return false;
  }
  return true;
}

// The access point's SSID: "AG_" and the last 7 digits of the serial number, which is digits
// ending in 'G' (at least 7 of them: rig choice, the SSID needs them). False when malformed.
bool access_point_ssid_for(const char (&serial)[kSerialNumberBytes],
                           char (&ssid)[kAccessPointSsidBytes]) {
  constexpr std::size_t kDigits = 7;
  std::size_t length = 0;
  while (length < sizeof serial && serial[length] != '\0') ++length;
  if (length == sizeof serial || length < kDigits + 1 || serial[length - 1] != 'G') return false;
  for (std::size_t i = 0; i + 1 < length; ++i) {
    if (serial[i] < '0' || serial[i] > '9') return false;
  }
  static_assert(kAccessPointSsidBytes == 3 + kDigits + 1, "AG_, the digits, the terminator");
  std::memcpy(ssid, "AG_", 3);
  std::memcpy(ssid + 3, serial + length - 1 - kDigits, kDigits);
  ssid[3 + kDigits] = '\0';
  return true;
}

// Rounded to the nearest integer, clamped to the int32 range; NaN gives 0. No libm: the result
// must not depend on the target's rounding functions.
std::int32_t round_to_i32(double value) {
  constexpr double kLimit = 2147483647.0;
  if (!(value == value)) return 0;
  if (value >= kLimit) return 2147483647;
  if (value <= -kLimit) return -2147483647;
  return value >= 0 ? static_cast<std::int32_t>(value + 0.5)
                    : -static_cast<std::int32_t>(-value + 0.5);
}

}  // namespace

Firmware::Firmware(const hal::Hal& hal)
    : m_hal(hal), m_store(m_hal.nvm), m_wifi_store(m_hal.nvm), m_connectivity(m_hal.link) {}

Status Firmware::start(const FirmwareConfig& config) {
  if (m_running) return Status::failed_precondition;
  if (config.dma_frames_per_half < 1 || config.dma_frames_per_half > kMaxDmaFramesPerHalf) {
    return Status::invalid_argument;
  }
  char ap_ssid[kAccessPointSsidBytes];
  if (!access_point_ssid_for(config.serial_number, ap_ssid)) return Status::invalid_argument;
  m_config = config;
  std::memcpy(m_ap_ssid, ap_ssid, sizeof m_ap_ssid);
  return boot();
}

Status Firmware::boot() {
  m_rebooting = false;
  m_running = false;
  m_diagnosed_window = 0;
  for (bool& known : m_led_known) known = false;

  InstallationSettings loaded;
  const Status load_status = m_store.load(&loaded);
  if (load_status != Status::ok) {
    m_hal.log.write(hal::LogLevel::warning, "no valid installation settings in NVM: defaults");
    loaded = InstallationSettings{};
  } else if (check_settings(loaded, board_design(m_config.variant)) != nullptr) {
    // Stored by a firmware with other limits, or for another variant.
    m_hal.log.write(hal::LogLevel::warning, "stored installation settings invalid: defaults");
    loaded = InstallationSettings{};
  }
  m_settings = loaded;

  WifiCredentials wifi;
  if (m_wifi_store.load(&wifi) == Status::ok &&
      check_wifi_credentials(m_config.variant, wifi.ssid, wifi.password) != nullptr) {
    m_hal.log.write(hal::LogLevel::warning, "stored Wi-Fi credentials invalid: none");
    wifi = WifiCredentials{};
  }
  m_wifi = wifi;
  m_window_seen_us = 0;
  m_telemetry_due_known = false;
  m_telemetry_sent = 0;

  // A fresh object, not restart(): a boot loses RAM, the energy registers included.
  m_metering = Metering{};
  const Status metering = m_metering.configure(metering_config());
  if (metering != Status::ok) return metering;
  m_diagnostics.configure(diagnostics_config());
  m_diagnostics.reset();

  m_button_level = m_hal.button.pressed();
  m_button_stable = m_button_level;  // a button held through the boot is no new press
  m_button_level_since_us = m_hal.clock.now_us();

  hal::AdcConfig adc;
  adc.sample_rate_hz = m_config.metering.sample_rate_hz;
  adc.channels = hal::kAdcChannels;
  const std::size_t codes = 2 * std::size_t{m_config.dma_frames_per_half} * hal::kAdcChannels;
  // Running before the DMA starts: a driver may complete the first half before start() returns.
  m_running = true;
  m_dma_running = true;
  const Status adc_status = m_hal.adc.start(adc, Span<hal::AdcCode>(m_dma_buffer, codes), *this);
  if (adc_status != Status::ok) {
    m_running = false;
    m_dma_running = false;
    return adc_status;
  }
  m_connectivity.start(m_config.connectivity, m_wifi, m_ap_ssid, m_hal.clock.now_us());
  set_led(hal::LedId::logo, hal::LedColour::on);
  set_led(hal::LedId::comm, m_connectivity.led());
  set_led(hal::LedId::voltage, hal::LedColour::off);
  set_led(hal::LedId::current, hal::LedColour::off);
  return Status::ok;
}

void Firmware::stop() {
  if (m_dma_running) {
    m_hal.adc.stop();
    m_dma_running = false;
  }
  m_connectivity.stop();
  m_running = false;
  m_rebooting = false;
  all_leds_off();
}

void Firmware::reboot() {
  if (!m_running || m_rebooting) return;
  if (m_dma_running) {
    m_hal.adc.stop();
    m_dma_running = false;
  }
  m_connectivity.stop();
  m_rebooting = true;
  m_reboot_since_us = m_hal.clock.now_us();
  all_leds_off();
}

void Firmware::poll() {
  if (!m_running) return;
  const std::uint64_t now_us = m_hal.clock.now_us();
  if (m_rebooting) {
    if (now_us - m_reboot_since_us < kResetDarkUs) return;
    const Status status = boot();
    if (status != Status::ok) {
      m_hal.log.write(hal::LogLevel::error, "reboot failed: the device stays dark");
    }
    return;
  }
  if (button_pressed(now_us)) {
    reboot();
    return;
  }
  const Measurements& m = m_metering.latest();
  if (m.window_count != 0 && m.window_count != m_diagnosed_window) {
    m_diagnosed_window = m.window_count;
    m_window_seen_us = now_us;
    m_diagnostics.update(m, m_hal.cartridge.present(), now_us);
  }
  m_connectivity.poll(now_us);
  send_telemetry(m, now_us);
  show_diagnosis();
}

void Firmware::send_telemetry(const Measurements& m, std::uint64_t now_us) {
  if (m_connectivity.state() != LinkState::cloud || m_diagnosed_window == 0 ||
      m.window_count != m_diagnosed_window) {
    m_telemetry_due_known = false;
    return;
  }
  // The first datagram goes at once; the next ones keep to the period's grid, so that a poll
  // that comes late does not delay every later datagram. A poll late by more than a period
  // starts a new grid rather than sending a burst.
  const std::uint64_t period_us = std::uint64_t{m_config.telemetry_period_ms} * 1000;
  if (!m_telemetry_due_known) {
    m_telemetry_due_known = true;
    m_next_telemetry_us = now_us;
  }
  if (now_us < m_next_telemetry_us) return;
  m_next_telemetry_us += period_us;
  if (m_next_telemetry_us <= now_us) m_next_telemetry_us = now_us + period_us;

  TelemetryReport report;
  // Counts datagrams the link took: the first is 1, and a gap at the balancer is a lost one.
  report.sequence = m_telemetry_sent + 1;
  report.measured_at_us = m_window_seen_us;
  for (int p = 0; p < kPhases; ++p) {
    const PhaseMeasurement& phase = m.phase[p];
    // The RMS current carries the sign of the power: negative while the phase exports.
    const double sign = phase.power_w < 0.0f ? -1.0 : 1.0;
    report.current_ma[p] = round_to_i32(sign * 1000.0 * static_cast<double>(phase.current_a));
    report.power_w[p] = round_to_i32(phase.power_w);
  }
  std::uint8_t datagram[kTelemetryBytes];
  const std::size_t size = encode_telemetry(report, Span<std::uint8_t>(datagram));
  if (m_hal.link.send(Span<const std::uint8_t>(datagram, size)) == Status::ok) ++m_telemetry_sent;
}

bool Firmware::button_pressed(std::uint64_t now_us) {
  const bool level = m_hal.button.pressed();
  if (level != m_button_level) {
    m_button_level = level;
    m_button_level_since_us = now_us;
  }
  if (level == m_button_stable || now_us - m_button_level_since_us < kButtonDebounceUs) {
    return false;
  }
  m_button_stable = level;
  return level;
}

void Firmware::show_diagnosis() {
  const Diagnosis& d = m_diagnostics.diagnosis();
  set_led(hal::LedId::logo, hal::LedColour::on);
  set_led(hal::LedId::comm, m_connectivity.led());
  hal::LedColour voltage = hal::LedColour::off;
  switch (d.voltage) {
    case VoltageReason::ok:
      voltage = hal::LedColour::green;
      break;
    case VoltageReason::wrong_sequence:
      voltage = hal::LedColour::red;
      break;
    case VoltageReason::not_connected:
      break;
  }
  set_led(hal::LedId::voltage, voltage);
  hal::LedColour current = hal::LedColour::off;
  switch (d.current) {
    case CurrentReason::ok:
      current = hal::LedColour::green;
      break;
    case CurrentReason::wrong_sequence:
    case CurrentReason::low_current:  // the product's quirk; the reason tells them apart
      current = hal::LedColour::red;
      break;
    case CurrentReason::not_connected:
      break;
  }
  set_led(hal::LedId::current, current);
}

const Diagnosis& Firmware::diagnosis() const { return m_diagnostics.diagnosis(); }

const InstallationSettings& Firmware::settings() const { return m_settings; }

SettingsResult Firmware::apply_settings(const InstallationSettings& settings) {
  if (const char* reason = check_settings(settings, board_design(m_config.variant))) {
    return {Status::invalid_argument, reason};
  }
  const Status saved = m_store.save(settings);
  if (saved != Status::ok) return {saved, "could not store the settings"};
  // A new network changes what the metering measures (line-to-line voltages, star power), so it
  // reconfigures the metering as a new scheme does.
  const bool reconfigure =
      !same_scheme(settings.scheme, m_settings.scheme) || settings.network != m_settings.network;
  m_settings = settings;
  // Off, or dark in a reboot: the next boot loads them from NVM.
  if (!m_running || m_rebooting) return {};
  const Status applied = apply_to_pipeline(reconfigure);
  if (applied != Status::ok) return {applied, "stored, but the metering rejected the settings"};
  return {};
}

SettingsResult Firmware::apply_wifi(const char* ssid, const char* password) {
  if (const char* reason = check_wifi_credentials(m_config.variant, ssid, password)) {
    return {Status::invalid_argument, reason};
  }
  // Checked above: both fit their fields, and a null password is an empty one.
  WifiCredentials wifi;
  for (std::size_t i = 0; i < kWifiFieldMax && ssid[i] != '\0'; ++i) wifi.ssid[i] = ssid[i];
  for (std::size_t i = 0; password != nullptr && i < kWifiFieldMax && password[i] != '\0'; ++i) {
    wifi.password[i] = password[i];
  }
  const Status saved = m_wifi_store.save(wifi);
  if (saved != Status::ok) return {saved, "could not store the Wi-Fi credentials"};
  m_wifi = wifi;
  // Off, or dark in a reboot: the next boot loads them from NVM.
  if (m_running && !m_rebooting) m_connectivity.set_wifi(wifi);
  return {};
}

Status Firmware::apply_to_pipeline(bool reconfigure) {
  // A new scheme re-maps the per-phase energy registers, and a new network changes what they
  // count against, so they restart with either; otherwise the measurements restart and the
  // registers carry on.
  if (reconfigure) {
    const Status status = m_metering.configure(metering_config());
    if (status != Status::ok) return status;
  } else {
    m_metering.restart();
  }
  // The settled diagnosis stays: the LEDs go from the old verdict straight to the new one.
  m_diagnostics.configure(diagnostics_config());
  m_diagnosed_window = 0;
  return Status::ok;
}

Status Firmware::factory_reset() {
  // The credentials go first: they are the site's secret, and a cut between the two erases
  // then leaves the installation settings, which are no secret.
  Status erased = m_wifi_store.factory_reset();
  if (erased != Status::ok) return erased;
  m_wifi = WifiCredentials{};
  erased = m_store.factory_reset();
  if (erased != Status::ok) return erased;
  m_settings = InstallationSettings{};
  reboot();
  return Status::ok;
}

MeteringConfig Firmware::metering_config() const {
  MeteringConfig config = m_config.metering;
  config.scheme = m_settings.scheme;
  config.network = m_settings.network;
  return config;
}

DiagnosticsConfig Firmware::diagnostics_config() const {
  DiagnosticsConfig config = m_config.diagnostics;
  config.network = m_settings.network;
  return config;
}

void Firmware::on_half_complete() { process_half(0); }

void Firmware::on_full_complete() { process_half(1); }

void Firmware::process_half(std::size_t half) {
  if (!m_dma_running) return;
  const std::size_t codes = std::size_t{m_config.dma_frames_per_half} * hal::kAdcChannels;
  m_metering.process(Span<const hal::AdcCode>(m_dma_buffer + half * codes, codes));
}

void Firmware::all_leds_off() {
  set_led(hal::LedId::logo, hal::LedColour::off);
  set_led(hal::LedId::comm, hal::LedColour::off);
  set_led(hal::LedId::voltage, hal::LedColour::off);
  set_led(hal::LedId::current, hal::LedColour::off);
}

void Firmware::set_led(hal::LedId led, hal::LedColour colour) {
  const auto i = static_cast<std::size_t>(led);
  if (m_led_known[i] && m_led_colour[i] == colour) return;
  m_hal.leds.set(led, colour);
  m_led_colour[i] = colour;
  m_led_known[i] = true;
}

MeteringConfig metering_config_for(const BoardDesign& board, std::uint32_t sample_rate_hz) {
  MeteringConfig config;
  config.sample_rate_hz = sample_rate_hz;
  config.nominal_frequency_hz = static_cast<float>(board.nominal_frequency_hz);
  const double volts_per_code = board.adc_reference_v / std::ldexp(1.0, board.adc_bits);
  const double divider_ratio =
      board.divider_bottom_ohm / (board.divider_top_ohm + board.divider_bottom_ohm);
  for (int p = 0; p < kPhases; ++p) {
    config.voltage[p].gain = static_cast<float>(volts_per_code / divider_ratio);
    config.voltage[p].phase_deg = 0.0f;
    config.current[p].gain = static_cast<float>(volts_per_code / board.burden_ohm * board.ct_ratio);
    config.current[p].phase_deg = static_cast<float>(board.ct_phase_lead_deg);
  }
  return config;
}

}  // namespace amprig::fw
