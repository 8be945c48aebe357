#pragma once
// Installation settings in NVM: a RecordStore in pages 0 and 1. A save writes the older slot
// only, so a power cut at any byte of a save leaves the other slot, the last good settings,
// intact.
#include <cstddef>
#include <cstdint>

#include "core/status.h"
#include "hal/hal.h"
#include "settings/installation.h"
#include "settings/record_store.h"

namespace amprig::fw {

class SettingsStore {
 public:
  // The NVM pages the two slots occupy: kFirstPage and kFirstPage + 1.
  static constexpr std::size_t kFirstPage = 0;

  explicit SettingsStore(hal::Nvm& nvm);
  // The newest valid record. Status::ok with it in `out`; Status::unavailable
  // (and defaults in `out`) when neither slot holds a valid record.
  Status load(InstallationSettings* out);
  // Writes `settings` to the slot not holding the newest record.
  Status save(const InstallationSettings& settings);
  // Erases both slots: the next load gives the defaults.
  Status factory_reset();
  std::uint32_t sequence() const { return m_records.sequence(); }  // of the newest valid record

 private:
  RecordStore m_records;
};

}  // namespace amprig::fw
