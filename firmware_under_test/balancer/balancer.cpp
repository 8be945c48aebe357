#include "balancer/balancer.h"

namespace amprig::fw::balancer {
namespace {

// Currents are compared with this slack so that water-filling round-off never flips a decision.
constexpr double kEpsA = 1e-9;

enum class CapKind : std::uint8_t { fuse, online, offline, peak };

Reason limit_reason(CapKind kind) {
  switch (kind) {
    case CapKind::fuse:
      return Reason::limited_by_fuse;
    case CapKind::online:
      return Reason::limited_by_online_cap;
    case CapKind::offline:
      return Reason::limited_by_offline_cap;
    case CapKind::peak:
      return Reason::limited_by_peak;
  }
  return Reason::limited_by_online_cap;
}

double min2(double a, double b) { return a < b ? a : b; }
double max2(double a, double b) { return a > b ? a : b; }

// Rounded down to a whole number of setpoint steps, but never below the minimum: a share of at
// least the minimum stays at least the minimum. No <cmath>: the core avoids the maths library.
double on_step(const Settings& s, double current_a) {
  const double steps = current_a / s.setpoint_step_a + 1e-9;  // 10.6 / 0.1 must stay 106
  const auto whole = static_cast<long long>(steps);
  return max2(static_cast<double>(whole) * s.setpoint_step_a, s.min_current_per_charger_a);
}

// How many of a charger's used lanes land on each grid phase (normally 0 or 1).
struct Lanes {
  std::uint8_t count[kPhases] = {0, 0, 0};
};

std::uint8_t grid_phase(const Settings& s, const ChargerInput& c, std::size_t lane) {
  return static_cast<std::uint8_t>(s.phase_order[c.rotation[lane] % kPhases] % kPhases);
}

Lanes car_lanes(const Settings& s, const ChargerInput& c) {
  Lanes lanes;
  const std::size_t used =
      c.car_phases >= kPhases ? kPhases : (c.car_phases == 0 ? 1 : c.car_phases);
  for (std::size_t k = 0; k < used; ++k) ++lanes.count[grid_phase(s, c, k)];
  return lanes;
}

struct Fill {
  double alloc_a[kMaxChargers]{};
  Reason reason[kMaxChargers]{};
};

// Progressive filling: every member rises at the same rate; a member stops when it reaches its
// car's maximum or when a phase it draws on is full. Each round stops at least one member.
void water_fill(const Inputs& in, std::size_t n, const bool member[], const Lanes lanes[],
                const double available_a[], const CapKind kinds[], Fill& out) {
  bool rising[kMaxChargers]{};
  double rem_a[kPhases] = {available_a[0], available_a[1], available_a[2]};
  std::size_t rising_count = 0;
  for (std::size_t i = 0; i < n; ++i) {
    out.alloc_a[i] = 0.0;
    rising[i] = member[i];
    if (member[i]) ++rising_count;
  }
  for (std::size_t round = 0; rising_count > 0 && round <= n + kPhases; ++round) {
    double weight[kPhases] = {0, 0, 0};
    double step_a = 1e300;
    for (std::size_t i = 0; i < n; ++i) {
      if (!rising[i]) continue;
      step_a = min2(step_a, in.chargers[i].car_max_current_a - out.alloc_a[i]);
      for (std::size_t p = 0; p < kPhases; ++p) weight[p] += lanes[i].count[p];
    }
    for (std::size_t p = 0; p < kPhases; ++p) {
      if (weight[p] > 0) step_a = min2(step_a, rem_a[p] / weight[p]);
    }
    step_a = max2(step_a, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      if (!rising[i]) continue;
      out.alloc_a[i] += step_a;
    }
    for (std::size_t p = 0; p < kPhases; ++p) rem_a[p] = max2(rem_a[p] - step_a * weight[p], 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      if (!rising[i]) continue;
      if (out.alloc_a[i] >= in.chargers[i].car_max_current_a - kEpsA) {
        rising[i] = false;
        out.reason[i] = Reason::car_max;
      } else {
        for (std::size_t p = 0; p < kPhases; ++p) {
          if (lanes[i].count[p] > 0 && rem_a[p] <= kEpsA) {
            rising[i] = false;
            out.reason[i] = limit_reason(kinds[p]);
            break;
          }
        }
      }
      if (!rising[i]) --rising_count;
    }
  }
}

}  // namespace

const char* to_string(Reason reason) {
  const auto index = static_cast<std::size_t>(reason);
  if (index < kReasonCount && kReasonInfo[index].reason == reason) return kReasonInfo[index].name;
  return "unknown";
}

const char* check_settings(const Settings& s) {
  bool seen[kPhases] = {false, false, false};
  for (std::size_t k = 0; k < kPhases; ++k) {
    if (s.phase_order[k] >= kPhases || seen[s.phase_order[k]]) return "phase_order";
    seen[s.phase_order[k]] = true;
  }
  if (!(s.max_current_per_phase_online_a >= 0)) return "max_current_per_phase_online_a";
  if (!(s.max_current_per_phase_offline_a >= 0)) return "max_current_per_phase_offline_a";
  if (!(s.min_current_per_charger_a > 0)) return "min_current_per_charger_a";
  if (!(s.supply_max_current_a > 0)) return "supply_max_current_a";
  if (s.peak_adjustment_enabled && !(s.initial_peak_limit_w > 0)) return "initial_peak_limit_w";
  if (!(s.nominal_phase_voltage_v > 0)) return "nominal_phase_voltage_v";
  if (!(s.measurement_timeout_s > 0)) return "measurement_timeout_s";
  if (!(s.ramp_up_a_per_s > 0)) return "ramp_up_a_per_s";
  if (!(s.min_pause_s >= 0)) return "min_pause_s";
  if (!(s.hysteresis_a >= 0)) return "hysteresis_a";
  if (!(s.rotation_period_s > 0)) return "rotation_period_s";
  if (!(s.setpoint_step_a > 0)) return "setpoint_step_a";
  return nullptr;
}

Decision Balancer::step(const Inputs& in, double now_s) {
  const Settings& s = m_settings;
  const std::size_t n = in.charger_count <= kMaxChargers ? in.charger_count : kMaxChargers;
  const double dt_s = m_has_stepped ? max2(now_s - m_last_step_s, 0.0) : 0.0;

  Decision out;
  out.charger_count = n;
  out.device_online =
      in.measurement.present && now_s - in.measurement.timestamp_s <= s.measurement_timeout_s;

  Lanes lanes[kMaxChargers];
  double reserved_a[kPhases] = {0, 0, 0};
  double own_a[kPhases] = {0, 0, 0};
  for (std::size_t i = 0; i < n; ++i) {
    const ChargerInput& c = in.chargers[i];
    lanes[i] = car_lanes(s, c);
    if (!c.linked) {
      // Without a link it keeps its last setpoint until its own timeout, then falls back to its
      // offline limit on its offline phase; assume it draws all of what it may, as capacity no
      // one else may take.
      // Until its timeout it goes on drawing at least the lesser of what it last reported and
      // its held setpoint: that much of a measurement taken before then is surely its own.
      const double age_s = in.measurement.present ? now_s - in.measurement.timestamp_s : 0.0;
      if (c.link_lost_for_s - age_s < c.link_timeout_s) {
        for (std::size_t k = 0; k < kPhases; ++k) {
          own_a[grid_phase(s, c, k)] += min2(m_last_drawn_a[i][k], m_held_a[i]);
        }
      }
      if (c.link_lost_for_s < c.link_timeout_s) {
        for (std::size_t p = 0; p < kPhases; ++p) reserved_a[p] += lanes[i].count[p] * m_held_a[i];
      } else {
        reserved_a[c.offline_grid_phase % kPhases] += c.offline_current_a;
      }
      continue;
    }
    for (std::size_t k = 0; k < kPhases; ++k) {
      own_a[grid_phase(s, c, k)] += c.drawn_current_a[k];
      m_last_drawn_a[i][k] = c.drawn_current_a[k];
    }
  }

  CapKind kinds[kPhases];
  for (std::size_t p = 0; p < kPhases; ++p) {
    double cap_a = s.max_current_per_phase_offline_a;
    kinds[p] = CapKind::offline;
    if (out.device_online) {
      // The measured current is signed like the active power (+ import, - export), so the other
      // loads may be negative: generation (solar) exporting more than the house draws. That is
      // not noise to clamp away. The fuse carries the net current, so export it sees is current
      // the chargers may add without overloading it: supply max - other rises above supply max.
      // The online cap still bounds the group, and when the export goes (a cloud) the other
      // loads rise and the setpoints are cut in the same step. The same sign also turns an
      // overestimate of the chargers' own draw into apparent export; the online cap bounds that.
      // An unlinked charger reports nothing: whatever it draws now stays in the other loads and
      // its reservation comes off the capacity on top (until its timeout, less what it surely
      // draws: see above). That counts its offline current twice once it draws all of it, but
      // never lets a still-unused part (a car ramping up to it) pass for room under the fuse.
      double other_a = in.measurement.current_a[p];
      if (s.chargers_included_in_measurements) other_a -= own_a[p];
      cap_a = s.max_current_per_phase_online_a;
      kinds[p] = CapKind::online;
      const double fuse_a = s.supply_max_current_a - other_a;
      if (fuse_a < cap_a) {
        cap_a = fuse_a;
        kinds[p] = CapKind::fuse;
      }
      if (s.peak_adjustment_enabled) {
        const double peak_a =
            s.initial_peak_limit_w / (kPhases * s.nominal_phase_voltage_v) - other_a;
        if (peak_a < cap_a) {
          cap_a = peak_a;
          kinds[p] = CapKind::peak;
        }
      }
    }
    out.available_a[p] = max2(cap_a - reserved_a[p], 0.0);
  }

  bool rotation_step = false;
  if (m_contended && now_s - m_contention_since_s >= s.rotation_period_s) {
    m_rotation_offset += m_last_paused_count;
    m_contention_since_s = now_s;
    rotation_step = true;
  }

  // Priority among the chargers that want current: input order, rotated by the offset, so that
  // under contention the paused ones take turns. rank 0 is served first.
  std::size_t rank[kMaxChargers]{};
  std::size_t candidate_count = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (in.chargers[i].linked && in.chargers[i].wants_charge) ++candidate_count;
  }
  bool member[kMaxChargers]{};
  bool blocked[kMaxChargers]{};
  bool removed[kMaxChargers]{};
  for (std::size_t i = 0, pos = 0; i < n; ++i) {
    const ChargerInput& c = in.chargers[i];
    if (!c.linked || !c.wants_charge) continue;
    rank[i] = (pos + m_rotation_offset) % candidate_count;
    ++pos;
    const bool paused_recently =
        m_setpoint_a[i] <= 0.0 && m_ever_paused[i] && now_s - m_paused_since_s[i] < s.min_pause_s;
    if (paused_recently) {
      blocked[i] = true;
    } else if (c.car_max_current_a < s.min_current_per_charger_a - kEpsA) {
      removed[i] = true;
    } else {
      member[i] = true;
    }
  }

  // Pause the lowest-priority charger that falls short of its threshold, and share again, until
  // every remaining one gets at least its threshold. A restart needs the hysteresis on top of
  // the minimum, except at a rotation step, where one car's start is paid for by another's pause.
  Fill fill;
  for (std::size_t round = 0; round <= n; ++round) {
    water_fill(in, n, member, lanes, out.available_a, kinds, fill);
    std::size_t worst = kMaxChargers;
    for (std::size_t i = 0; i < n; ++i) {
      if (!member[i]) continue;
      const bool running = m_setpoint_a[i] > 0.0;
      const double threshold_a =
          s.min_current_per_charger_a + ((running || rotation_step) ? 0.0 : s.hysteresis_a);
      if (fill.alloc_a[i] < threshold_a - kEpsA && (worst == kMaxChargers || rank[i] > rank[worst]))
        worst = i;
    }
    if (worst == kMaxChargers) break;
    member[worst] = false;
    removed[worst] = true;
  }

  std::size_t paused_count = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const ChargerInput& c = in.chargers[i];
    ChargerDecision& d = out.chargers[i];
    const double last_a = m_setpoint_a[i];
    if (!c.linked) {
      d = {0.0, Reason::offline_reserved};
      m_setpoint_a[i] = 0.0;
      m_ever_paused[i] = false;
      m_rotated_out[i] = false;
      continue;
    }
    if (member[i]) {
      const double target_a = fill.alloc_a[i];
      d.reason = fill.reason[i];
      const double step_target_a = on_step(s, target_a);
      if (last_a <= 0.0) {
        d.setpoint_a = s.min_current_per_charger_a;  // a start goes straight to the minimum
      } else {
        d.setpoint_a = on_step(s, min2(target_a, last_a + s.ramp_up_a_per_s * dt_s));
      }
      if (d.setpoint_a < step_target_a - kEpsA) d.reason = Reason::ramping_up;
      m_rotated_out[i] = false;
    } else {
      d.setpoint_a = 0.0;
      if (blocked[i]) {
        d.reason = Reason::paused_min_pause;
        ++paused_count;
      } else if (removed[i]) {
        if (rotation_step && last_a > 0.0) m_rotated_out[i] = true;
        d.reason = m_rotated_out[i] ? Reason::paused_rotation : Reason::paused_below_minimum;
        ++paused_count;
      } else {
        d.reason = Reason::idle;
        m_rotated_out[i] = false;
      }
      if (last_a > 0.0) {
        m_ever_paused[i] = true;
        m_paused_since_s[i] = now_s;
      }
    }
    m_setpoint_a[i] = d.setpoint_a;
    m_held_a[i] = d.setpoint_a;
  }
  for (std::size_t p = 0; p < kPhases; ++p) {
    double used_a = 0.0;
    for (std::size_t i = 0; i < n; ++i) used_a += lanes[i].count[p] * out.chargers[i].setpoint_a;
    out.headroom_a[p] = out.available_a[p] - used_a;
  }
  for (std::size_t i = n; i < kMaxChargers; ++i) {
    m_setpoint_a[i] = 0.0;
    m_held_a[i] = 0.0;
    for (double& a : m_last_drawn_a[i]) a = 0.0;
  }

  if (paused_count > 0 && !m_contended) {
    m_contended = true;
    m_contention_since_s = now_s;
  } else if (paused_count == 0) {
    m_contended = false;
  }
  m_last_paused_count = paused_count;
  m_has_stepped = true;
  m_last_step_s = now_s;
  return out;
}

}  // namespace amprig::fw::balancer
