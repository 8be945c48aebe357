#pragma once
// The load balancer: shares a group's spare capacity among EV chargers. A cloud service in the
// product, a firmware-core library here: no clock, no I/O, no heap; time is passed in, so the
// same inputs at the same times give the same decisions.
#include <cstddef>
#include <cstdint>

namespace amprig::fw::balancer {

inline constexpr std::size_t kMaxChargers = 64;
inline constexpr std::size_t kPhases = 3;

// Settings of one load-balancer group. Each field is documented once, in kSettingInfo below
// (name, unit, default, meaning); the defaults here must match that table (checked by the tests).
struct Settings {
  std::uint8_t phase_order[kPhases] = {0, 1, 2};
  double max_current_per_phase_online_a = 16.0;
  double max_current_per_phase_offline_a = 10.0;
  double min_current_per_charger_a = 6.0;
  double supply_max_current_a = 25.0;
  bool chargers_included_in_measurements = true;
  bool peak_adjustment_enabled = false;
  double initial_peak_limit_w = 0.0;
  double nominal_phase_voltage_v = 230.0;
  double measurement_timeout_s = 30.0;
  double ramp_up_a_per_s = 1.0;
  double min_pause_s = 60.0;
  double hysteresis_a = 1.0;
  double rotation_period_s = 900.0;
  double setpoint_step_a = 0.1;
};

struct SettingInfo {
  const char* name;
  const char* unit;
  const char* default_value;
  const char* description;
};

// The one place the settings are documented; `amprig` help text prints this table.
inline constexpr SettingInfo kSettingInfo[] = {
    {"phase_order", "grid phase index (0 = L1)", "0,1,2",
     "grid phases the group's L1, L2, L3 land on, in that order (e.g. 2,1,0)"},
    {"max_current_per_phase_online_a", "A", "16",
     "cap on the group's total current per phase while fresh measurements arrive"},
    {"max_current_per_phase_offline_a", "A", "10",
     "cap on the group's total current per phase when measurements stop; must leave room for "
     "the loads the balancer can no longer see"},
    {"min_current_per_charger_a", "A", "6",
     "least current a charging charger is given; a charger that cannot get it is paused (0 A), "
     "never set between 0 and this"},
    {"supply_max_current_a", "A", "25",
     "main fuse at the point the device measures; the chargers may use it minus the other loads "
     "(more when generation exports), within the online cap"},
    {"chargers_included_in_measurements", "bool", "true",
     "the CTs see the chargers' own current, so it is subtracted to find the other loads"},
    {"peak_adjustment_enabled", "bool", "false",
     "cap imported power at initial_peak_limit_w (capacity tariffs)"},
    {"initial_peak_limit_w", "W", "0",
     "imported power limit over the three phases when peak adjustment is enabled; applied as "
     "limit / (3 * nominal_phase_voltage_v) per phase"},
    {"nominal_phase_voltage_v", "V", "230", "phase voltage used to turn the peak limit into amps"},
    {"measurement_timeout_s", "s", "30",
     "the device counts as offline when its latest measurement is older than this (or absent)"},
    {"ramp_up_a_per_s", "A/s", "1",
     "how fast a charger's setpoint may rise; decreases apply at once"},
    {"min_pause_s", "s", "60", "least time a paused charger stays paused before it restarts"},
    {"hysteresis_a", "A", "1",
     "a paused charger restarts only when it would get min_current_per_charger_a + this"},
    {"rotation_period_s", "s", "900",
     "with more cars than capacity, which ones are paused rotates this often"},
    {"setpoint_step_a", "A", "0.1",
     "setpoints are whole multiples of this, rounded down (never below the minimum), so that "
     "measurement noise does not move them"},
};

// nullptr when valid; otherwise a static string naming the offending field.
const char* check_settings(const Settings& settings);

// The device's latest measurement, per grid phase.
struct Measurement {
  bool present = false;
  double timestamp_s = 0.0;
  // RMS current per grid phase, signed like the active power: + import, - export. With solar or
  // other generation the net current can be negative; so can the other loads derived from it.
  double current_a[kPhases] = {0.0, 0.0, 0.0};
};

struct ChargerInput {
  bool linked = true;                          // the charger has its link to the balancer
  std::uint8_t rotation[kPhases] = {0, 1, 2};  // charger Lk lands on the group's phase rotation[k]
  std::uint8_t car_phases = 3;                 // 1: the car charges on the charger's L1 only
  double car_max_current_a = 32.0;
  bool wants_charge = false;                          // plugged in and not full
  double drawn_current_a[kPhases] = {0.0, 0.0, 0.0};  // as reported, on the charger's L1..L3
  double offline_current_a = 6.0;       // its own fallback limit when the link is lost
  std::uint8_t offline_grid_phase = 0;  // the grid phase it charges on without a link
  // A charger keeps its last setpoint for link_timeout_s after its link is lost, then falls back;
  // the balancer reserves whichever of the two it is drawing.
  double link_lost_for_s = 0.0;
  double link_timeout_s = 0.0;
};

struct Inputs {
  Measurement measurement{};
  std::size_t charger_count = 0;
  ChargerInput chargers[kMaxChargers]{};
};

// Why a charger got its setpoint. Each reason is documented once, in kReasonInfo below (name,
// meaning); to_string() and `amprig help balancer` draw from that table.
enum class Reason : std::uint8_t {
  idle,
  car_max,
  limited_by_fuse,
  limited_by_online_cap,
  limited_by_offline_cap,
  limited_by_peak,
  ramping_up,
  paused_below_minimum,
  paused_rotation,
  paused_min_pause,
  offline_reserved,
};

struct ReasonInfo {
  Reason reason;
  const char* name;
  const char* meaning;
};

// One entry per Reason, in enum order: to_string() indexes it by the enumerator's value. The
// order is checked here; that every enumerator has its entry, by the test balancer.reason_table.
inline constexpr ReasonInfo kReasonInfo[] = {
    {Reason::idle, "idle", "no car wants to charge (none plugged in, or its car is full); 0 A"},
    {Reason::car_max, "car_max",
     "charging at its car's maximum current; the phases it uses still have room"},
    {Reason::limited_by_fuse, "limited_by_fuse",
     "its share stopped where a grid phase it uses is full up to supply_max_current_a minus "
     "the other loads"},
    {Reason::limited_by_online_cap, "limited_by_online_cap",
     "its share stopped where a grid phase it uses is full up to "
     "max_current_per_phase_online_a"},
    {Reason::limited_by_offline_cap, "limited_by_offline_cap",
     "device offline (no measurement within measurement_timeout_s): its share stopped where a "
     "grid phase it uses is full up to max_current_per_phase_offline_a"},
    {Reason::limited_by_peak, "limited_by_peak",
     "its share stopped where a grid phase it uses is full up to the peak-power limit "
     "(initial_peak_limit_w / (3 * nominal_phase_voltage_v)) minus the other loads"},
    {Reason::ramping_up, "ramping_up",
     "below its share and rising by ramp_up_a_per_s; a start goes straight to "
     "min_current_per_charger_a"},
    {Reason::paused_below_minimum, "paused_below_minimum",
     "paused (0 A): its share is below min_current_per_charger_a (to restart, below that plus "
     "hysteresis_a), or its car's maximum is below the minimum"},
    {Reason::paused_rotation, "paused_rotation",
     "paused (0 A) at a rotation step to give a waiting car its turn; stays so until its own "
     "turn comes back"},
    {Reason::paused_min_pause, "paused_min_pause",
     "paused (0 A) less than min_pause_s ago, so it may not restart yet"},
    {Reason::offline_reserved, "offline_reserved",
     "link to the balancer lost: it keeps its last setpoint for its link_timeout_s, then charges "
     "on its own offline_current_a on its offline_grid_phase; whichever it draws is taken off the "
     "capacity for the others; reported as 0 A"},
};

inline constexpr std::size_t kReasonCount = sizeof(kReasonInfo) / sizeof(kReasonInfo[0]);

namespace detail {
constexpr bool reason_table_in_enum_order() {
  for (std::size_t i = 0; i < kReasonCount; ++i) {
    if (static_cast<std::size_t>(kReasonInfo[i].reason) != i) return false;
  }
  return true;
}
}  // namespace detail
static_assert(detail::reason_table_in_enum_order(),
              "kReasonInfo must list the reasons in enum order");

// The reason's name from kReasonInfo ("unknown" for a value that is not an enumerator).
const char* to_string(Reason reason);

struct ChargerDecision {
  double setpoint_a = 0.0;  // 0 = paused, else >= min_current_per_charger_a
  Reason reason = Reason::idle;
};

struct Decision {
  bool device_online = false;
  double available_a[kPhases] = {0.0, 0.0, 0.0};  // for the linked chargers, after reservations
  double headroom_a[kPhases] = {0.0, 0.0, 0.0};   // available minus the setpoints on the phase
  std::size_t charger_count = 0;
  ChargerDecision chargers[kMaxChargers]{};
};

// Chargers are identified by their index in Inputs::chargers; keep it stable between cycles.
class Balancer {
 public:
  explicit Balancer(const Settings& settings) : m_settings(settings) {}

  Decision step(const Inputs& inputs, double now_s);

  const Settings& settings() const { return m_settings; }

 private:
  Settings m_settings;
  bool m_has_stepped = false;
  double m_last_step_s = 0.0;
  double m_setpoint_a[kMaxChargers]{};
  double m_held_a[kMaxChargers]{};
  double m_last_drawn_a[kMaxChargers][kPhases]{};  // as last reported while linked  // the last setpoint given while linked: kept by a lost charger
  bool m_ever_paused[kMaxChargers]{};
  double m_paused_since_s[kMaxChargers]{};
  bool m_rotated_out[kMaxChargers]{};
  std::size_t m_rotation_offset = 0;
  bool m_contended = false;
  double m_contention_since_s = 0.0;
  std::size_t m_last_paused_count = 0;
};

}  // namespace amprig::fw::balancer
