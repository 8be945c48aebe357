// How the device judges its own wiring. Written for TN; IT (DiagnosticsConfig::network) at the
// end.
//
// Inputs per measurement window: RMS voltage and current per phase, the angles of each phase's
// voltage and current fundamental relative to V1, and the cartridge's presence contact. Currents
// are per phase of the metering output, i.e. after the current scheme.
//
// Voltage (LED: green ok, red wrong_sequence, off not_connected)
// - A phase is present at voltage_present_v (50 V) RMS or more; once present it stays present
//   until it drops below voltage_present_v * (1 - hysteresis) (45 V).
// - not_connected: no phase present.
// - wrong_sequence: V1 and at least one other phase present, and V2 is not within 60 degrees of
//   -120 degrees or V3 not within 60 degrees of +120 degrees. This catches a negative sequence
//   (L1-L3-L2) and one phase wired to two terminals alike.
// - ok otherwise. Angles are measured against V1, so without V1 the sequence cannot be judged and
//   is taken as right; with V1 alone (single-phase, or L1 only wired on TN without generation, as
//   the manual allows) there is nothing to judge.
//
// Current (LED: green ok, red wrong_sequence, red low_current, off not_connected)
// - not_connected: the cartridge's presence contact is open. Every CT finding is unknown.
// - A CT's angle is trusted at angle_trust_current_a (2 A) RMS or more, and stays trusted until
//   its current drops below angle_trust_current_a * (1 - hysteresis) (1.8 A). Below that the CT
//   is reported low_current and takes no part in the judgement (the device spec's quirk).
// - low_current: no CT is trusted. The LED shows red, as the product does; the reason tells a
//   test (and an installer) that this is no wiring fault. When some CTs are trusted and right and
//   the others are low, the verdict is ok: the trusted ones vouch for the wiring.
// - Without V1 there is no angle reference (the metering reports every angle as 0): the CT
//   placement cannot be judged, trusted CTs are reported with phase -1 and the verdict is ok.
// - Otherwise each trusted CT is matched against the voltage inputs as measured; an absent L2 or
//   L3 is assumed at its nominal place (-120 / +120 degrees, mirrored when the present phases
//   show a negative sequence), as the device spec allows. A voltage-sequence fault therefore
//   usually lights both LEDs red: the currents no longer pair with their voltages.
// - Angle alone is ambiguous: the six candidates (three phases, two directions) are 60 degrees
//   apart, while a load's current lies anywhere within 60 degrees of its voltage (PF >= 0.5):
//   a PF 0.5 lagging load on L1 looks exactly like a resistive load on L3 seen through a reversed
//   CT. So the firmware judges the three CTs together, as a wiring hypothesis: which phase each
//   trusted CT measures (each a different phase) and in which direction, 48 in all. Under a
//   hypothesis each CT's load angle is its current's angle from the voltage (or, reversed, the
//   opposite of the voltage) of the phase it is said to measure. The hypothesis chosen is, in
//   this order of preference:
//   1. plausible: every load angle is one a load can have: from 63 degrees lagging to 40 degrees
//      leading (PF 0.45 lagging to 0.77 leading) on import; within 30 degrees either way on
//      export (inverters run at PF 0.9 or better);
//   2. the fewest faults: CTs off their own phase, plus reversed CTs;
//   3. the most ordinary loads: the least sum of load-angle distances from 15 degrees lagging
//      on import and from 0 on export;
//   4. on a tie, the right wiring.
//   Right wiring is thus recognised for any load from PF 0.5 lagging to 0.8 leading on each
//   phase independently, and every swap or rotation of CTs, and every set of reversed CTs, is
//   found exactly for loads from PF 0.8 lagging to 1 on each phase (the tests sweep both).
//   Mixtures (CTs swapped and reversed) are mostly found too, but may be reported as another
//   mixture; a few are indistinguishable from right wiring with unusual loads (all three CTs
//   rotated and reversed shifts every current by 60 degrees, like a leading load).
// - Export: the installation settings do not say whether generation is installed, so
//   DiagnosticsConfig::generation carries it. Without generation a building cannot export: a
//   current opposite to its phase's voltage is a reversed CT. With generation it may be export,
//   which the device cannot tell from a reversed CT by angle (the product's known limit): a
//   reversal is not a fault and reversed is never reported, so a reversed CT on its own phase
//   passes for export and stays ok. Swapped or rotated CTs are still found while every phase
//   imports a load from PF 0.9 lagging to 1 (the tests sweep it); with export on some phases,
//   or more lagging loads, the ambiguity grows and some wrong placements pass as export.
// - wrong_sequence: some trusted CT is judged off its own phase, or reversed. Its finding names
//   the phase it really measures, so the matching current scheme can be applied.
// - ok otherwise.
//
// IT networks (no neutral). The metering then reports per phase p the line-to-line voltage
// U12, U23, U31 (0 when the pair is not measured) and every angle relative to U12; the currents
// are still per line.
// - Presence is per line pair: U_p,p+1 at voltage_present_v or more, with the same hysteresis.
//   L1 and L2 only (the standard IT installation without generation) is U12 present, U23 and U31
//   absent: voltage ok, as V1 alone is on TN.
// - Sequence: the TN rule on the line-to-line angles. With three lines wired U23 must be within
//   60 degrees of -120 and U31 of +120 relative to U12; with two, the sequence is taken as right.
// - CTs: a load's current follows its line's star-equivalent voltage, which is 30 degrees behind
//   the line-to-line voltage U_p,p+1 in the right sequence (ahead in the negative one). The
//   hypotheses are judged against those star angles, angle(U_p,p+1) -/+ 30 degrees, an absent
//   pair being assumed at its nominal place as on TN; so every TN rule above holds unchanged.
//   Without U12 there is no angle reference: trusted CTs are reported with phase -1, verdict ok.
//
// Settling: every field of the diagnosis (each reason, each phase's presence, each CT finding)
// changes only after its new value has held without a break for settle_us (1 s). A value that
// flips back sooner never shows. Together with the hysteresis this keeps an LED steady when a
// load cycles around a threshold: a fridge switching between 1.5 A and 3 A every 0.4 s leaves the
// last settled verdict in place. After reset() (power-on) the first verdict settles the same way;
// until then the diagnosis is not_connected and the LEDs stay dark.
#include "diagnostics/diagnostics.h"

#include <cmath>

namespace amprig::fw {
namespace {

constexpr float kSequenceToleranceDeg = 60.0f;
// Each phase's voltage relative to V1 in the right sequence (L1, L2, L3).
constexpr float kPlaceDeg[kPhases] = {0.0f, -120.0f, 120.0f};

// The load model that judges a wiring hypothesis (see the top of this file).
constexpr float kImportMinDeg = -63.0f;
constexpr float kImportMaxDeg = 40.0f;
constexpr float kExportMaxDeg = 30.0f;
constexpr float kTypicalImportDeg = -15.0f;
constexpr float kTypicalExportDeg = 0.0f;
// Every assignment of three CTs to three phases; the right wiring first, so that it wins ties.
constexpr int kPermutations = 6;
constexpr std::uint8_t kPermutation[kPermutations][kPhases] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                                               {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};

// Into [-180, 180).
float wrap_deg(float deg) { return deg - 360.0f * std::floor((deg + 180.0f) / 360.0f); }

// A threshold with hysteresis: once above, a value stays above until it drops below
// threshold * (1 - hysteresis). NaN is never above.
bool above(float value, float threshold, float hysteresis, bool was_above) {
  return value >= (was_above ? threshold * (1.0f - hysteresis) : threshold);
}

template <typename T>
bool same(T a, T b) {
  return a == b;
}
bool same(const CtFinding& a, const CtFinding& b) {
  return a.phase == b.phase && a.reversed == b.reversed && a.low_current == b.low_current;
}

}  // namespace

const char* to_string(VoltageReason reason) {
  switch (reason) {
    case VoltageReason::ok:
      return "ok";
    case VoltageReason::wrong_sequence:
      return "wrong_sequence";
    case VoltageReason::not_connected:
      return "not_connected";
  }
  return "unknown";
}

const char* to_string(CurrentReason reason) {
  switch (reason) {
    case CurrentReason::ok:
      return "ok";
    case CurrentReason::wrong_sequence:
      return "wrong_sequence";
    case CurrentReason::low_current:
      return "low_current";
    case CurrentReason::not_connected:
      return "not_connected";
  }
  return "unknown";
}

void Diagnostics::configure(const DiagnosticsConfig& config) { m_config = config; }

void Diagnostics::reset() {
  m_settled = Diagnosis{};
  m_candidate = Diagnosis{};
  m_voltage_pending = Pending{};
  m_current_pending = Pending{};
  for (int p = 0; p < kPhases; ++p) {
    m_present_pending[p] = Pending{};
    m_ct_pending[p] = Pending{};
    m_voltage_present[p] = false;
    m_current_trusted[p] = false;
  }
}

void Diagnostics::update(const Measurements& m, bool cartridge_present, std::uint64_t now_us) {
  settle(judge(m, cartridge_present), now_us);
}

Diagnosis Diagnostics::judge(const Measurements& m, bool cartridge_present) {
  Diagnosis d;
  bool any_present = false;
  for (int p = 0; p < kPhases; ++p) {
    m_voltage_present[p] = above(m.phase[p].voltage_v, m_config.voltage_present_v,
                                 m_config.hysteresis, m_voltage_present[p]);
    d.voltage_present[p] = m_voltage_present[p];
    any_present = any_present || m_voltage_present[p];
  }
  d.voltage = any_present ? VoltageReason::ok : VoltageReason::not_connected;
  if (d.voltage_present[0]) {
    for (int q = 1; q < kPhases; ++q) {
      if (d.voltage_present[q] && std::fabs(wrap_deg(m.phase[q].voltage_angle_deg - kPlaceDeg[q])) >
                                      kSequenceToleranceDeg) {
        d.voltage = VoltageReason::wrong_sequence;
      }
    }
  }

  if (!cartridge_present) {
    // Whatever the inputs pick up now says nothing about the CTs that come back.
    for (bool& trusted : m_current_trusted) trusted = false;
    d.current = CurrentReason::not_connected;
    return d;
  }
  bool any_trusted = false;
  for (int p = 0; p < kPhases; ++p) {
    m_current_trusted[p] = above(m.phase[p].current_a, m_config.angle_trust_current_a,
                                 m_config.hysteresis, m_current_trusted[p]);
    d.ct[p].low_current = !m_current_trusted[p];
    any_trusted = any_trusted || m_current_trusted[p];
  }
  if (!any_trusted) {
    d.current = CurrentReason::low_current;
  } else if (!d.voltage_present[0]) {
    d.current = CurrentReason::ok;  // no angle reference: placement cannot be judged
  } else {
    judge_cts(m, d.voltage_present, &d);
  }
  return d;
}

void Diagnostics::judge_cts(const Measurements& m, const bool present[kPhases],
                            Diagnosis* d) const {
  // Absent phases are assumed where the present ones put them.
  float sequence = 1.0f;
  for (int q = 1; q < kPhases; ++q) {
    const float angle_deg = m.phase[q].voltage_angle_deg;
    if (present[q] && std::fabs(wrap_deg(angle_deg + kPlaceDeg[q])) <
                          std::fabs(wrap_deg(angle_deg - kPlaceDeg[q]))) {
      sequence = -1.0f;
    }
  }
  // TN: each phase's voltage. IT: the star-equivalent voltage of line q, from the line-to-line
  // voltage U_q,q+1 (30 degrees behind it in the right sequence, ahead in the negative one).
  const float star_offset_deg = m_config.network == NetworkType::it ? -30.0f * sequence : 0.0f;
  float voltage_deg[kPhases];
  for (int q = 0; q < kPhases; ++q) {
    voltage_deg[q] =
        (present[q] ? m.phase[q].voltage_angle_deg : sequence * kPlaceDeg[q]) + star_offset_deg;
  }

  const bool export_allowed = m_config.generation;
  struct Score {
    bool implausible;
    int faults;
    float cost_deg;
    bool operator<(const Score& o) const {
      if (implausible != o.implausible) return o.implausible;
      if (faults != o.faults) return faults < o.faults;
      return cost_deg < o.cost_deg;
    }
  };
  Score best{true, 2 * kPhases + 1, INFINITY};
  int best_permutation = 0;
  unsigned best_reversed = 0;
  for (int h = 0; h < kPermutations; ++h) {
    for (unsigned reversed = 0; reversed < (1u << kPhases); ++reversed) {
      Score score{false, 0, 0.0f};
      for (int k = 0; k < kPhases; ++k) {
        if (d->ct[k].low_current) continue;
        const int phase = kPermutation[h][k];
        const bool flipped = (reversed >> k) & 1u;
        const float load_deg =
            wrap_deg(m.phase[k].current_angle_deg - voltage_deg[phase] - (flipped ? 180.0f : 0.0f));
        const bool exporting = flipped && export_allowed;
        const bool plausible = exporting ? std::fabs(load_deg) <= kExportMaxDeg
                                         : load_deg >= kImportMinDeg && load_deg <= kImportMaxDeg;
        score.implausible = score.implausible || !plausible;
        score.faults += (phase != k ? 1 : 0) + (flipped && !export_allowed ? 1 : 0);
        score.cost_deg += std::fabs(load_deg - (exporting ? kTypicalExportDeg : kTypicalImportDeg));
      }
      if (score < best) {
        best = score;
        best_permutation = h;
        best_reversed = reversed;
      }
    }
  }

  d->current = CurrentReason::ok;
  for (int k = 0; k < kPhases; ++k) {
    CtFinding& ct = d->ct[k];
    if (ct.low_current) continue;
    ct.phase = static_cast<std::int8_t>(kPermutation[best_permutation][k]);
    ct.reversed = !export_allowed && ((best_reversed >> k) & 1u);
    if (ct.phase != k || ct.reversed) d->current = CurrentReason::wrong_sequence;
  }
}

void Diagnostics::settle(const Diagnosis& raw, std::uint64_t now_us) {
  const std::uint64_t settle_us = m_config.settle_us;
  const auto field = [now_us, settle_us](const auto& value, auto* candidate, Pending* pending,
                                         auto* settled) {
    if (same(value, *settled)) {
      pending->active = false;
      return;
    }
    if (!pending->active || !same(value, *candidate)) {
      *candidate = value;
      *pending = Pending{true, now_us};
    }
    if (now_us - pending->since_us >= settle_us) {
      *settled = value;
      pending->active = false;
    }
  };
  field(raw.voltage, &m_candidate.voltage, &m_voltage_pending, &m_settled.voltage);
  field(raw.current, &m_candidate.current, &m_current_pending, &m_settled.current);
  for (int p = 0; p < kPhases; ++p) {
    field(raw.voltage_present[p], &m_candidate.voltage_present[p], &m_present_pending[p],
          &m_settled.voltage_present[p]);
    field(raw.ct[p], &m_candidate.ct[p], &m_ct_pending[p], &m_settled.ct[p]);
  }
}

}  // namespace amprig::fw
