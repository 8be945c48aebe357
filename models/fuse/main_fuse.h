#pragma once
// The building's main fuse: one gG fuse-link (IEC 60269) per phase, all of the
// same rating. It is fed the connection point's current blocks and keeps, per
// phase, how much of the way to melting the element has come; a melted phase
// is cut, which the connection point or the mains may consult.
#include <algorithm>
#include <array>
#include <string>
#include <systemc>

#include "common/block.h"

namespace amprig::models {

struct MainFuseConfig {
  double rating_a = 25;  // In, per phase
  // Pre-arcing time at 5 * In: one point of the fitted time-current curve (see
  // main_fuse.cpp). 3 s lies inside the IEC 60269-2 gG gates for 16..63 A.
  double time_at_5in_s = 3;
  // Below the non-fusing current the element cools towards ambient with this
  // time constant (rig choice: minutes, the order of a fuse body's).
  double cooling_time_constant_s = 600;
};

class MainFuse : public sc_core::sc_module {
 public:
  // Throws std::invalid_argument when `config` is out of range.
  MainFuse(const sc_core::sc_module_name& name, const MainFuseConfig& config);
  static std::string check(const MainFuseConfig& config);  // empty when valid

  const MainFuseConfig& config() const { return m_config; }

  // IEC 60269-1 conventional currents and time for the rating.
  double non_fusing_current_a() const { return m_non_fusing_a; }
  double fusing_current_a() const { return m_fusing_a; }
  double conventional_time_s() const { return m_conventional_s; }
  // The fitted curve: t(I) = k / ((I / I_nf)^alpha - 1) for I > I_nf.
  double curve_k_s() const { return m_k_s; }
  double curve_alpha() const { return m_alpha; }
  // Pre-arcing time at a constant RMS current from cold; +inf at or below I_nf.
  double prearcing_time_s(double current_a) const;

  // Integrates each phase over the block from its RMS current.
  void update(const CurrentBlock& block);
  // Same, for callers that already have the RMS per phase over duration_s
  // from t0_s.
  void update_rms(const std::array<double, kPhases>& current_a, double t0_s, double duration_s);

  // The way to melting, 0 (cold) .. 100 (melted), per phase.
  double load_pct(Phase phase) const { return 100 * m_state[phase]; }
  // The most loaded phase's.
  double load_pct() const { return 100 * std::max({m_state[L1], m_state[L2], m_state[L3]}); }
  bool tripped(Phase phase) const { return m_tripped[phase]; }
  bool tripped() const { return m_tripped[L1] || m_tripped[L2] || m_tripped[L3]; }
  // True once the phase's fuse has melted: its conductor carries no current.
  bool cut(Phase phase) const { return m_tripped[phase]; }
  // Simulated time the phase melted (interpolated inside the block), or a
  // negative value while it has not.
  double trip_time_s(Phase phase) const { return m_trip_time_s[phase]; }
  // A new fuse-link in the phase: cold and closed.
  void replace(Phase phase);

 private:
  MainFuseConfig m_config;
  double m_non_fusing_a = 0;
  double m_fusing_a = 0;
  double m_conventional_s = 0;
  double m_k_s = 0;
  double m_alpha = 0;
  std::array<double, kPhases> m_state{};  // 0..1, 1 = melted
  std::array<bool, kPhases> m_tripped{};
  std::array<double, kPhases> m_trip_time_s{-1, -1, -1};
};

}  // namespace amprig::models
