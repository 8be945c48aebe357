#pragma once
// Every model instance the tests use. SystemC elaborates once per process, so
// all modules are built up front by the global fixture (test_main.cpp), which
// then runs sc_start(SC_ZERO_TIME) to complete port binding. Tests call the
// models' interface methods directly; the ADC and chain tests advance
// simulated time with further sc_start() calls and so never assume it is 0.
#include <cstdint>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "adc/behavioural_adc.h"
#include "charger/charger.h"
#include "ct/current_transformer.h"
#include "fakes.h"
#include "frontend/voltage_divider.h"
#include "fuse/main_fuse.h"
#include "loads/load.h"
#include "mains/mains.h"
#include "plant/connection_point.h"
#include "solar/pv_inverter.h"

namespace amprig::models::test {

// Hands out consecutive blocks of a fixed size and rate.
class BlockClock {
 public:
  BlockClock(double rate_hz, std::size_t n) : m_rate_hz(rate_hz), m_n(n) {}
  BlockTime next() {
    BlockTime t;
    t.index = m_next_index;
    t.t0_s = static_cast<double>(m_next_index) / m_rate_hz;
    t.dt_s = 1.0 / m_rate_hz;
    t.n = m_n;
    m_next_index += m_n;
    return t;
  }
  std::uint64_t next_index() const { return m_next_index; }
  double rate_hz() const { return m_rate_hz; }
  std::size_t n() const { return m_n; }

 private:
  double m_rate_hz;
  std::size_t m_n;
  std::uint64_t m_next_index = 0;
};

// A CT fed by a scripted primary.
struct CtBench {
  FakePlant plant;
  CurrentTransformer ct;
  CtBench(const char* name, const CtConfig& config) : ct(name, config) { ct.primary.bind(plant); }
};

struct DividerBench {
  FakePlant plant;
  VoltageDivider divider;
  DividerBench(const char* name, const DividerConfig& config) : divider(name, config) {
    divider.line.bind(plant);
  }
};

// A voltage terminal: three dividers on L1..L3, linked to each other.
struct TerminalBench {
  FakePlant plant;
  VoltageDivider v1, v2, v3;
  TerminalBench(const std::string& name, bool star_reference);
  VoltageDivider& divider(Phase p) { return p == L1 ? v1 : (p == L2 ? v2 : v3); }
};

// An ADC whose six inputs are scripted channels.
struct AdcBench {
  std::array<FakeChannel, fw::hal::kAdcChannels> channels;
  BehaviouralAdc adc;
  AdcBench(const char* name, const AdcModelConfig& config) : adc(name, config) {
    for (std::size_t c = 0; c < channels.size(); ++c) adc.in[c].bind(channels[c]);
  }
};

// The whole plant chain the rig builds: mains -> loads -> connection point ->
// CTs and dividers -> ADC.
struct Chain : sc_core::sc_module {
  Mains mains;
  Load single;  // L1 only
  Load three;   // balanced on L1..L3
  ConnectionPoint cp;
  CurrentTransformer ct1, ct2, ct3;
  VoltageDivider v1, v2, v3;
  BehaviouralAdc adc;

  Chain(const sc_core::sc_module_name& name, const MainsConfig& mains_config,
        const LoadConfig& single_config, const LoadConfig& three_config,
        const AdcModelConfig& adc_config);
};

// The benches of the fault-injection tests (faults_*_test.cpp).
struct FaultBenches {
  // Neutral loss on 230 V TN. Resistive loads of 6, 5 and 4 A on L1, L2, L3 through
  // cp_neutral_r; through cp_neutral_mix: 10 A at pf 0.8 lagging on L1, 3 A at pf 0.9
  // leading on L2, a balanced 4 A three-phase load, a one-phase car charging 10 A on L3
  // (a current source), and the voltage terminal's dividers.
  Mains mains_neutral_r, mains_neutral_mix;
  Load neutral_r1, neutral_r2, neutral_r3;
  Load neutral_lag, neutral_lead, neutral_three;
  Charger neutral_car;
  ConnectionPoint cp_neutral_r, cp_neutral_mix;
  // Frequency drift and its limit; a whole-supply interruption with a load on it.
  Mains mains_drift, mains_drift_limit, mains_interrupt;
  Load interrupted_load;
  ConnectionPoint cp_interrupt;
  // ADC faults: quiet 16-bit converters on scripted pins.
  AdcBench adc_stuck, adc_clip, adc_drop, adc_jitter, adc_jitter_twin, adc_jitter_off;
  // Faulty cars: one that ignores its limit, one that is slow to follow it.
  Charger ev_ignores, ev_slow;

  FaultBenches();
};

struct World {
  // Mains
  Mains mains_rms;
  Mains mains_seq123, mains_seq132, mains_seq231;
  Mains mains_lost;
  Mains mains_long;
  Mains mains_step;
  Mains mains_cache;
  Mains mains_closed_form;
  // Loads, all fed by mains_loads (or mains_loads_lost)
  Mains mains_loads, mains_loads_lost;
  Load load_lag, load_lead3, load_harm, load_half, load_half_lag, load_on_lost;
  // Connection points
  Mains mains_cp, mains_cp_harm;
  Load cp_a, cp_b, cp_c, cp_harm_load;
  ConnectionPoint cp, cp_empty, cp_harm;
  // CTs
  CtBench ct50, ct60, ct_ratio, ct_rev, ct_wrong, ct_open, ct_sat_lo, ct_sat_hi, ct_halfwave,
      ct_ideal;
  // Voltage terminal
  DividerBench divider, divider_open;
  // ADC
  AdcBench adc_quant, adc_noise, adc_seed_a, adc_seed_b, adc_seed_c, adc_ctl;
  // PV inverters: block-path tests on mains_solar (whole 50 Hz cycles), a lost
  // L2, a mains with harmonics and a sag, one whose phases are dropped at run
  // time, one whose blocks jump in time, and a distorted 60 Hz mains; truth
  // through cp_solar.
  Mains mains_solar, mains_solar_lost, mains_solar_harm, mains_solar_drop, mains_solar_time,
      mains_solar_60;
  PvInverter pv_three, pv_single, pv_reactive, pv_ramp, pv_sky, pv_clouds, pv_on_lost,
      pv_single_lost, pv_harm, pv_drop, pv_sense;
  Mains mains_solar_cp;
  PvInverter pv_cp;
  ConnectionPoint cp_solar;
  std::string pv_invalid_message;  // what the constructor threw for an invalid config
  // End to end
  Chain chain;
  // IT networks (400 V line-to-line). Mains alone; line-to-line loads fed by
  // mains_it_loads (positive sequence), mains_it_loads_132 and
  // mains_it_loads_lost (L2 lost); truth through cp_it_three (a balanced load),
  // cp_it_ll (one line-to-line load) and cp_it_sag (unequal levels, L1-L3-L2).
  Mains mains_it, mains_it_132, mains_it_closed_form;
  Mains mains_it_loads, mains_it_loads_132, mains_it_loads_lost;
  Load ll_lag, ll_harm, ll_half;
  Mains mains_it_cp_three, mains_it_cp_ll, mains_it_cp_sag;
  Load it_three, it_ll, it_three_sag;
  ConnectionPoint cp_it_three, cp_it_ll, cp_it_sag;
  TerminalBench terminal_it, terminal_tn;
  // A three-phase PV inverter on 400 V IT, through cp_it_pv.
  Mains mains_it_pv;
  PvInverter pv_it;
  ConnectionPoint cp_it_pv;
  // Main fuses, one per test (their thermal state persists): 25 A gG (1 h
  // conventional time) and 80 A (2 h).
  MainFuse fuse_hold, fuse_if, fuse_5in, fuse_10in, fuse_cool, fuse_80;
  // EV chargers. Time-only tests call update(); block tests draw on mains_ev;
  // truth through cp_ev (ev_cp: 1-phase car on grid L2).
  Charger ev_rot, ev_down, ev_up, ev_pause, ev_link, ev_plug, ev_full, ev_three, ev_track;
  Mains mains_ev, mains_ev_cp;
  Charger ev_cp;
  ConnectionPoint cp_ev;
  std::string charger_invalid_message;
  // The ground truth's fast path against its closed form (truth_test.cpp), on plants of their
  // own that those tests change: on 230 V TN with a 5th harmonic, a lagging load on L1, a
  // leading three-phase one with harmonics, a charging car and a PV inverter (cp_truth); on
  // 400 V IT, a line-to-line load (cp_truth_it).
  Mains mains_truth, mains_truth_it;
  Load truth_lag, truth_three, truth_ll;
  Charger truth_car;
  PvInverter truth_pv;
  ConnectionPoint cp_truth, cp_truth_it;
  FaultBenches faults;

  World();
};

// The instance built by the global fixture.
World& world();

}  // namespace amprig::models::test
