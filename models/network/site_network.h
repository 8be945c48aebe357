#pragma once
// The site's network as the device sees it through hal::NetworkLink: the LAN cable, the site
// Wi-Fi (SSID, password, signal, band), a DHCP server, the cloud, and the telemetry path from
// the device to the load balancer. Times come from the device clock; every step the firmware
// starts completes after a configured delay, so connectivity runs are deterministic.
#include <cstdint>
#include <string>
#include <vector>

#include "hal/hal.h"
#include "network/link.h"

namespace amprig::models {

struct SiteWifiConfig {
  bool present = false;  // a site Wi-Fi exists
  std::string ssid;
  std::string password;
  double rssi_dbm = -60;  // the device needs -80 dBm or better
  double band_ghz = 2.4;  // the device speaks 2.4 GHz only
  double join_time_s = 3;
};

struct SiteNetworkConfig {
  bool lan_connected = true;  // cable plugged, switch port up
  SiteWifiConfig wifi;
  bool dhcp_available = true;
  double dhcp_time_s = 2;
  bool cloud_reachable = true;  // the internet and the cloud service are up
  double cloud_connect_time_s = 1;
  LinkConfig telemetry;  // device -> balancer, for the datagrams sent over the cloud session
};

class SiteNetwork final : public fw::hal::NetworkLink {
 public:
  SiteNetwork(const SiteNetworkConfig& config, const fw::hal::Clock& clock, std::uint64_t seed);
  static std::string check(const SiteNetworkConfig& config);  // empty when valid

  // Mutable for faults and plant changes (cable pulled, cloud down, weaker signal); a change
  // takes effect at the device's next call.
  SiteNetworkConfig& config();
  const SiteNetworkConfig& config() const;
  // The balancer's end of the telemetry path.
  Link<std::vector<std::uint8_t>>& telemetry();

  // What the device has done, for signals and tests.
  bool access_point_on() const;
  const std::string& access_point_ssid() const;
  fw::hal::Uplink bound_uplink() const;  // none unless a lease is held

  // hal::NetworkLink
  bool lan_carrier() const override;
  void wifi_join(const char* ssid, const char* password) override;
  void wifi_leave() override;
  bool wifi_associated() const override;
  void dhcp_start(fw::hal::Uplink via) override;
  bool dhcp_bound() const override;
  void cloud_open() override;
  void cloud_close() override;
  fw::hal::CloudState cloud_state() const override;
  fw::Status send(fw::Span<const std::uint8_t> datagram) override;
  void access_point(bool on, const char* ssid) override;

 private:
  enum class Station : std::uint8_t { off, joining, associated };
  enum class Lease : std::uint8_t { none, requesting, bound };

  static const SiteNetworkConfig& checked(const SiteNetworkConfig& config);
  // Brings the state up to the device clock; every entry point calls it first.
  void advance() const;
  bool site_accepts_station() const;
  bool uplink_up(fw::hal::Uplink via) const;

  SiteNetworkConfig m_config;
  const fw::hal::Clock& m_clock;
  Link<std::vector<std::uint8_t>> m_telemetry;
  // config().telemetry as last copied into m_telemetry: a change there is applied once, and a
  // fault set directly on telemetry().config() stands until then.
  LinkConfig m_telemetry_applied;
  std::string m_join_ssid;
  std::string m_join_password;
  bool m_ap_on = false;
  std::string m_ap_ssid;

  // The network moves on with the clock, also between the device's calls; the const getters
  // catch it up, hence mutable. Each *_since_us is when the current attempt started.
  mutable Station m_station = Station::off;
  mutable std::uint64_t m_station_since_us = 0;
  mutable Lease m_lease = Lease::none;
  mutable fw::hal::Uplink m_lease_via = fw::hal::Uplink::none;
  mutable std::uint64_t m_lease_since_us = 0;
  mutable std::uint64_t m_lease_serial = 0;  // counts leases bound; a session rides on one
  mutable fw::hal::CloudState m_cloud = fw::hal::CloudState::closed;
  mutable std::uint64_t m_cloud_since_us = 0;
  mutable std::uint64_t m_cloud_lease = 0;  // serial of the lease the session was opened on
};

}  // namespace amprig::models
