#pragma once
// Installation settings in NVM: two slots, each a versioned, CRC-checked record
// with a sequence number. A save writes the older slot only, so a power cut at
// any byte of a save leaves the other slot, the last good settings, intact.
#include <cstdint>

#include "core/status.h"
#include "hal/hal.h"
#include "settings/installation.h"

namespace amprig::fw {

class SettingsStore {
 public:
  explicit SettingsStore(hal::Nvm& nvm);
  // The newest valid record. Status::ok with it in `out`; Status::unavailable
  // (and defaults in `out`) when neither slot holds a valid record.
  Status load(InstallationSettings* out);
  // Writes `settings` to the slot not holding the newest record.
  Status save(const InstallationSettings& settings);
  // Erases both slots: the next load gives the defaults.
  Status factory_reset();
  std::uint32_t sequence() const { return m_sequence; }  // of the newest valid record

 private:
  hal::Nvm& m_nvm;
  std::uint32_t m_sequence = 0;
  int m_newest_slot = -1;  // -1: none valid
};

}  // namespace amprig::fw
