// The site network, the device's connectivity and its Wi-Fi tab: the signals of the
// connectivity scenarios, and the faults of the path from the device to the balancer.
#include "connectivity/connectivity.h"
#include "rig/rig.h"

namespace amprig {

void Rig::register_network_signals() {
  auto& n = m_network;
  m_signals.add(make_bool(
      "network.lan.connected", "LAN cable plugged with carrier (fault when pulled)",
      [&n] { return n.config().lan_connected; }, [&n](bool v) { n.config().lan_connected = v; },
      true));
  m_signals.add(make_bool(
      "network.cloud.reachable", "the internet and the cloud service are up (fault when not)",
      [&n] { return n.config().cloud_reachable; }, [&n](bool v) { n.config().cloud_reachable = v; },
      true));
  m_signals.add(make_bool(
      "network.dhcp.available", "the site's DHCP server answers (fault when not)",
      [&n] { return n.config().dhcp_available; }, [&n](bool v) { n.config().dhcp_available = v; },
      true));
  m_signals.add(make_bool(
      "network.wifi.present", "the site Wi-Fi is on the air", [&n] { return n.config().wifi.present; },
      [&n](bool v) { n.config().wifi.present = v; }, true));
  m_signals.add(make_number(
      "network.wifi.rssi_dbm", "dBm", "site Wi-Fi signal at the device (the device needs -80 or better)",
      [&n] { return n.config().wifi.rssi_dbm; }, [&n](double v) { n.config().wifi.rssi_dbm = v; },
      true, -120, 0));
  m_signals.add(make_bool(
      "network.device_link.down", "nothing gets from the device to the balancer (fault)",
      [&n] { return n.telemetry().config().down; }, [&n](bool v) { n.telemetry().config().down = v; },
      true));
  m_signals.add(make_bool(
      "network.device_link.frozen",
      "the balancer keeps receiving the last telemetry sent before the fault (fault)",
      [&n] { return n.telemetry().config().frozen; },
      [&n](bool v) { n.telemetry().config().frozen = v; }, true));
  m_signals.add(make_number(
      "network.device_link.latency_s", "s", "one-way latency from the device to the balancer",
      [&n] { return n.telemetry().config().latency_s; },
      [&n](double v) { n.telemetry().config().latency_s = v; }, true, 0, 600));
  m_signals.add(make_number(
      "network.device_link.loss_pct", "%", "share of telemetry datagrams lost",
      [&n] { return n.telemetry().config().loss_pct; },
      [&n](double v) { n.telemetry().config().loss_pct = v; }, true, 0, 100));
  m_signals.add(make_number("network.device_link.delivered", "",
                            "telemetry datagrams delivered to the balancer",
                            [&n] { return static_cast<double>(n.telemetry().delivered()); }));

  m_signals.add(make_choice(
      "device.link_state", {"no_link", "joining_wifi", "dhcp", "local_network", "cloud"},
      "the device's connectivity state",
      [this] { return std::string(fw::to_string(m_firmware.link_state())); }));
  m_signals.add(make_choice("device.uplink", {"none", "lan", "wifi"}, "the uplink the device uses",
                            [this] {
                              switch (m_firmware.uplink()) {
                                case fw::hal::Uplink::lan:
                                  return std::string("lan");
                                case fw::hal::Uplink::wifi:
                                  return std::string("wifi");
                                case fw::hal::Uplink::none:
                                  break;
                              }
                              return std::string("none");
                            }));
  m_signals.add(make_bool("device.access_point", "the device's own access point is open",
                          [&n] { return n.access_point_on(); }));
  m_signals.add(make_text("device.access_point_ssid", "", "the SSID of the device's access point",
                          [&n] { return n.access_point_on() ? n.access_point_ssid() : std::string(); }));
  m_signals.add(make_number("device.telemetry_sent", "", "telemetry datagrams sent since boot",
                            [this] { return static_cast<double>(m_firmware.telemetry_sent()); }));

  // The Wi-Fi tab: two fields, then Update. Reading a field shows what the device has stored.
  m_signals.add(make_text(
      "settings.wifi.ssid", "text", "Wi-Fi tab: site network name (set: fill the field)",
      [this] { return std::string(m_firmware.wifi().ssid); },
      [this](const std::string& v) { m_wifi_form_ssid = v; }));
  m_signals.add(make_text(
      "settings.wifi.password", "text", "Wi-Fi tab: site network password (set: fill the field)",
      [this] { return std::string(m_firmware.wifi().password); },
      [this](const std::string& v) { m_wifi_form_password = v; }));
  m_signals.add(make_bool(
      "settings.wifi.update", "Wi-Fi tab: Update (set true to press); see settings.last_result",
      [] { return false; },
      [this](bool v) {
        if (!v) return;
        if (!m_powered) {
          m_settings_result = "device off";
          return;
        }
        const std::string ssid = m_wifi_form_ssid.value_or(m_firmware.wifi().ssid);
        const std::string password = m_wifi_form_password.value_or(m_firmware.wifi().password);
        m_wifi_form_ssid.reset();
        m_wifi_form_password.reset();
        const fw::SettingsResult r = m_firmware.apply_wifi(ssid.c_str(), password.c_str());
        m_settings_result = r.reason == nullptr ? "applied" : std::string("rejected: ") + r.reason;
      }));
}

}  // namespace amprig
