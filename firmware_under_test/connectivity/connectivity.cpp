#include "connectivity/connectivity.h"

#include <cstring>

// Rig choices where the device spec is silent:
// - A LAN carrier always wins: the device uses the LAN even while its DHCP keeps timing out
//   there, and leaves a working Wi-Fi as soon as a carrier appears. Without a carrier it joins
//   the site Wi-Fi, if credentials are configured.
// - A join that has not associated after wifi_join_timeout_us is left and started again; a lease
//   not bound after dhcp_timeout_us is requested again; a lease lost while the uplink is still up
//   is requested again at once. A lost carrier or association is left (wifi_leave) and the
//   uplink chosen afresh in the same poll.
// - The backoff belongs to the cloud, not to the uplink: an attempt that fails, or a session the
//   cloud drops, waits backoff_us (1 s, doubling to 60 s) before the next cloud_open(). A session
//   ended because its uplink went away is no cloud failure: the next attempt goes as soon as a
//   new lease is held and any wait in progress has passed. Connecting resets the backoff.
// - After cloud_open(), CloudState::closed counts as not yet connecting: cloud_timeout_us covers
//   a link that ignored the request.
// - The access point is opened at start() and closed access_point_us later or at stop(),
//   whatever the uplink does meanwhile.

namespace amprig::fw {
namespace {

static_assert(kWifiFieldMax == 30, "the reasons below spell out 30 characters");

struct FieldReasons {
  const char* empty;
  const char* too_long;
  const char* not_printable;
  const char* ag63;
  const char* home100;  // home100 and public400 share the rule, not the message
  const char* public400;
};

constexpr FieldReasons kSsidReasons{
    "ssid: must not be empty",
    "ssid: at most 30 characters",
    "ssid: printable ASCII characters only",
    "ssid: only letters and digits (ag63)",
    "ssid: only letters a-z A-Z, digits, _ and - (home100)",
    "ssid: only letters a-z A-Z, digits, _ and - (public400)",
};

constexpr FieldReasons kPasswordReasons{
    nullptr,  // an open network has no password
    "password: at most 30 characters",
    "password: printable ASCII characters only",
    "password: only letters and digits (ag63)",
    "password: only letters a-z A-Z, digits, _ and - (home100)",
    "password: only letters a-z A-Z, digits, _ and - (public400)",
};

// Explicit ranges, not <cctype>: its answers depend on the locale.
bool letter_or_digit(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool allowed(Variant variant, unsigned char c) {
  switch (variant) {
    case Variant::home100:
    case Variant::public400:
      return letter_or_digit(c) || c == '_' || c == '-';
    case Variant::ag63:
      break;
  }
  return letter_or_digit(c);
}

const char* variant_reason(Variant variant, const FieldReasons& reasons) {
  switch (variant) {
    case Variant::home100:
      return reasons.home100;
    case Variant::public400:
      return reasons.public400;
    case Variant::ag63:
      break;
  }
  return reasons.ag63;
}

const char* check_field(Variant variant, const char* text, const FieldReasons& reasons) {
  if (text == nullptr) text = "";
  // Counts no further than one past the limit: the caller's buffer may be longer, or unterminated
  // beyond it.
  std::size_t length = 0;
  while (length <= kWifiFieldMax && text[length] != '\0') ++length;
  if (length == 0 && reasons.empty != nullptr) return reasons.empty;
  if (length > kWifiFieldMax) return reasons.too_long;
  for (std::size_t i = 0; i < length; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c > 0x7e) return reasons.not_printable;
  }
  for (std::size_t i = 0; i < length; ++i) {
    if (!allowed(variant, static_cast<unsigned char>(text[i]))) {
      return variant_reason(variant, reasons);
    }
  }
  return nullptr;
}

}  // namespace

const char* check_wifi_credentials(Variant variant, const char* ssid, const char* password) {
  if (const char* reason = check_field(variant, ssid, kSsidReasons)) return reason;
  return check_field(variant, password, kPasswordReasons);
}

const char* to_string(LinkState state) {
  switch (state) {
    case LinkState::no_link:
      return "no_link";
    case LinkState::joining_wifi:
      return "joining_wifi";
    case LinkState::dhcp:
      return "dhcp";
    case LinkState::local_network:
      return "local_network";
    case LinkState::cloud:
      return "cloud";
  }
  return "unknown";
}

Connectivity::Connectivity(hal::NetworkLink& link) : m_link(link) {}

void Connectivity::start(const ConnectivityConfig& config, const WifiCredentials& wifi,
                         const char* ap_ssid, std::uint64_t now_us) {
  stop();
  m_config = config;
  m_wifi = WifiCredentials{};
  set_wifi(wifi);
  m_wifi_changed = false;
  std::memset(m_ap_ssid, 0, sizeof m_ap_ssid);
  if (ap_ssid != nullptr) {
    for (std::size_t i = 0; i < kApSsidMax && ap_ssid[i] != '\0'; ++i) m_ap_ssid[i] = ap_ssid[i];
  }
  m_state = LinkState::no_link;
  m_uplink = hal::Uplink::none;
  m_state_since_us = now_us;
  m_session_open = false;
  m_attempt_since_us = 0;
  m_next_attempt_us = 0;
  m_backoff_us = 0;
  m_cloud_attempts = 0;
  // Without a name there is nothing to announce: no access point.
  m_ap_on = m_ap_ssid[0] != '\0';
  m_ap_since_us = now_us;
  if (m_ap_on) m_link.access_point(true, m_ap_ssid);
  m_running = true;
}

void Connectivity::stop() {
  if (!m_running) return;
  close_session();
  // The address goes with the power: after a power cut or a reboot the device asks DHCP again.
  if (m_uplink != hal::Uplink::none) m_link.dhcp_start(hal::Uplink::none);
  tear_down();
  if (m_ap_on) {
    m_link.access_point(false, m_ap_ssid);
    m_ap_on = false;
  }
  m_running = false;
}

void Connectivity::set_wifi(const WifiCredentials& wifi) {
  m_wifi = wifi;
  // The caller validated them; the terminators are ours to guarantee.
  m_wifi.ssid[kWifiFieldMax] = '\0';
  m_wifi.password[kWifiFieldMax] = '\0';
  m_wifi_changed = true;
}

void Connectivity::poll(std::uint64_t now_us) {
  if (!m_running) return;
  if (m_ap_on && now_us - m_ap_since_us >= m_config.access_point_us) {
    m_link.access_point(false, m_ap_ssid);
    m_ap_on = false;
  }
  follow_uplink(now_us);
  // Each step may complete at once (a link that answers within the poll): the next one then
  // runs in the same poll.
  if (m_state == LinkState::joining_wifi) step_join(now_us);
  if (m_state == LinkState::dhcp) step_dhcp(now_us);
  if (m_state == LinkState::local_network || m_state == LinkState::cloud) step_cloud(now_us);
}

void Connectivity::follow_uplink(std::uint64_t now_us) {
  const bool carrier = m_link.lan_carrier();
  if (m_uplink == hal::Uplink::lan && !carrier) {
    tear_down();
  } else if (m_uplink == hal::Uplink::wifi) {
    const bool lost = m_state != LinkState::joining_wifi && !m_link.wifi_associated();
    if (carrier || m_wifi_changed || !wifi_configured() || lost) tear_down();
  }
  m_wifi_changed = false;
  if (m_uplink != hal::Uplink::none) return;
  if (carrier) {
    m_uplink = hal::Uplink::lan;
    m_link.dhcp_start(hal::Uplink::lan);
    enter(LinkState::dhcp, now_us);
  } else if (wifi_configured()) {
    m_uplink = hal::Uplink::wifi;
    m_link.wifi_join(m_wifi.ssid, m_wifi.password);
    enter(LinkState::joining_wifi, now_us);
  }
}

void Connectivity::step_join(std::uint64_t now_us) {
  if (m_link.wifi_associated()) {
    m_link.dhcp_start(hal::Uplink::wifi);
    enter(LinkState::dhcp, now_us);
  } else if (now_us - m_state_since_us >= m_config.wifi_join_timeout_us) {
    m_link.wifi_leave();
    m_link.wifi_join(m_wifi.ssid, m_wifi.password);
    m_state_since_us = now_us;
  }
}

void Connectivity::step_dhcp(std::uint64_t now_us) {
  if (m_link.dhcp_bound()) {
    enter(LinkState::local_network, now_us);
  } else if (now_us - m_state_since_us >= m_config.dhcp_timeout_us) {
    m_link.dhcp_start(m_uplink);
    m_state_since_us = now_us;
  }
}

void Connectivity::step_cloud(std::uint64_t now_us) {
  if (!m_link.dhcp_bound()) {
    close_session();
    m_link.dhcp_start(m_uplink);
    enter(LinkState::dhcp, now_us);
    return;
  }
  if (m_state == LinkState::cloud) {
    if (m_link.cloud_state() != hal::CloudState::connected) cloud_failed(now_us);
    return;
  }
  if (!m_session_open) {
    if (now_us < m_next_attempt_us) return;
    m_link.cloud_open();
    m_session_open = true;
    ++m_cloud_attempts;
    m_attempt_since_us = now_us;
  }
  switch (m_link.cloud_state()) {
    case hal::CloudState::connected:
      m_backoff_us = 0;
      enter(LinkState::cloud, now_us);
      break;
    case hal::CloudState::failed:
      cloud_failed(now_us);
      break;
    case hal::CloudState::closed:
    case hal::CloudState::connecting:
      if (now_us - m_attempt_since_us >= m_config.cloud_timeout_us) cloud_failed(now_us);
      break;
  }
}

void Connectivity::cloud_failed(std::uint64_t now_us) {
  close_session();
  if (m_backoff_us == 0) {
    m_backoff_us = m_config.backoff_initial_us;
  } else {
    m_backoff_us =
        m_backoff_us >= m_config.backoff_max_us / 2 ? m_config.backoff_max_us : 2 * m_backoff_us;
  }
  if (m_backoff_us > m_config.backoff_max_us) m_backoff_us = m_config.backoff_max_us;
  m_next_attempt_us = now_us + m_backoff_us;
  enter(LinkState::local_network, now_us);
}

void Connectivity::close_session() {
  if (!m_session_open) return;
  m_link.cloud_close();
  m_session_open = false;
}

void Connectivity::tear_down() {
  close_session();
  if (m_uplink == hal::Uplink::wifi) m_link.wifi_leave();
  m_uplink = hal::Uplink::none;
  m_state = LinkState::no_link;
}

void Connectivity::enter(LinkState state, std::uint64_t now_us) {
  m_state = state;
  m_state_since_us = now_us;
}

LinkState Connectivity::state() const { return m_state; }

hal::Uplink Connectivity::uplink() const { return m_uplink; }

bool Connectivity::access_point_on() const { return m_ap_on; }

hal::LedColour Connectivity::led() const {
  switch (m_state) {
    case LinkState::cloud:
      return hal::LedColour::green;
    case LinkState::local_network:
      return hal::LedColour::blue;
    case LinkState::no_link:
    case LinkState::joining_wifi:
    case LinkState::dhcp:
      break;
  }
  return hal::LedColour::off;
}

std::uint32_t Connectivity::cloud_attempts() const { return m_cloud_attempts; }

std::uint64_t Connectivity::backoff_us() const { return m_backoff_us; }

}  // namespace amprig::fw
