#include "network/site_network.h"

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>

namespace amprig::models {
namespace {

using fw::hal::CloudState;
using fw::hal::Uplink;

constexpr double kMinRssiDbm = -80;
// The 2.4 GHz ISM band, so a channel's own frequency (2.412 GHz) counts as well as "2.4".
constexpr double kBandLowGhz = 2.4;
constexpr double kBandHighGhz = 2.5;

// Microseconds in a delay, rounded to the clock's resolution. Saturates well below the clock's
// range, so since + delay cannot wrap; a negative or NaN delay (set through config() after
// check()) counts as none.
std::uint64_t to_us(double delay_s) {
  constexpr double kMaxUs = 4.0e18;
  const double us = delay_s * 1e6;
  if (!(us > 0)) return 0;
  if (us >= kMaxUs) return static_cast<std::uint64_t>(kMaxUs);
  return static_cast<std::uint64_t>(std::llround(us));
}

double to_s(std::uint64_t us) { return static_cast<double>(us) / 1e6; }

bool elapsed(std::uint64_t now_us, std::uint64_t since_us, double delay_s) {
  return now_us >= since_us + to_us(delay_s);
}

std::string check_time(const char* field, double value_s) {
  if (!(value_s >= 0) || !std::isfinite(value_s)) {
    return std::string(field) + " must be finite and >= 0";
  }
  return {};
}

bool same(const LinkConfig& a, const LinkConfig& b) {
  if (a.outages.size() != b.outages.size()) return false;
  for (std::size_t k = 0; k < a.outages.size(); ++k) {
    if (a.outages[k].start_s != b.outages[k].start_s ||
        a.outages[k].duration_s != b.outages[k].duration_s) {
      return false;
    }
  }
  return a.latency_s == b.latency_s && a.jitter_s == b.jitter_s && a.loss_pct == b.loss_pct &&
         a.down == b.down && a.frozen == b.frozen;
}

}  // namespace

SiteNetwork::SiteNetwork(const SiteNetworkConfig& config, const fw::hal::Clock& clock,
                         std::uint64_t seed)
    : m_config(checked(config)),
      m_clock(clock),
      m_telemetry(config.telemetry, seed),
      m_telemetry_applied(config.telemetry) {}

const SiteNetworkConfig& SiteNetwork::checked(const SiteNetworkConfig& config) {
  if (const std::string problem = check(config); !problem.empty()) {
    throw std::invalid_argument("site network: " + problem);
  }
  return config;
}

std::string SiteNetwork::check(const SiteNetworkConfig& config) {
  for (const std::string& problem :
       {check_time("wifi.join_time_s", config.wifi.join_time_s),
        check_time("dhcp_time_s", config.dhcp_time_s),
        check_time("cloud_connect_time_s", config.cloud_connect_time_s)}) {
    if (!problem.empty()) return problem;
  }
  if (const std::string problem = Link<std::vector<std::uint8_t>>::check(config.telemetry);
      !problem.empty()) {
    return "telemetry." + problem;
  }
  return {};
}

SiteNetworkConfig& SiteNetwork::config() { return m_config; }

const SiteNetworkConfig& SiteNetwork::config() const { return m_config; }

Link<std::vector<std::uint8_t>>& SiteNetwork::telemetry() {
  if (!same(m_config.telemetry, m_telemetry_applied)) {
    m_telemetry.config() = m_config.telemetry;
    m_telemetry_applied = m_config.telemetry;
  }
  return m_telemetry;
}

bool SiteNetwork::access_point_on() const { return m_ap_on; }

const std::string& SiteNetwork::access_point_ssid() const { return m_ap_ssid; }

Uplink SiteNetwork::bound_uplink() const {
  advance();
  return m_lease == Lease::bound ? m_lease_via : Uplink::none;
}

bool SiteNetwork::site_accepts_station() const {
  const SiteWifiConfig& site = m_config.wifi;
  return site.present && site.ssid == m_join_ssid && site.password == m_join_password &&
         site.rssi_dbm >= kMinRssiDbm && site.band_ghz >= kBandLowGhz &&
         site.band_ghz < kBandHighGhz;
}

bool SiteNetwork::uplink_up(Uplink via) const {
  switch (via) {
    case Uplink::lan:
      return m_config.lan_connected;
    case Uplink::wifi:
      return m_station == Station::associated;
    case Uplink::none:
      break;
  }
  return false;
}

// Every attempt (association, lease, session) completes once its delay has passed with
// conditions favourable all along, as far as the calls can see: a call that finds them
// unfavourable restarts the wait, the way a station, a DHCP client or a TCP connect keeps
// retrying. What an attempt rests on (an uplink, a lease) going away ends it for good.
void SiteNetwork::advance() const {
  const std::uint64_t now_us = m_clock.now_us();

  const bool accepted = site_accepts_station();
  if (m_station == Station::associated && !accepted) {
    m_station = Station::joining;  // dropped; the station keeps trying with its credentials
    m_station_since_us = now_us;
  } else if (m_station == Station::joining) {
    if (!accepted) {
      m_station_since_us = now_us;
    } else if (elapsed(now_us, m_station_since_us, m_config.wifi.join_time_s)) {
      m_station = Station::associated;
    }
  }

  if (m_lease != Lease::none && !uplink_up(m_lease_via)) {
    m_lease = Lease::none;
    m_lease_via = Uplink::none;
  } else if (m_lease == Lease::requesting) {
    if (!m_config.dhcp_available) {
      m_lease_since_us = now_us;
    } else if (elapsed(now_us, m_lease_since_us, m_config.dhcp_time_s)) {
      m_lease = Lease::bound;
      ++m_lease_serial;
    }
  }

  if (m_cloud == CloudState::connecting || m_cloud == CloudState::connected) {
    const bool on_its_lease = m_lease == Lease::bound && m_lease_serial == m_cloud_lease;
    if (!on_its_lease || (m_cloud == CloudState::connected && !m_config.cloud_reachable)) {
      m_cloud = CloudState::failed;
    } else if (m_cloud == CloudState::connecting) {
      if (!m_config.cloud_reachable) {
        m_cloud_since_us = now_us;
      } else if (elapsed(now_us, m_cloud_since_us, m_config.cloud_connect_time_s)) {
        m_cloud = CloudState::connected;
      }
    }
  }
}

bool SiteNetwork::lan_carrier() const {
  advance();
  return m_config.lan_connected;
}

void SiteNetwork::wifi_join(const char* ssid, const char* password) {
  advance();
  const std::string new_ssid = ssid != nullptr ? ssid : "";
  const std::string new_password = password != nullptr ? password : "";
  // Asked again for the network it is on or joining: carry on rather than start over.
  if (m_station != Station::off && new_ssid == m_join_ssid && new_password == m_join_password) {
    return;
  }
  m_join_ssid = new_ssid;
  m_join_password = new_password;
  m_station = Station::joining;
  m_station_since_us = m_clock.now_us();
}

void SiteNetwork::wifi_leave() {
  advance();
  m_station = Station::off;
  m_join_ssid.clear();
  m_join_password.clear();
}

bool SiteNetwork::wifi_associated() const {
  advance();
  return m_station == Station::associated;
}

void SiteNetwork::dhcp_start(Uplink via) {
  advance();
  if (via == Uplink::none) {
    m_lease = Lease::none;
    m_lease_via = Uplink::none;
    return;
  }
  // A lease held or being sought on the same uplink carries on.
  if (m_lease != Lease::none && m_lease_via == via) return;
  m_lease = Lease::requesting;
  m_lease_via = via;
  m_lease_since_us = m_clock.now_us();
}

bool SiteNetwork::dhcp_bound() const {
  advance();
  return m_lease == Lease::bound;
}

void SiteNetwork::cloud_open() {
  advance();
  // Without a lease the session fails at the next look; with one it is tied to that lease.
  m_cloud = CloudState::connecting;
  m_cloud_since_us = m_clock.now_us();
  m_cloud_lease = m_lease == Lease::bound ? m_lease_serial : 0;
}

void SiteNetwork::cloud_close() {
  advance();
  m_cloud = CloudState::closed;
}

CloudState SiteNetwork::cloud_state() const {
  advance();
  return m_cloud;
}

fw::Status SiteNetwork::send(fw::Span<const std::uint8_t> datagram) {
  advance();
  if (m_cloud != CloudState::connected) return fw::Status::unavailable;
  // Loss on the way is the link's business: the device is not told, as with UDP.
  telemetry().send(std::vector<std::uint8_t>(datagram.begin(), datagram.end()),
                   to_s(m_clock.now_us()));
  return fw::Status::ok;
}

void SiteNetwork::access_point(bool on, const char* ssid) {
  advance();
  m_ap_on = on;
  m_ap_ssid = on && ssid != nullptr ? ssid : "";
}

}  // namespace amprig::models
