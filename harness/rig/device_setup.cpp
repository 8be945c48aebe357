#include "rig/device_setup.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "connectivity/wifi_store.h"
#include "settings/settings_store.h"

namespace amprig {

void preinstall(const Scenario& scenario, fw::hal::Nvm& nvm, const std::string& owner) {
  fw::SettingsStore store(nvm);
  if (store.save(scenario.device.installation) != fw::Status::ok) {
    throw std::runtime_error("cannot store the installation settings in the " + owner + "'s NVM");
  }
  if (!scenario.device.wifi_ssid.empty()) {
    fw::WifiCredentials wifi;
    std::snprintf(wifi.ssid, sizeof wifi.ssid, "%s", scenario.device.wifi_ssid.c_str());
    std::snprintf(wifi.password, sizeof wifi.password, "%s", scenario.device.wifi_password.c_str());
    fw::WifiStore wifi_store(nvm);
    if (wifi_store.save(wifi) != fw::Status::ok) {
      throw std::runtime_error("cannot store the Wi-Fi credentials in the " + owner + "'s NVM");
    }
  }
}

fw::FirmwareConfig firmware_config(const Scenario& scenario) {
  fw::FirmwareConfig config{};
  config.variant = scenario.device.variant;
  config.metering = fw::metering_config_for(fw::board_design(scenario.device.variant),
                                            scenario.device.sample_rate_hz);
  config.dma_frames_per_half = scenario.device.dma_frames_per_half;
  config.diagnostics.generation = scenario.device.generation;
  config.telemetry_period_ms =
      static_cast<std::uint32_t>(std::llround(scenario.device.telemetry_period_s * 1000));
  std::snprintf(config.serial_number, sizeof config.serial_number, "%s",
                scenario.device.serial_number.c_str());
  return config;
}

std::uint64_t network_seed(const Scenario& scenario) {
  return scenario.seed * 0x9E3779B97F4A7C15ull + 0x2000;
}

}  // namespace amprig
