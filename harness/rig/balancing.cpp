#include "rig/balancing.h"

#include <algorithm>
#include <cmath>

#include "connectivity/telemetry.h"
#include "rig/rig.h"

namespace amprig {
namespace {

constexpr double kEpsA = 1e-9;
// A group's current may exceed the offline cap by this much (the car model's round-off).
constexpr double kOfflineCapSlackA = 0.05;
// A message due at a poll instant is delivered at that poll, whatever the round-off of the
// two sums of seconds that name the instant.
constexpr double kDueSlackS = 1e-9;
// The firmware's measurement windows are about 200 ms long, stamped at their end.
constexpr double kWindowMidS = 0.1;

bool wants_charge(const models::Charger& c) {
  return c.state() == models::ChargerState::charging || c.state() == models::ChargerState::paused;
}

// The grid phases a charger's car draws on while it follows the balancer.
std::array<int, 3> car_lanes(const models::ChargerConfig& c) {
  std::array<int, 3> lanes{};
  for (int k = 0; k < c.car.phases && k < 3; ++k) ++lanes[c.rotation[k]];
  return lanes;
}

}  // namespace

Balancing::Station::Station(const ChargerSetup& setup, std::uint64_t seed)
    : charger(std::make_unique<models::Charger>(("charger_" + setup.charger.id).c_str(),
                                                setup.charger)),
      downlink(setup.link, seed),
      offline_grid_phase(setup.offline_grid_phase) {}

Balancing::Balancing(const Scenario& scenario, models::ConnectionPoint& plant,
                     models::MainFuse& fuse, models::SiteNetwork& network)
    : m_setup(scenario.balancer),
      m_fuse(fuse),
      m_plant(plant),
      m_network(network),
      m_included(scenario.balancer.settings.chargers_included_in_measurements),
      m_balancer(scenario.balancer.settings) {
  for (std::size_t i = 0; i < scenario.chargers.size(); ++i) {
    const ChargerSetup& setup = scenario.chargers[i];
    // Each link draws its own random numbers, derived from the scenario's seed.
    const std::uint64_t seed = scenario.seed * 0x9E3779B97F4A7C15ull + 0x1000 + i;
    m_stations.push_back(std::make_unique<Station>(setup, seed));
    auto& charger = *m_stations.back()->charger;
    (m_included ? plant.sources : plant.unmetered).bind(charger.out);
  }
  update_grace();
}

void Balancing::update_grace() {
  // After the offline caps fall due, the balancer needs up to a cycle to decide, the setpoint
  // a link's delay to arrive, and the car its response delay to follow; the rig's poll adds one
  // tick on each side.
  double slowest_s = 0;
  for (const auto& st : m_stations) {
    const auto& link = st->downlink.config();
    slowest_s = std::max(slowest_s, link.latency_s + link.jitter_s +
                                        st->charger->config().car.response_delay_s);
  }
  m_grace_s = m_setup.cycle_s + slowest_s + 2 * Rig::kPollPeriodS;
}

std::array<double, 3> Balancing::Station::drawn_at(double t_s) const {
  std::array<double, 3> out = history.empty() ? charger->current_a() : history.front().current_a;
  for (const Sample& sample : history) {
    if (sample.t_s > t_s) break;
    out = sample.current_a;
  }
  return out;
}

bool Balancing::link_up(const Station& s, double now_s) const { return !s.downlink.down_at(now_s); }

std::array<std::uint8_t, 3> Balancing::group_rotation(const models::ChargerConfig& c) const {
  std::array<std::uint8_t, 3> out{};
  for (int k = 0; k < 3; ++k) {
    for (std::uint8_t g = 0; g < 3; ++g) {
      if (m_setup.settings.phase_order[g] == c.rotation[k]) out[k] = g;
    }
  }
  return out;
}

void Balancing::receive_telemetry() {
  std::vector<std::uint8_t> bytes;
  while (m_network.telemetry().receive(m_now_s + kDueSlackS, &bytes)) {
    fw::TelemetryReport report;
    if (!fw::decode_telemetry(fw::Span<const std::uint8_t>(bytes.data(), bytes.size()), &report)) {
      ++m_bad_datagrams;
      continue;
    }
    const double measured_s = static_cast<double>(report.measured_at_us) * 1e-6;
    if (m_measurement.present && measured_s < m_measurement.timestamp_s) continue;  // out of date
    m_measurement.present = true;
    m_measurement.timestamp_s = measured_s;
    for (int p = 0; p < 3; ++p) m_measurement.current_a[p] = report.current_ma[p] * 1e-3;
  }
}

void Balancing::tick(double now_s) {
  m_now_s = now_s;
  receive_telemetry();
  for (auto& st : m_stations) {
    const bool up = link_up(*st, now_s);
    if (st->was_up && !up) st->link_lost_since_s = now_s;
    st->was_up = up;
    st->charger->set_link(up, now_s);
    double setpoint_a = 0;
    while (st->downlink.receive(now_s + kDueSlackS, &setpoint_a)) {
      if (up) st->charger->set_setpoint(setpoint_a, now_s);
    }
    st->charger->update(now_s);
    const auto drawn = st->charger->current_a();
    if (st->history.empty() || st->history.back().current_a != drawn) {
      st->history.push_back({now_s, drawn});
    }
    // Older than any measurement the balancer still takes as fresh: no longer needed.
    const double keep_s = now_s - m_setup.settings.measurement_timeout_s - 2 * m_setup.cycle_s;
    while (st->history.size() > 1 && st->history[1].t_s <= keep_s) st->history.pop_front();
  }
  if (now_s + 1e-9 >= m_next_cycle_s) {
    step_balancer(now_s);
    while (m_next_cycle_s <= now_s + 1e-9) m_next_cycle_s += m_setup.cycle_s;
  }
  check(now_s);
}

void Balancing::step_balancer(double now_s) {
  const auto& settings = m_setup.settings;
  fw::balancer::Inputs in;
  in.measurement = m_measurement;
  in.charger_count = m_stations.size();
  for (std::size_t i = 0; i < m_stations.size(); ++i) {
    const Station& st = *m_stations[i];
    const models::Charger& c = *st.charger;
    const models::ChargerConfig& cfg = c.config();
    fw::balancer::ChargerInput& ci = in.chargers[i];
    ci.linked = link_up(st, now_s);
    const auto rotation = group_rotation(cfg);
    std::copy(rotation.begin(), rotation.end(), ci.rotation);
    ci.car_phases = static_cast<std::uint8_t>(cfg.car.phases);
    ci.car_max_current_a = cfg.car.max_current_a;
    ci.wants_charge = wants_charge(c);
    // Chargers report timestamped meter values; the balancer is given what each drew at the
    // middle of the device's latest measurement window, so that subtracting it from that
    // measurement leaves the other loads, not the car's response since.
    const auto drawn = m_measurement.present
                           ? st.drawn_at(m_measurement.timestamp_s - kWindowMidS)
                           : c.current_a();
    std::copy(drawn.begin(), drawn.end(), ci.drawn_current_a);
    ci.offline_current_a = cfg.offline_current_a;
    ci.offline_grid_phase = static_cast<std::uint8_t>(st.offline_grid_phase);
    ci.link_lost_for_s = ci.linked ? 0.0 : now_s - st.link_lost_since_s;
    ci.link_timeout_s = cfg.link_timeout_s;
  }
  m_decision = m_balancer.step(in, now_s);
  ++m_cycles;
  for (std::size_t i = 0; i < m_stations.size(); ++i) {
    if (in.chargers[i].linked) m_stations[i]->downlink.send(m_decision.chargers[i].setpoint_a, now_s);
  }

  // Utilisation from the plant's ground truth, not from what the balancer believed.
  const bool fresh = m_measurement.present &&
                     now_s - m_measurement.timestamp_s <= settings.measurement_timeout_s;
  std::array<checks::PhaseUse, 3> use{};
  std::array<double, 3> reserved_a{};
  std::array<double, 3> chargers_a{};
  for (std::size_t i = 0; i < m_stations.size(); ++i) {
    const Station& st = *m_stations[i];
    const auto& cfg = st.charger->config();
    for (int p = 0; p < 3; ++p) chargers_a[p] += st.charger->grid_current_a(static_cast<models::Phase>(p));
    if (!in.chargers[i].linked) {
      // What it really draws on its own, whatever the balancer assumed.
      for (int p = 0; p < 3; ++p) reserved_a[p] += st.charger->grid_current_a(static_cast<models::Phase>(p));
      continue;
    }
    if (!in.chargers[i].wants_charge) continue;
    const auto lanes = car_lanes(cfg);
    for (int p = 0; p < 3; ++p) {
      use[p].demand_a += lanes[p] * cfg.car.max_current_a;
      use[p].given_a += lanes[p] * m_decision.chargers[i].setpoint_a;
    }
  }
  std::vector<double> setpoints;
  std::vector<double> energies;
  for (std::size_t i = 0; i < m_stations.size(); ++i) {
    if (!in.chargers[i].linked || !in.chargers[i].wants_charge) continue;
    setpoints.push_back(m_decision.chargers[i].setpoint_a);
    energies.push_back(m_stations[i]->charger->energy_wh());
  }
  for (int p = 0; p < 3; ++p) {
    double capacity_a = settings.max_current_per_phase_offline_a;
    if (fresh) {
      const auto truth = m_plant.truth_current(static_cast<models::Phase>(p));
      const double signed_a = truth.power_w < 0 ? -truth.current_a : truth.current_a;
      const double other_a = signed_a - (m_included ? chargers_a[p] : 0.0);
      capacity_a = std::min(settings.max_current_per_phase_online_a,
                            settings.supply_max_current_a - other_a);
      if (settings.peak_adjustment_enabled) {
        capacity_a = std::min(capacity_a, settings.initial_peak_limit_w /
                                                  (3 * settings.nominal_phase_voltage_v) -
                                              other_a);
      }
    }
    use[p].capacity_a = capacity_a - reserved_a[p];
  }
  m_utilisation_pct = checks::utilisation_pct(use);
  m_fairness = checks::jain_index(setpoints);
  m_energy_fairness = checks::jain_index(energies);
}

void Balancing::check(double now_s) {
  const auto& settings = m_setup.settings;
  const double min_a = settings.min_current_per_charger_a;
  m_gap_now = false;
  m_max_reversals_per_min = 0;
  for (std::size_t i = 0; i < m_stations.size(); ++i) {
    Station& st = *m_stations[i];
    const double received_a = st.charger->setpoint_a();
    const double decided_a = m_decision.chargers[i].setpoint_a;
    for (double a : {received_a, decided_a}) {
      if (a > kEpsA && a < min_a - kEpsA) m_gap_now = true;
    }
    if (received_a != st.last_setpoint_a) {
      st.reversals.add(now_s, received_a);
      st.last_setpoint_a = received_a;
      ++st.setpoint_changes;
    }
    const models::ChargerState state = st.charger->state();
    if (state == models::ChargerState::paused && st.last_state == models::ChargerState::charging) {
      ++st.pauses;
    }
    st.last_state = state;
    m_max_reversals_per_min = std::max(m_max_reversals_per_min, st.reversals.per_minute(now_s));
  }
  if (m_gap_now) ++m_gap_ticks;
  m_min_fuse_margin_pct = std::min(m_min_fuse_margin_pct, 100 - m_fuse.load_pct());

  // Measurements stopped arriving: the group must be inside the offline caps once the balancer
  // and the cars have had their time to react.
  const double due_s =
      (m_measurement.present ? m_measurement.timestamp_s : 0.0) + settings.measurement_timeout_s;
  m_offline_in_force = now_s > due_s + m_grace_s;
  m_offline_ok = true;
  if (m_offline_in_force) {
    for (int p = 0; p < 3; ++p) {
      double group_a = 0;
      for (const auto& st : m_stations) group_a += st->charger->grid_current_a(static_cast<models::Phase>(p));
      if (group_a > settings.max_current_per_phase_offline_a + kOfflineCapSlackA) m_offline_ok = false;
    }
    if (!m_offline_ok) ++m_offline_violations;
  }
}

void Balancing::register_signals(SignalRegistry& signals) {
  if (m_stations.empty()) return;
  for (std::size_t i = 0; i < m_stations.size(); ++i) {
    Station* st = m_stations[i].get();
    models::Charger* c = st->charger.get();
    const std::string base = "charger." + c->config().id + ".";
    signals.add(make_number(base + "setpoint_a", "A", "the limit the charger last received from the balancer",
                            [c] { return c->setpoint_a(); }));
    signals.add(make_number(base + "decided_setpoint_a", "A", "the balancer's latest decision for this charger",
                            [this, i] { return m_decision.chargers[i].setpoint_a; }));
    signals.add(make_choice(base + "reason", [] {
      std::vector<std::string> names;
      for (const auto& r : fw::balancer::kReasonInfo) names.emplace_back(r.name);
      return names;
    }(), "why the balancer decided what it did for this charger",
                            [this, i] { return std::string(fw::balancer::to_string(m_decision.chargers[i].reason)); }));
    signals.add(make_number(base + "current_a", "A", "the car's current per phase it charges on",
                            [c] {
                              const auto a = c->current_a();
                              return std::max({a[0], a[1], a[2]});
                            }));
    for (int p = 0; p < 3; ++p) {
      signals.add(make_number(base + kPhaseNames[p] + ".current_a", "A",
                              "the charger's current on this grid phase",
                              [c, p] { return c->grid_current_a(static_cast<models::Phase>(p)); }));
    }
    signals.add(make_bool(base + "online", "following the balancer (not in its offline fallback)",
                          [c] { return c->online(); }));
    signals.add(make_bool(base + "charging", "the car is charging", [c] { return c->charging(); }));
    signals.add(make_choice(base + "state", {"unplugged", "plugged", "charging", "paused"},
                            "charger state", [c] { return models::to_string(c->state()); }));
    signals.add(make_number(base + "energy_wh", "Wh", "energy delivered to the car",
                            [c] { return c->energy_wh(); }));
    signals.add(make_bool(base + "link_lost", "the link between the charger and the balancer is down (fault)",
                          [st] { return st->downlink.config().down; },
                          [st](bool v) { st->downlink.config().down = v; }, true));
    signals.add(make_number(base + "link.latency_s", "s", "one-way latency of the charger's link",
                            [st] { return st->downlink.config().latency_s; },
                            [this, st](double v) {
                              st->downlink.config().latency_s = v;
                              update_grace();
                            },
                            true, 0, 600));
    signals.add(make_number(base + "link.loss_pct", "%", "share of setpoints lost on the charger's link",
                            [st] { return st->downlink.config().loss_pct; },
                            [st](double v) { st->downlink.config().loss_pct = v; }, true, 0, 100));
    signals.add(make_bool(base + "car_ignores_limit",
                          "the car draws its maximum whatever limit it is offered, while the "
                          "charger lets it charge (fault)",
                          [c] { return c->config().car.ignores_limit; },
                          [c](bool v) { c->set_car_ignores_limit(v, sc_core::sc_time_stamp().to_seconds()); }, true));
    signals.add(make_number(base + "car_delay_s", "s",
                            "how long the car takes to follow a new limit (IEC 61851-1 allows "
                            "5 s; longer is a slow car, fault)",
                            [c] { return c->config().car.response_delay_s; },
                            [this, c](double v) {
                              c->set_car_response_delay(v, sc_core::sc_time_stamp().to_seconds());
                              update_grace();
                            },
                            true, 0, 600));
    signals.add(make_number(base + "setpoint_changes", "", "times the received setpoint changed",
                            [st] { return static_cast<double>(st->setpoint_changes); }));
    signals.add(make_number(base + "pauses", "", "times the car went from charging to paused",
                            [st] { return static_cast<double>(st->pauses); }));
    signals.add(make_number(base + "reversals_per_min", "1/min",
                            "received setpoint direction reversals over the last minute",
                            [this, st] { return st->reversals.per_minute(m_now_s); }));
  }
  signals.add(make_bool("balancer.device_online", "the balancer sees fresh measurements",
                        [this] { return m_decision.device_online; }));
  signals.add(make_number("balancer.cycles", "", "balancer decisions so far",
                          [this] { return static_cast<double>(m_cycles); }));
  signals.add(make_number("balancer.measurement_age_s", "s",
                          "age of the newest measurement the balancer has (-1: none yet)", [this] {
                            return m_measurement.present ? m_now_s - m_measurement.timestamp_s : -1.0;
                          }));
  signals.add(make_number("balancer.bad_datagrams", "", "telemetry datagrams that failed to decode",
                          [this] { return static_cast<double>(m_bad_datagrams); }));
  for (int p = 0; p < 3; ++p) {
    const std::string base = std::string("balancer.") + kPhaseNames[p] + ".";
    signals.add(make_number(base + "measured_a", "A", "the newest measured current it has, + import",
                            [this, p] { return m_measurement.current_a[p]; }));
    signals.add(make_number(base + "available_a", "A",
                            "current it could give the linked chargers on this phase",
                            [this, p] { return m_decision.available_a[p]; }));
    signals.add(make_number(base + "headroom_a", "A", "available minus the setpoints on this phase",
                            [this, p] { return m_decision.headroom_a[p]; }));
    signals.add(make_number(std::string("chargers.") + kPhaseNames[p] + ".current_a", "A",
                            "the chargers' total current on this grid phase", [this, p] {
                              double a = 0;
                              for (const auto& st : m_stations) a += st->charger->grid_current_a(static_cast<models::Phase>(p));
                              return a;
                            }));
  }
  signals.add(make_bool("check.setpoint_gap", "a setpoint (decided or received) is in (0, min) now",
                        [this] { return m_gap_now; }));
  signals.add(make_number("check.setpoint_gap_count", "", "poll ticks with a setpoint in (0, min)",
                          [this] { return static_cast<double>(m_gap_ticks); }));
  signals.add(make_number("check.fuse.margin_pct", "%", "100 - the most loaded fuse phase's way to melting",
                          [this] { return 100 - m_fuse.load_pct(); }));
  signals.add(make_number("check.fuse.min_margin_pct", "%", "the lowest fuse margin so far",
                          [this] { return m_min_fuse_margin_pct; }));
  signals.add(make_bool("check.fuse.tripped", "a phase of the main fuse has melted",
                        [this] { return m_fuse.tripped(); }));
  signals.add(make_bool("check.offline_cap.in_force", "measurements stopped long enough ago that the "
                        "group must be inside the offline caps", [this] { return m_offline_in_force; }));
  signals.add(make_bool("check.offline_cap.ok", "the group is inside the offline caps (or they are not in force)",
                        [this] { return m_offline_ok; }));
  signals.add(make_number("check.offline_cap.violations", "", "poll ticks over the offline caps while in force",
                          [this] { return static_cast<double>(m_offline_violations); }));
  signals.add(make_number("check.utilisation_pct", "%",
                          "share of the usable current (true headroom, cars' demand) given, at the last cycle",
                          [this] { return m_utilisation_pct; }));
  signals.add(make_number("check.fairness_jain", "", "Jain's index of the setpoints of the cars that want current",
                          [this] { return m_fairness; }));
  signals.add(make_number("check.energy_fairness_jain", "",
                          "Jain's index of the energy delivered to the cars that want current",
                          [this] { return m_energy_fairness; }));
  signals.add(make_number("check.oscillation_reversals_per_min", "1/min",
                          "the most setpoint reversals of any charger over the last minute",
                          [this] { return m_max_reversals_per_min; }));
}

}  // namespace amprig
