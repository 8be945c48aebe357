#pragma once
// The device as a scenario describes it, before power-on: what the installer stored in its NVM
// and the firmware's configuration. Shared by the Rig and the bench's plain loop, which must
// build the same device.
#include <cstdint>
#include <string>

#include "app/firmware.h"
#include "hal/hal.h"
#include "scenario/scenario.h"

namespace amprig {

// Stores the scenario's installation settings and, when it has one, its Wi-Fi tab in `nvm`.
// Throws std::runtime_error naming `owner` (the rig or the loop) when the store refuses.
void preinstall(const Scenario& scenario, fw::hal::Nvm& nvm, const std::string& owner);
// The configuration the firmware starts with: variant, metering, DMA, telemetry, serial number.
fw::FirmwareConfig firmware_config(const Scenario& scenario);
// The site network's random stream, derived from the scenario's seed.
std::uint64_t network_seed(const Scenario& scenario);

}  // namespace amprig
