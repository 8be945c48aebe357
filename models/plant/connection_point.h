#pragma once
// The building's connection point: the mains voltages and the sum of every
// current source's current, per phase; the place where the CTs are clamped and
// where the rig's ground truth (plant.*) is defined.
//
// Neutral loss (TN): with the building's neutral cut upstream, nothing holds the
// star point of the loads between the phases and the neutral at the supply's. It
// settles where the currents into it sum to zero (Millman). Each such load is the
// impedance that draws its set current from its phase's supply voltage
// (current_source_if::neutral_load_a), the voltage terminal's dividers are
// resistors from their phases to the same neutral, and other sources (inverters,
// chargers: current sources) keep their currents:
//   V_N = (sum_p Y_p V_p + sum_p J_p) / sum_p Y_p
// with V_p the phases' supply phasors, Y_p the admittance from phase p to the
// neutral (loads and the wired dividers) and J_p the current sources' currents
// on phase p (fundamental phasors). The voltage across a load, and what the voltage
// terminal measures, is then V_p - V_N: the block's v, and its load_ratio
// (V_p - V_N) / V_p by which each load's current scales and turns. The
// fundamental alone moves the star point; harmonics pass as they are.
#include <array>
#include <complex>
#include <systemc>
#include <vector>

#include "common/interfaces.h"
#include "fuse/main_fuse.h"

namespace amprig::models {

class ConnectionPoint : public sc_core::sc_module, public plant_if {
 public:
  sc_core::sc_port<mains_if> mains;
  sc_core::sc_port<current_source_if, 0, sc_core::SC_ZERO_OR_MORE_BOUND> sources;
  // Sources behind the main fuse but outside the CTs (chargers not included in the
  // measurements): the fuse carries them, the CTs and the ground truth here do not.
  sc_core::sc_port<current_source_if, 0, sc_core::SC_ZERO_OR_MORE_BOUND> unmetered;
  sc_core::sc_export<plant_if> out;

  explicit ConnectionPoint(const sc_core::sc_module_name& name);

  // The phase voltages against the building's neutral: the mains' own block, or,
  // with the neutral lost, a copy with the star point's voltage taken off.
  const MainsBlock& voltages(const BlockTime& time) override;
  const CurrentBlock& currents(const BlockTime& time) override;
  // TN: everything against the phase's voltage to neutral. IT: voltage_v is
  // the line-to-line RMS to the next phase (L1: U12, L2: U23, L3: U31), as the
  // meter reports it; power, reactive power, apparent power and power factor
  // are against the phase's star voltage, so the phases sum to the total.
  PhaseTruth truth(Phase phase) const override;
  // truth()'s current_a and power_w alone, bit for bit, without the sums the rest needs (the
  // balancing's checks ask for no more, every cycle, while the plant keeps changing).
  struct CurrentTruth {
    double current_a = 0;
    double power_w = 0;
  };
  CurrentTruth truth_current(Phase phase) const;
  double frequency_hz() const override;
  // Energy through the connection point since t = 0, from the sampled (star,
  // on IT) voltages and currents of every block (each block's net energy counts as import or
  // export): the ground truth for the meter's registers over long runs.
  double energy_import_wh(Phase phase) const { return m_import_j[phase] / 3600; }
  double energy_export_wh(Phase phase) const { return m_export_j[phase] / 3600; }
  // The main fuse carries every block's currents once they are summed.
  void attach_fuse(MainFuse& fuse) { m_fuse = &fuse; }

  // The building's neutral is cut upstream (TN only: an IT network has none).
  // Takes effect at the next block.
  void set_neutral_lost(bool lost) { m_neutral_lost = lost; }
  bool neutral_lost() const { return m_neutral_lost; }
  // The admittance of the voltage terminal from `phase` to the neutral (its divider,
  // 0 when not wired), part of the star point when the neutral is lost.
  void set_terminal_admittance(Phase phase, double siemens) { m_terminal_s[phase] = siemens; }
  // The building neutral's voltage against the supply's, as an RMS phasor relative
  // to L1's supply fundamental, from the present state of the loads: 0 unless the
  // neutral is lost.
  std::complex<double> neutral_voltage_v() const { return neutral_state().voltage_v; }

 private:
  struct NeutralState {
    std::complex<double> voltage_v = 0.0;  // V_N
    std::array<std::complex<double>, kPhases> load_ratio{1.0, 1.0, 1.0};
  };
  NeutralState neutral_state() const;
  bool neutral_floats() const;
  // truth(), or with `full` false only its current_a and power_w; memoised per phase.
  const PhaseTruth& compute_truth(Phase phase, bool full) const;

  MainsBlock m_building;  // voltages() with the neutral lost
  bool m_have_building = false;
  bool m_neutral_lost = false;
  std::array<double, kPhases> m_terminal_s{};
  CurrentBlock m_currents;
  CurrentBlock m_supply;  // m_currents plus the unmetered sources: what the fuse carries
  bool m_have_currents = false;
  MainFuse* m_fuse = nullptr;
  double m_import_j[kPhases]{};
  double m_export_j[kPhases]{};
  // truth()'s waveforms over the truth grid: voltage, current, the next phase's voltage (IT).
  mutable std::vector<double> m_truth_v;
  mutable std::vector<double> m_truth_i;
  mutable std::vector<double> m_truth_next_v;
  // The last truth per phase and the key of its inputs (compute_truth()).
  struct TruthMemo {
    bool keyed = false;  // `key` describes `truth`'s inputs
    bool full = false;   // every field of `truth` is set, not only current_a and power_w
    std::vector<double> key;
    PhaseTruth truth;
  };
  mutable std::array<TruthMemo, kPhases> m_truth_memo;
  mutable std::vector<double> m_truth_key;  // scratch, kept for its capacity
};

}  // namespace amprig::models
