#pragma once
// The EV side of the rig: the chargers with their cars, the links between them and the load
// balancer, the balancer itself (firmware-core code, stepped once per cycle), and the checks
// the rig passes on its decisions. The Rig ticks it from its main loop.
#include <array>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "balancer/balancer.h"
#include "charger/charger.h"
#include "fuse/main_fuse.h"
#include "network/link.h"
#include "network/site_network.h"
#include "plant/connection_point.h"
#include "rig/balancing_checks.h"
#include "scenario/scenario.h"
#include "signals/signal_registry.h"

namespace amprig {

class Balancing {
 public:
  // Builds the chargers (SystemC modules: call during elaboration) and binds them to `plant`,
  // through the CTs when the scenario's chargers are included in the measurements, else
  // behind the fuse only.
  Balancing(const Scenario& scenario, models::ConnectionPoint& plant, models::MainFuse& fuse,
            models::SiteNetwork& network);

  bool empty() const { return m_stations.empty(); }
  // Everything due at now_s: telemetry in, setpoints out to the chargers, links, a balancer
  // step when its cycle comes, the checks. now_s never goes back.
  void tick(double now_s);
  void register_signals(SignalRegistry& signals);

 private:
  struct Station {
    Station(const ChargerSetup& setup, std::uint64_t seed);
    std::unique_ptr<models::Charger> charger;
    models::Link<double> downlink;  // balancer -> charger setpoints; its faults cut both ways
    models::Phase offline_grid_phase = models::L1;
    checks::ReversalCounter reversals;
    double last_setpoint_a = 0;
    std::size_t setpoint_changes = 0;
    models::ChargerState last_state = models::ChargerState::unplugged;
    std::size_t pauses = 0;  // charging -> paused: each one a contactor opening
    bool was_up = true;
    double link_lost_since_s = 0;
    // The charger's meter values, timestamped, so that the balancer can be given the current
    // it drew when the device measured.
    struct Sample {
      double t_s;
      std::array<double, 3> current_a;
    };
    std::deque<Sample> history;
    std::array<double, 3> drawn_at(double t_s) const;
  };

  void receive_telemetry();
  void step_balancer(double now_s);
  void check(double now_s);
  bool link_up(const Station& s, double now_s) const;
  // The checks' grace after the offline caps fall due, from the links and cars as they are now.
  void update_grace();
  // The grid phase each charger phase lands on, in the balancer's group-phase indices.
  std::array<std::uint8_t, 3> group_rotation(const models::ChargerConfig& c) const;

  const BalancerSetup m_setup;
  models::MainFuse& m_fuse;
  models::ConnectionPoint& m_plant;
  models::SiteNetwork& m_network;
  bool m_included;
  std::vector<std::unique_ptr<Station>> m_stations;
  fw::balancer::Balancer m_balancer;
  fw::balancer::Measurement m_measurement{};
  fw::balancer::Decision m_decision{};
  double m_next_cycle_s = 0;
  std::uint64_t m_cycles = 0;
  std::uint64_t m_bad_datagrams = 0;
  double m_now_s = 0;
  // Checks.
  double m_grace_s = 0;  // after the offline caps are due, until the cars must have followed
  std::uint64_t m_gap_ticks = 0;
  bool m_gap_now = false;
  double m_min_fuse_margin_pct = 100;
  bool m_offline_in_force = false;
  bool m_offline_ok = true;
  std::uint64_t m_offline_violations = 0;
  double m_utilisation_pct = 100;
  double m_fairness = 1;
  double m_energy_fairness = 1;
  double m_max_reversals_per_min = 0;
};

}  // namespace amprig
