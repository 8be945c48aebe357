#pragma once
// The device's connectivity: which uplink it uses (LAN preferred over Wi-Fi), its DHCP lease,
// the cloud session with reconnect backoff, the 10-minute local access point after power-on,
// and the communication LED's colour. Driven by Connectivity::poll() from the main loop with
// the device clock; it talks to the network only through hal::NetworkLink.
#include <cstddef>
#include <cstdint>

#include "board/board.h"
#include "hal/hal.h"

namespace amprig::fw {

inline constexpr std::size_t kWifiFieldMax = 30;  // characters, both SSID and password

struct WifiCredentials {
  char ssid[kWifiFieldMax + 1] = {};  // empty: no site Wi-Fi configured
  char password[kWifiFieldMax + 1] = {};
};

// nullptr when the credentials are acceptable for `variant`; otherwise why not (a static
// string naming the field and the rule). Never truncates: an over-long field is rejected.
// Each field: at most kWifiFieldMax characters, printable ASCII; ag63 then letters and digits
// only, home100 and public400 letters a-z A-Z, digits, `_` and `-`. The SSID must not be empty;
// the password may be (rig choice: an open network). A null pointer counts as empty.
const char* check_wifi_credentials(Variant variant, const char* ssid, const char* password);

enum class LinkState : std::uint8_t {
  no_link,        // no LAN carrier and no usable Wi-Fi (comm LED off)
  joining_wifi,   // associating with the site Wi-Fi (off)
  dhcp,           // waiting for an address (off)
  local_network,  // address held, no cloud session (blue); opening one, or backing off
  cloud,          // cloud session up (green)
};
const char* to_string(LinkState state);

struct ConnectivityConfig {
  std::uint64_t access_point_us = 600'000'000;  // after power-on
  std::uint64_t dhcp_timeout_us = 15'000'000;   // then the lease attempt is restarted
  std::uint64_t wifi_join_timeout_us = 20'000'000;
  std::uint64_t cloud_timeout_us = 20'000'000;   // connecting longer than this counts as failed
  std::uint64_t backoff_initial_us = 1'000'000;  // doubled after each failed cloud attempt ...
  std::uint64_t backoff_max_us = 60'000'000;     // ... up to this; reset by a good session
};

class Connectivity {
 public:
  explicit Connectivity(hal::NetworkLink& link);
  // Power-on or reboot: everything afresh, the access point opens with `ap_ssid`.
  void start(const ConnectivityConfig& config, const WifiCredentials& wifi, const char* ap_ssid,
             std::uint64_t now_us);
  // Power off: the uplink, the session and the access point are closed.
  void stop();
  void poll(std::uint64_t now_us);
  // New site Wi-Fi credentials (already validated): re-evaluated at the next poll.
  void set_wifi(const WifiCredentials& wifi);

  LinkState state() const;
  hal::Uplink uplink() const;
  bool access_point_on() const;
  hal::LedColour led() const;            // green / blue / off
  std::uint32_t cloud_attempts() const;  // since start
  // The wait before the next cloud attempt that the latest failure started (the attempt is due
  // that long after the failure); 0 at start and once a session has connected.
  std::uint64_t backoff_us() const;

 private:
  // 802.11 limits an SSID to 32 bytes; a longer access point name is cut there.
  static constexpr std::size_t kApSsidMax = 32;

  bool wifi_configured() const { return m_wifi.ssid[0] != '\0'; }
  // Losses, the LAN's precedence and new credentials; starts an uplink when none is in use.
  void follow_uplink(std::uint64_t now_us);
  void step_join(std::uint64_t now_us);
  void step_dhcp(std::uint64_t now_us);
  void step_cloud(std::uint64_t now_us);
  void cloud_failed(std::uint64_t now_us);
  void close_session();
  // Closes the session, leaves the Wi-Fi: no uplink, LinkState::no_link.
  void tear_down();
  void enter(LinkState state, std::uint64_t now_us);

  hal::NetworkLink& m_link;
  ConnectivityConfig m_config{};
  WifiCredentials m_wifi{};
  char m_ap_ssid[kApSsidMax + 1] = {};
  bool m_running = false;
  bool m_wifi_changed = false;  // set_wifi() since the last poll
  LinkState m_state = LinkState::no_link;
  hal::Uplink m_uplink = hal::Uplink::none;  // being brought up or in use
  std::uint64_t m_state_since_us = 0;        // start of the join or lease attempt in progress
  bool m_session_open = false;               // cloud_open() called, cloud_close() not yet
  std::uint64_t m_attempt_since_us = 0;
  std::uint64_t m_next_attempt_us = 0;  // no cloud attempt before this
  std::uint64_t m_backoff_us = 0;
  std::uint32_t m_cloud_attempts = 0;
  bool m_ap_on = false;
  std::uint64_t m_ap_since_us = 0;
};

}  // namespace amprig::fw
