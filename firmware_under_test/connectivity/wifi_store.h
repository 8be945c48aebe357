#pragma once
// The site Wi-Fi credentials in NVM: a RecordStore in pages 2 and 3, right after the
// installation settings (SettingsStore, pages 0 and 1), so that saving one never erases the
// other. Power-cut safe like the settings.
#include <cstddef>
#include <cstdint>

#include "connectivity/connectivity.h"
#include "core/status.h"
#include "hal/hal.h"
#include "settings/record_store.h"

namespace amprig::fw {

class WifiStore {
 public:
  static constexpr std::size_t kFirstPage = 2;

  explicit WifiStore(hal::Nvm& nvm);
  // The newest valid record. Status::ok with it in `out`; Status::unavailable (and empty
  // credentials in `out`) when neither slot holds one. Whether the characters suit the variant
  // is check_wifi_credentials' call, not the store's.
  Status load(WifiCredentials* out);
  // Status::invalid_argument for a field that is not NUL-terminated within kWifiFieldMax.
  Status save(const WifiCredentials& wifi);
  // Erases both slots: the next load gives no credentials.
  Status factory_reset();
  std::uint32_t sequence() const { return m_records.sequence(); }

 private:
  RecordStore m_records;
};

}  // namespace amprig::fw
