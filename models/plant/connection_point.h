#pragma once
// The building's connection point: the mains voltages and the sum of every
// current source's current, per phase; the place where the CTs are clamped and
// where the rig's ground truth (plant.*) is defined.
#include <systemc>

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

  const MainsBlock& voltages(const BlockTime& time) override;
  const CurrentBlock& currents(const BlockTime& time) override;
  // TN: everything against the phase's voltage to neutral. IT: voltage_v is
  // the line-to-line RMS to the next phase (L1: U12, L2: U23, L3: U31), as the
  // meter reports it; power, reactive power, apparent power and power factor
  // are against the phase's star voltage, so the phases sum to the total.
  PhaseTruth truth(Phase phase) const override;
  double frequency_hz() const override;
  // Energy through the connection point since t = 0, from the sampled (star,
  // on IT) voltages and currents of every block (each block's net energy counts as import or
  // export): the ground truth for the meter's registers over long runs.
  double energy_import_wh(Phase phase) const { return m_import_j[phase] / 3600; }
  double energy_export_wh(Phase phase) const { return m_export_j[phase] / 3600; }
  // The main fuse carries every block's currents once they are summed.
  void attach_fuse(MainFuse& fuse) { m_fuse = &fuse; }

 private:
  CurrentBlock m_currents;
  CurrentBlock m_supply;  // m_currents plus the unmetered sources: what the fuse carries
  bool m_have_currents = false;
  MainFuse* m_fuse = nullptr;
  double m_import_j[kPhases]{};
  double m_export_j[kPhases]{};
};

}  // namespace amprig::models
