#include "charger/charger.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace amprig::models {
namespace {

constexpr double kSqrt2 = 1.41421356237309504880;
constexpr double kJoulesPerWh = 3600;

bool finite(double x) { return std::isfinite(x); }

}  // namespace

// The car's current, piecewise in time. The car follows the command the
// charger offers (a new limit, a pause, a fallback, plug-in) response_delay_s
// after it was offered: it steps down to the target in effect at once if it is
// above it, or ramps up towards it at ramp_a_per_s. Commands offered in quick
// succession each take effect after their own delay, so a balancer raising the
// limit every second is followed with a lag, not held off. A change of the phases in use (offline fallback, link back)
// makes the car stop and restart on the new phases, from 0 A. Unplugging, or
// the battery being full, ends the current at once.

std::string to_string(ChargerState state) {
  switch (state) {
    case ChargerState::unplugged:
      return "unplugged";
    case ChargerState::plugged:
      return "plugged";
    case ChargerState::charging:
      return "charging";
    case ChargerState::paused:
      return "paused";
  }
  return "?";
}

Charger::Charger(const sc_core::sc_module_name& name, const ChargerConfig& config)
    : sc_core::sc_module(name), out("out"), m_config(config) {
  if (const std::string problem = check(m_config); !problem.empty()) {
    throw std::invalid_argument(std::string(this->name()) + ": " + problem);
  }
  m_setpoint_a = m_config.initial_setpoint_a;
  out.bind(*this);
  refresh(false);
}

std::string Charger::check(const ChargerConfig& config) {
  std::array<bool, kPhases> seen{};
  for (Phase p : config.rotation) {
    if (p < L1 || p > L3) return "rotation: phase out of range";
    if (seen[p]) return "rotation must name each grid phase once";
    seen[p] = true;
  }
  if (config.offline_phase < L1 || config.offline_phase > L3) return "offline_phase out of range";
  if (!(config.offline_current_a >= 0) || !finite(config.offline_current_a)) {
    return "offline_current_a must be >= 0";
  }
  if (!(config.link_timeout_s >= 0) || !finite(config.link_timeout_s)) {
    return "link_timeout_s must be >= 0";
  }
  if (!(config.initial_setpoint_a >= 0) || !finite(config.initial_setpoint_a)) {
    return "initial_setpoint_a must be >= 0";
  }
  const CarConfig& car = config.car;
  if (car.phases != 1 && car.phases != 3) return "car.phases must be 1 or 3";
  if (!(car.max_current_a > 0) || !finite(car.max_current_a))
    return "car.max_current_a must be > 0";
  if (!finite(car.plugged_at_s)) return "car.plugged_at_s must be finite";
  if (car.unplugged_at_s && !(*car.unplugged_at_s > car.plugged_at_s)) {
    return "car.unplugged_at_s must be after car.plugged_at_s";
  }
  if (car.energy_needed_wh && !(*car.energy_needed_wh > 0)) {
    return "car.energy_needed_wh must be > 0";
  }
  if (!(car.response_delay_s >= 0) || !finite(car.response_delay_s)) {
    return "car.response_delay_s must be >= 0";
  }
  if (!(car.ramp_a_per_s > 0)) return "car.ramp_a_per_s must be > 0";
  return {};
}

bool Charger::plugged_at(double t_s) const {
  const CarConfig& car = m_config.car;
  return t_s >= car.plugged_at_s && !(car.unplugged_at_s && t_s >= *car.unplugged_at_s);
}

bool Charger::full() const {
  const auto& needed_wh = m_config.car.energy_needed_wh;
  return needed_wh && m_energy_j >= *needed_wh * kJoulesPerWh;
}

double Charger::next_event_s() const {
  double next_s = std::numeric_limits<double>::infinity();
  const auto consider = [&](double t_s) {
    if (t_s > m_time_s) next_s = std::min(next_s, t_s);
  };
  consider(m_config.car.plugged_at_s);
  if (m_config.car.unplugged_at_s) consider(*m_config.car.unplugged_at_s);
  if (!m_link_up && !m_offline) consider(m_link_down_s + m_config.link_timeout_s);
  return next_s;
}

void Charger::evolve(double t_s) {
  const double delay_s = m_config.car.response_delay_s;
  double from_s = m_time_s;
  for (;;) {
    // The command in effect holds until the next one takes effect (at, not after, its time the
    // old one still holds).
    const double next_s = m_commands.size() > 1 ? m_commands[1].offered_s + delay_s
                                                : std::numeric_limits<double>::infinity();
    const double until_s = std::min(t_s, next_s);
    const double target_a = m_commands.front().target_a;
    if (m_current_a >= target_a) {
      m_current_a = target_a;
    } else if (until_s > from_s) {
      m_current_a = std::min(target_a, m_current_a + m_config.car.ramp_a_per_s * (until_s - from_s));
    }
    if (!(next_s < t_s)) return;
    // Not before from_s: a response delay shortened at run time can put a pending
    // limit's time in the past.
    from_s = std::max(from_s, next_s);
    m_commands.pop_front();
  }
}

void Charger::refresh(bool report) {
  if (!m_link_up && !m_offline && m_time_s >= m_link_down_s + m_config.link_timeout_s) {
    m_offline = true;
    if (report) log("no link to the balancer: offline current on the offline phase");
  }
  std::array<bool, kPhases> active{};
  if (m_offline) {
    active[m_config.offline_phase] = true;
  } else {
    for (int c = 0; c < m_config.car.phases; ++c) active[c] = true;
  }
  ChargerState state = ChargerState::charging;
  double target_a = 0;
  if (!plugged_at(m_time_s)) {
    state = ChargerState::unplugged;
  } else if (full()) {
    state = ChargerState::plugged;
  } else {
    const double limit_a = m_offline ? m_config.offline_current_a : m_setpoint_a;
    if (limit_a < kMinChargingCurrentA) {
      state = ChargerState::paused;
    } else {
      target_a = m_config.car.ignores_limit ? m_config.car.max_current_a
                                            : std::min(limit_a, m_config.car.max_current_a);
    }
  }
  const bool phases_changed = active != m_active;
  if (phases_changed || state == ChargerState::unplugged || state == ChargerState::plugged) {
    // Starting afresh: nothing drawn until the new command takes effect.
    m_current_a = 0;
    m_commands.assign(1, Command{-1e300, 0});
  }
  if (phases_changed || target_a != m_commands.back().target_a) {
    m_commands.push_back(Command{m_time_s, target_a});
  }
  if (report && state != m_state) log(to_string(m_state) + " -> " + to_string(state));
  m_active = active;
  m_target_a = target_a;
  m_state = state;
}

void Charger::log(const std::string& message) const {
  // Stamped with the charger's own time, which its callers pass in and which
  // may run ahead of SystemC's.
  SC_REPORT_INFO(name(), ("t = " + std::to_string(m_time_s) + " s: " + message).c_str());
}

void Charger::update(double now_s) {
  while (m_time_s < now_s) {
    const double next_s = std::min(now_s, next_event_s());
    evolve(next_s);
    m_time_s = next_s;
    refresh();
  }
}

void Charger::set_setpoint(double current_a, double now_s) {
  update(now_s);
  m_setpoint_a = current_a;
  refresh();
}

void Charger::set_link(bool up, double now_s) {
  update(now_s);
  if (up == m_link_up) return;
  m_link_up = up;
  if (up) {
    if (m_offline) log("link to the balancer back: following its setpoint");
    m_offline = false;
  } else {
    m_link_down_s = m_time_s;
  }
  refresh();
}

void Charger::set_car_ignores_limit(bool ignores, double now_s) {
  update(now_s);
  if (ignores == m_config.car.ignores_limit) return;
  m_config.car.ignores_limit = ignores;
  log(ignores ? "car ignores its limit" : "car follows its limit again");
  refresh();
}

void Charger::set_car_response_delay(double delay_s, double now_s) {
  update(now_s);
  if (!(delay_s >= 0) || !finite(delay_s)) return;
  m_config.car.response_delay_s = delay_s;
}

std::array<double, kPhases> Charger::current_a() const {
  std::array<double, kPhases> out{};
  for (int c = 0; c < kPhases; ++c) out[c] = m_active[c] ? m_current_a : 0;
  return out;
}

double Charger::grid_current_a(Phase grid_phase) const {
  double sum_a = 0;
  for (int c = 0; c < kPhases; ++c) {
    if (m_active[c] && m_config.rotation[c] == grid_phase) sum_a += m_current_a;
  }
  return sum_a;
}

void Charger::add_current(const MainsBlock& mains, CurrentBlock& out) {
  const std::size_t n = mains.time.n;
  if (n == 0) return;
  update(mains.time.t0_s);
  if (m_current_a == 0) return;
  double energy_j = 0;
  for (int c = 0; c < kPhases; ++c) {
    if (!m_active[c]) continue;
    const Phase p = m_config.rotation[c];
    if (mains.present[p] == 0) continue;
    // In phase with the voltage's fundamental: sqrt2 * I * sin(theta).
    const double peak_a = kSqrt2 * m_current_a;
    const double* s = mains.sin_theta[p].data();
    const double* v = mains.v[p].data();
    double* i = out.i[p].data();
    double vi = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const double i_a = peak_a * s[k];
      i[k] += i_a;
      vi += v[k] * i_a;
    }
    energy_j += vi * mains.time.dt_s;
  }
  m_energy_j += energy_j;
  if (full()) refresh();
}

double Charger::current_at(Phase phase, double theta_rad, const mains_if& mains) const {
  if (!mains.present(phase)) return 0;
  // Closed form with std::sin, independent of the block path's phasor arrays.
  return kSqrt2 * grid_current_a(phase) * std::sin(theta_rad);
}

void Charger::add_truth_currents(Phase phase, const mains_if& mains, double* out) const {
  // current_at's expression with the grid's sines.
  if (!mains.present(phase)) return;
  const double peak_a = kSqrt2 * grid_current_a(phase);
  const double* s = TruthGrid::get().sin();
  for (int k = 0; k < TruthGrid::kPoints; ++k) out[k] += peak_a * s[k];
}

bool Charger::truth_key(Phase phase, const mains_if& mains, std::vector<double>& key) const {
  key.insert(key.end(), {mains.present(phase) ? 1.0 : 0.0, grid_current_a(phase)});
  return true;
}

}  // namespace amprig::models
