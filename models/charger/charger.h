#pragma once
// An EV charger with a car plugged into it. The charger passes the balancer's
// setpoint to the car (IEC 61851 control pilot); the car follows it after a
// response delay, ramping up and stepping down. When the charger loses its
// link to the balancer for longer than its timeout it falls back to its own
// offline current on its offline phase. The car draws a sinusoid in phase with
// each grid phase's voltage (power factor 1).
#include <array>
#include <deque>
#include <optional>
#include <ostream>
#include <string>
#include <systemc>
#include <vector>

#include "common/interfaces.h"

namespace amprig::models {

// IEC 61851-1: the least current a pilot signal may offer; below it the car
// must not charge.
constexpr double kMinChargingCurrentA = 6;

struct CarConfig {
  int phases = 3;  // 1: on the charger's L1 only; 3: on L1..L3
  double max_current_a = 16;
  double plugged_at_s = 0;
  std::optional<double> unplugged_at_s;  // stays plugged when empty
  std::optional<double>
      energy_needed_wh;         // stops when this much is delivered; unlimited when empty
  double response_delay_s = 3;  // holds its current this long after a new limit
  double ramp_a_per_s = 2;      // then rises at this rate (decreases are steps)
  // A faulty car: it draws its maximum whatever limit the pilot signal offers, as
  // long as the charger lets it charge at all (a pause or the end opens the contactor).
  bool ignores_limit = false;
};

struct ChargerConfig {
  std::string id;
  // The grid phase each of the charger's L1, L2, L3 is wired to.
  std::array<Phase, kPhases> rotation{L1, L2, L3};
  // Fallback after link_timeout_s without a link to the balancer: this current
  // on the charger's offline_phase only (a charger phase, mapped by rotation),
  // whatever the car's phases.
  double offline_current_a = 10;
  Phase offline_phase = L1;
  double link_timeout_s = 60;
  // The limit before the balancer's first setpoint (0: paused until then).
  double initial_setpoint_a = 0;
  CarConfig car;
};

enum class ChargerState { unplugged, plugged, charging, paused };
std::string to_string(ChargerState state);
inline std::ostream& operator<<(std::ostream& os, ChargerState state) {
  return os << to_string(state);
}

class Charger : public sc_core::sc_module, public current_source_if {
 public:
  sc_core::sc_export<current_source_if> out;

  // Throws std::invalid_argument when `config` is out of range.
  Charger(const sc_core::sc_module_name& name, const ChargerConfig& config);
  static std::string check(const ChargerConfig& config);  // empty when valid

  const ChargerConfig& config() const { return m_config; }

  // Inputs, each at simulated time now_s. Times never go back: an earlier
  // now_s is taken as the latest time the charger has seen.
  void set_setpoint(double current_a, double now_s);  // from the balancer, via the network
  void set_link(bool up, double now_s);
  // Faults of the car, from now_s on. A new response delay applies to the limits
  // still pending too (their time to take effect is counted from when they were offered).
  void set_car_ignores_limit(bool ignores, double now_s);
  void set_car_response_delay(double delay_s, double now_s);
  // Advances the charger and car to now_s (add_current does it at each block's start).
  void update(double now_s);

  // The present RMS current per charger phase (L1..L3 of the charger).
  std::array<double, kPhases> current_a() const;
  // The present RMS current on a grid phase.
  double grid_current_a(Phase grid_phase) const;
  ChargerState state() const { return m_state; }
  bool charging() const { return m_state == ChargerState::charging; }
  // Following the balancer (link up, or down for no longer than the timeout).
  bool online() const { return !m_offline; }
  double setpoint_a() const { return m_setpoint_a; }
  double energy_wh() const { return m_energy_j / 3600; }
  double time_s() const { return m_time_s; }

  // Draws the present current on each of its grid phases for the whole block.
  void add_current(const MainsBlock& mains, CurrentBlock& out) override;
  double current_at(Phase phase, double theta_rad, const mains_if& mains) const override;
  void add_truth_currents(Phase phase, const mains_if& mains, double* out) const override;
  bool truth_key(Phase phase, const mains_if& mains, std::vector<double>& key) const override;

 private:
  bool plugged_at(double t_s) const;
  bool full() const;
  // The next internal event after m_time_s (plug-in, unplug, link timeout), or
  // +inf.
  double next_event_s() const;
  // Moves the car's current from m_time_s to t_s under the present command.
  void evolve(double t_s);
  // Recomputes the command the charger offers the car at m_time_s; a change
  // takes effect for the car after its response delay.
  void refresh(bool report = true);
  void log(const std::string& message) const;

  ChargerConfig m_config;
  double m_time_s = 0;
  double m_setpoint_a = 0;
  bool m_link_up = true;
  double m_link_down_s = 0;
  bool m_offline = false;
  double m_energy_j = 0;
  // The command: the car's target current on the active charger phases.
  ChargerState m_state = ChargerState::unplugged;
  double m_target_a = 0;
  std::array<bool, kPhases> m_active{};  // per charger phase: drawing current
  // The commands the car has been offered, oldest first: each takes effect for the car
  // response_delay_s after it was offered; the front one is in effect now.
  struct Command {
    double offered_s;
    double target_a;
  };
  std::deque<Command> m_commands{Command{-1e300, 0}};
  double m_current_a = 0;                // present RMS on each active phase
};

}  // namespace amprig::models
