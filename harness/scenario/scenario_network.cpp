// The EV side of a scenario: chargers and their cars, the load-balancer group,
// the site network and the device's connectivity settings.
#include <set>

#include "connectivity/connectivity.h"
#include "scenario/decoder.h"

namespace amprig {
namespace {

models::LinkConfig decode_link(const ConfigNode& node, const std::string& path) {
  Decoder::check_keys(node, path, {"latency", "jitter", "loss_pct", "down", "frozen", "outages"});
  models::LinkConfig link;
  if (const auto* v = node.find("latency")) link.latency_s = Decoder::seconds(*v, path + ".latency");
  if (const auto* v = node.find("jitter")) link.jitter_s = Decoder::seconds(*v, path + ".jitter");
  if (const auto* v = node.find("loss_pct")) {
    link.loss_pct = Decoder::number_in(*v, path + ".loss_pct", 0, 100);
  }
  if (const auto* v = node.find("down")) link.down = Decoder::boolean(*v, path + ".down");
  if (const auto* v = node.find("frozen")) link.frozen = Decoder::boolean(*v, path + ".frozen");
  if (const auto* v = node.find("outages")) {
    if (!v->is_sequence()) Decoder::fail(v->where, path + ".outages", "expected a list of { at, duration }");
    Decoder::check_count(*v, path + ".outages", kMaxOutages, "outages");
    for (std::size_t i = 0; i < v->items.size(); ++i) {
      const ConfigNode& o = v->items[i];
      const std::string op = path + ".outages[" + std::to_string(i) + "]";
      Decoder::check_keys(o, op, {"at", "duration"});
      const auto* at = o.find("at");
      const auto* duration = o.find("duration");
      if (at == nullptr || duration == nullptr) {
        Decoder::fail(o.where, op, "an outage needs both 'at' and 'duration'");
      }
      models::Outage outage;
      outage.start_s = Decoder::seconds(*at, op + ".at");
      outage.duration_s = Decoder::seconds(*duration, op + ".duration");
      if (!(outage.duration_s > 0)) Decoder::fail(duration->where, op + ".duration", "must be > 0");
      link.outages.push_back(outage);
    }
  }
  return link;
}

models::CarConfig decode_car(const ConfigNode& node, const std::string& path) {
  Decoder::check_keys(node, path,
                      {"phases", "max_current_a", "plugged_at", "unplugged_at", "energy_needed_wh",
                       "response_delay", "ramp_a_per_s"});
  models::CarConfig car;
  if (const auto* v = node.find("phases")) {
    const double p = Decoder::number(*v, path + ".phases");
    if (p != 1 && p != 3) Decoder::fail(v->where, path + ".phases", "a car charges on 1 or 3 phases");
    car.phases = static_cast<int>(p);
  }
  if (const auto* v = node.find("max_current_a")) {
    car.max_current_a = Decoder::number_in(*v, path + ".max_current_a", 1, 80);
  }
  if (const auto* v = node.find("plugged_at")) car.plugged_at_s = Decoder::seconds(*v, path + ".plugged_at");
  if (const auto* v = node.find("unplugged_at")) {
    car.unplugged_at_s = Decoder::seconds(*v, path + ".unplugged_at");
  }
  if (const auto* v = node.find("energy_needed_wh")) {
    car.energy_needed_wh = Decoder::number_in(*v, path + ".energy_needed_wh", 0.001, 1e6);
  }
  if (const auto* v = node.find("response_delay")) {
    car.response_delay_s = Decoder::seconds(*v, path + ".response_delay");
  }
  if (const auto* v = node.find("ramp_a_per_s")) {
    car.ramp_a_per_s = Decoder::number_in(*v, path + ".ramp_a_per_s", 0.01, 1000);
  }
  return car;
}

bool valid_id(const std::string& id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

}  // namespace

void decode_device_connectivity(const ConfigNode& node, Scenario& s) {
  if (const auto* v = node.find("serial_number")) {
    const std::string& serial = Decoder::scalar(*v, "device.serial_number");
    std::size_t digits = 0;
    for (std::size_t i = 0; i + 1 < serial.size(); ++i) {
      digits = std::isdigit(static_cast<unsigned char>(serial[i])) ? digits + 1 : 0;
    }
    if (serial.size() > 23 || serial.empty() || serial.back() != 'G' || digits < 7) {
      Decoder::fail(v->where, "device.serial_number",
                    "'" + serial + "': a serial number ends with at least 7 digits and 'G'");
    }
    s.device.serial_number = serial;
  }
  if (const auto* v = node.find("telemetry_period")) {
    s.device.telemetry_period_s = Decoder::seconds(*v, "device.telemetry_period");
    if (s.device.telemetry_period_s < 0.01 || s.device.telemetry_period_s > 3600) {
      Decoder::fail(v->where, "device.telemetry_period", "must be between 10ms and 1h");
    }
  }
  if (const auto* v = node.find("wifi")) {
    Decoder::check_keys(*v, "device.wifi", {"ssid", "password"});
    const auto* ssid = v->find("ssid");
    const auto* password = v->find("password");
    if (ssid == nullptr || password == nullptr) {
      Decoder::fail(v->where, "device.wifi", "give both ssid and password");
    }
    s.device.wifi_ssid = Decoder::scalar(*ssid, "device.wifi.ssid");
    s.device.wifi_password = Decoder::scalar(*password, "device.wifi.password");
    if (const char* why = fw::check_wifi_credentials(s.device.variant, s.device.wifi_ssid.c_str(),
                                                     s.device.wifi_password.c_str())) {
      Decoder::fail(v->where, "device.wifi", std::string("rejected by the device: ") + why);
    }
  }
}

void decode_chargers(const ConfigNode& node, Scenario& s) {
  if (!node.is_sequence()) Decoder::fail(node.where, "plant.chargers", "expected a list of chargers");
  if (node.items.size() > fw::balancer::kMaxChargers) {
    Decoder::fail(node.where, "plant.chargers",
                  "at most " + std::to_string(fw::balancer::kMaxChargers) + " chargers in a group");
  }
  std::set<std::string> ids;
  for (std::size_t i = 0; i < node.items.size(); ++i) {
    const ConfigNode& c = node.items[i];
    const std::string path = "plant.chargers[" + std::to_string(i) + "]";
    Decoder::check_keys(c, path,
                        {"id", "rotation", "offline_current_a", "offline_phase", "link_timeout",
                         "initial_setpoint_a", "link", "car"});
    ChargerSetup setup;
    auto& charger = setup.charger;
    const auto* id = c.find("id");
    if (id == nullptr) Decoder::fail(c.where, path + ".id", "every charger needs an id");
    charger.id = Decoder::scalar(*id, path + ".id");
    if (!valid_id(charger.id)) Decoder::fail(id->where, path + ".id", "use letters, digits, '_' and '-' only");
    if (!ids.insert(charger.id).second) {
      Decoder::fail(id->where, path + ".id", "two chargers have the id '" + charger.id + "'");
    }
    if (const auto* v = c.find("rotation")) {
      const auto rotation = Decoder::phases(*v, path + ".rotation");
      if (rotation.size() != 3) {
        Decoder::fail(v->where, path + ".rotation", "name the grid phase of each of L1, L2, L3");
      }
      std::copy(rotation.begin(), rotation.end(), charger.rotation.begin());
    } else {
      // Wired as the group's phase order says.
      for (int k = 0; k < 3; ++k) {
        charger.rotation[k] = static_cast<models::Phase>(s.balancer.settings.phase_order[k]);
      }
    }
    if (const auto* v = c.find("offline_current_a")) {
      charger.offline_current_a = Decoder::number_in(*v, path + ".offline_current_a", 0, 80);
    }
    setup.offline_grid_phase = charger.rotation[0];
    if (const auto* v = c.find("offline_phase")) {
      setup.offline_grid_phase = Decoder::phase(*v, path + ".offline_phase");
    }
    for (int k = 0; k < 3; ++k) {
      if (charger.rotation[k] == setup.offline_grid_phase) charger.offline_phase = static_cast<models::Phase>(k);
    }
    if (const auto* v = c.find("link_timeout")) {
      charger.link_timeout_s = Decoder::seconds(*v, path + ".link_timeout");
    }
    if (const auto* v = c.find("initial_setpoint_a")) {
      charger.initial_setpoint_a = Decoder::number_in(*v, path + ".initial_setpoint_a", 0, 80);
    }
    if (const auto* v = c.find("link")) setup.link = decode_link(*v, path + ".link");
    if (const auto* v = c.find("car")) charger.car = decode_car(*v, path + ".car");
    if (const std::string why = models::Charger::check(charger); !why.empty()) {
      Decoder::fail(c.where, path, why);
    }
    s.chargers.push_back(std::move(setup));
  }
}

void decode_balancer(const ConfigNode& node, Scenario& s) {
  auto& b = s.balancer.settings;
  struct NumberKey {
    const char* key;
    double* field;
    bool duration;
  };
  const NumberKey numbers[] = {
      {"max_current_per_phase_online_a", &b.max_current_per_phase_online_a, false},
      {"max_current_per_phase_offline_a", &b.max_current_per_phase_offline_a, false},
      {"min_current_per_charger_a", &b.min_current_per_charger_a, false},
      {"supply_max_current_a", &b.supply_max_current_a, false},
      {"initial_peak_limit_w", &b.initial_peak_limit_w, false},
      {"nominal_phase_voltage_v", &b.nominal_phase_voltage_v, false},
      {"measurement_timeout_s", &b.measurement_timeout_s, true},
      {"ramp_up_a_per_s", &b.ramp_up_a_per_s, false},
      {"min_pause_s", &b.min_pause_s, true},
      {"hysteresis_a", &b.hysteresis_a, false},
      {"rotation_period_s", &b.rotation_period_s, true},
      {"setpoint_step_a", &b.setpoint_step_a, false},
      {"cycle_s", &s.balancer.cycle_s, true},
  };
  Decoder::check_keys(node, "balancer",
                      {"phases", "max_current_per_phase_online_a", "max_current_per_phase_offline_a",
                       "min_current_per_charger_a", "supply_max_current_a",
                       "chargers_included_in_measurements", "peak_adjustment_enabled",
                       "initial_peak_limit_w", "nominal_phase_voltage_v", "measurement_timeout_s",
                       "ramp_up_a_per_s", "min_pause_s", "hysteresis_a", "rotation_period_s",
                       "setpoint_step_a", "cycle_s"});
  if (const auto* v = node.find("phases")) {
    const std::string key = "balancer.phases";
    if (!v->is_sequence() || v->items.size() != 3) {
      Decoder::fail(v->where, key, "expected the three grid phases in order, e.g. [1, 2, 3] or [3, 2, 1]");
    }
    bool seen[3] = {false, false, false};
    for (std::size_t k = 0; k < 3; ++k) {
      std::string t = Decoder::scalar(v->items[k], key);
      if (t.size() == 2 && t[0] == 'L') t.erase(0, 1);
      if (t != "1" && t != "2" && t != "3") {
        Decoder::fail(v->items[k].where, key, "expected 1, 2 or 3, got '" + v->items[k].scalar + "'");
      }
      const int p = t[0] - '1';
      if (seen[p]) Decoder::fail(v->items[k].where, key, "phase listed twice");
      seen[p] = true;
      b.phase_order[k] = static_cast<std::uint8_t>(p);
    }
  }
  for (const auto& n : numbers) {
    if (const auto* v = node.find(n.key)) {
      const std::string key = std::string("balancer.") + n.key;
      *n.field = n.duration ? Decoder::seconds(*v, key) : Decoder::number(*v, key);
    }
  }
  if (const auto* v = node.find("chargers_included_in_measurements")) {
    b.chargers_included_in_measurements =
        Decoder::boolean(*v, "balancer.chargers_included_in_measurements");
  }
  if (const auto* v = node.find("peak_adjustment_enabled")) {
    b.peak_adjustment_enabled = Decoder::boolean(*v, "balancer.peak_adjustment_enabled");
  }
  if (const char* field = fw::balancer::check_settings(b)) {
    const ConfigNode* at = node.find(field);
    Decoder::fail(at != nullptr ? at->where : node.where, std::string("balancer.") + field,
                  "out of range (see 'amprig help balancer')");
  }
  if (!(s.balancer.cycle_s >= 0.01 && s.balancer.cycle_s <= 600)) {
    Decoder::fail(node.find("cycle_s")->where, "balancer.cycle_s", "must be between 10ms and 10min");
  }
}

void decode_network(const ConfigNode& node, Scenario& s) {
  Decoder::check_keys(node, "network", {"lan", "wifi", "dhcp", "cloud", "telemetry"});
  auto& n = s.network;
  if (const auto* v = node.find("lan")) n.lan_connected = Decoder::boolean(*v, "network.lan");
  if (const auto* v = node.find("wifi")) {
    const std::string path = "network.wifi";
    Decoder::check_keys(*v, path, {"ssid", "password", "rssi_dbm", "band_ghz", "join_time"});
    n.wifi.present = true;
    if (const auto* f = v->find("ssid")) n.wifi.ssid = Decoder::scalar(*f, path + ".ssid");
    if (const auto* f = v->find("password")) n.wifi.password = Decoder::scalar(*f, path + ".password");
    if (const auto* f = v->find("rssi_dbm")) n.wifi.rssi_dbm = Decoder::number_in(*f, path + ".rssi_dbm", -120, 0);
    if (const auto* f = v->find("band_ghz")) {
      n.wifi.band_ghz = Decoder::number(*f, path + ".band_ghz");
      if (n.wifi.band_ghz != 2.4 && n.wifi.band_ghz != 5) {
        Decoder::fail(f->where, path + ".band_ghz", "expected 2.4 or 5");
      }
    }
    if (const auto* f = v->find("join_time")) n.wifi.join_time_s = Decoder::seconds(*f, path + ".join_time");
  }
  if (const auto* v = node.find("dhcp")) {
    Decoder::check_keys(*v, "network.dhcp", {"available", "time"});
    if (const auto* f = v->find("available")) n.dhcp_available = Decoder::boolean(*f, "network.dhcp.available");
    if (const auto* f = v->find("time")) n.dhcp_time_s = Decoder::seconds(*f, "network.dhcp.time");
  }
  if (const auto* v = node.find("cloud")) {
    Decoder::check_keys(*v, "network.cloud", {"reachable", "connect_time"});
    if (const auto* f = v->find("reachable")) n.cloud_reachable = Decoder::boolean(*f, "network.cloud.reachable");
    if (const auto* f = v->find("connect_time")) {
      n.cloud_connect_time_s = Decoder::seconds(*f, "network.cloud.connect_time");
    }
  }
  if (const auto* v = node.find("telemetry")) n.telemetry = decode_link(*v, "network.telemetry");
  if (const std::string why = models::SiteNetwork::check(n); !why.empty()) {
    Decoder::fail(node.where, "network", why);
  }
}

}  // namespace amprig
