#include "world.h"

#include <initializer_list>
#include <stdexcept>

namespace amprig::models::test {
namespace {

MainsConfig mains_config(double voltage_v = 230, double frequency_hz = 50) {
  MainsConfig c;
  c.voltage_v = voltage_v;
  c.frequency_hz = frequency_hz;
  return c;
}

LoadConfig load_config(std::string name, std::vector<Phase> phases, double current_a, double pf,
                       bool leading = false) {
  LoadConfig c;
  c.name = std::move(name);
  c.phases = std::move(phases);
  c.current_a = current_a;
  c.power_factor = pf;
  c.leading = leading;
  return c;
}

LoadConfig half_wave(LoadConfig c) {
  c.waveform = LoadWaveform::half_wave_rectified;
  return c;
}

LoadConfig with_harmonics(LoadConfig c, std::vector<Harmonic> h) {
  c.harmonics = std::move(h);
  return c;
}

MainsConfig with_sequence(MainsConfig c, std::array<Phase, kPhases> s) {
  c.sequence = s;
  return c;
}

MainsConfig rms_config() {
  MainsConfig c = mains_config();
  c.harmonics = {{3, 5, 30}, {5, 10, 0}, {7, 3, 90}};
  c.level = {1.0, 0.9, 1.1};
  return c;
}

MainsConfig lost_l2() {
  MainsConfig c = mains_config();
  c.lost = {false, true, false};
  return c;
}

MainsConfig sagged_l2() {
  MainsConfig c = mains_config();
  c.level = {1.0, 0.9, 1.0};
  return c;
}

MainsConfig harmonic_mains() {
  MainsConfig c = mains_config();
  c.harmonics = {{5, 10, 0}, {3, 4, 180}};
  return c;
}

CtConfig ct_config() { return CtConfig{}; }  // ag63 defaults: 2100:1, 27 ohm, 0.8 deg

CtConfig ct_with(void (*edit)(CtConfig&)) {
  CtConfig c;
  edit(c);
  return c;
}

AdcModelConfig quiet_adc() {
  AdcModelConfig c;
  c.noise_lsb_rms = 0;
  return c;
}

AdcModelConfig quant_adc() {
  AdcModelConfig c;
  c.resolution_bits = 12;
  c.reference_v = 3.3;
  c.bias_v = 1.6;
  c.noise_lsb_rms = 0;
  c.offset_lsb = 2.7;
  c.gain_error_pct = 1.5;
  return c;
}

AdcModelConfig noisy_adc(double noise_lsb, std::uint64_t seed) {
  AdcModelConfig c;
  c.noise_lsb_rms = noise_lsb;
  c.seed = seed;
  return c;
}

SolarConfig solar_config(std::vector<Phase> phases, double power_w, double reactive_var = 0) {
  SolarConfig c;
  c.phases = std::move(phases);
  c.power_w = power_w;
  c.reactive_var = reactive_var;
  return c;
}

SolarConfig solar_ramp() {
  SolarConfig c = solar_config({L1, L2, L3}, 4000);
  c.profile = SolarProfile::ramp;
  c.ramp_from_w = 500;
  c.ramp_start_s = 10;
  c.ramp_duration_s = 60;
  return c;
}

SolarConfig solar_sky() {
  SolarConfig c = solar_config({L1, L2, L3}, 5000);
  c.profile = SolarProfile::clear_sky;
  c.sunrise_h = 6;
  c.sunset_h = 20;
  c.start_time_of_day_h = 12;
  return c;
}

SolarConfig solar_clouds() {
  SolarConfig c = solar_config({L1}, 3000);
  c.clouds = {
      {10, 5, 0.7, 1},   // down to 30 % over 10..11 s, until 16 s, back at 17 s
      {30, 2, 1, 0},     // a step to nothing at 30 s, back at 32 s
      {50, 10, 0.5, 0},  // overlaps the next during 55..60 s
      {55, 10, 0.4, 0},
  };
  return c;
}

MainsConfig solar_distorted_60hz() {
  MainsConfig c = mains_config(230, 60);
  c.harmonics = {{5, 5, 0}, {3, 3, 90}, {2, 1, 30}};
  return c;
}

MainsConfig solar_harm_mains() {
  MainsConfig c = mains_config();
  c.harmonics = {{5, 10, 0}, {3, 4, 180}};
  c.level = {1.0, 0.9, 1.0};
  return c;
}

MainsConfig it_mains(std::array<Phase, kPhases> sequence = {L1, L2, L3}) {
  MainsConfig c = mains_config(400);
  c.network = Network::it;
  c.sequence = sequence;
  return c;
}

MainsConfig it_rms_config() {
  MainsConfig c = it_mains();
  c.harmonics = {{3, 5, 30}, {5, 10, 0}, {7, 3, 90}};
  c.level = {1.0, 0.9, 1.1};
  return c;
}

MainsConfig it_lost_l2() {
  MainsConfig c = it_mains();
  c.lost = {false, true, false};
  return c;
}

MainsConfig it_sagged() {
  MainsConfig c = it_mains({L1, L3, L2});
  c.level = {1.0, 0.9, 1.1};
  return c;
}

LoadConfig line_to_line(LoadConfig c) {
  c.line_to_line = true;
  return c;
}

MainFuseConfig fuse_config(double rating_a) {
  MainFuseConfig c;
  c.rating_a = rating_a;
  return c;
}

// A 3-phase car, plugged in from t = 0, allowed 16 A from the start.
ChargerConfig charger_config(std::string id, double setpoint_a = 16) {
  ChargerConfig c;
  c.id = std::move(id);
  c.initial_setpoint_a = setpoint_a;
  return c;
}

ChargerConfig single_phase_car(ChargerConfig c) {
  c.car.phases = 1;
  return c;
}

ChargerConfig rotated(ChargerConfig c, std::array<Phase, kPhases> rotation) {
  c.rotation = rotation;
  return c;
}

ChargerConfig link_charger() {
  // Charger L1, L2, L3 on grid L2, L3, L1; offline: 10 A on charger L2 = grid L3.
  ChargerConfig c = rotated(charger_config("link"), {L2, L3, L1});
  c.offline_current_a = 10;
  c.offline_phase = L2;
  c.link_timeout_s = 30;
  return c;
}

ChargerConfig plug_charger() {
  ChargerConfig c = charger_config("plug");
  c.car.plugged_at_s = 10;
  c.car.unplugged_at_s = 60;
  return c;
}

ChargerConfig full_charger() {
  // A car that responds at once and jumps to its limit: 3 x 16 A at 230 V is
  // 11.04 kW, so 10 Wh take about 3.3 s.
  ChargerConfig c = charger_config("full");
  c.car.response_delay_s = 0;
  c.car.ramp_a_per_s = 1000;
  c.car.energy_needed_wh = 10;
  return c;
}

World* g_world = nullptr;

}  // namespace

Chain::Chain(const sc_core::sc_module_name& name, const MainsConfig& mains_config,
             const LoadConfig& single_config, const LoadConfig& three_config,
             const AdcModelConfig& adc_config)
    : sc_core::sc_module(name),
      mains("mains", mains_config),
      single("single", single_config),
      three("three", three_config),
      cp("cp"),
      ct1("ct1", ct_with([](CtConfig& c) { c.phase = L1; })),
      ct2("ct2", ct_with([](CtConfig& c) { c.phase = L2; })),
      ct3("ct3", ct_with([](CtConfig& c) { c.phase = L3; })),
      v1("v1", DividerConfig{1.0e6, 2.4e3, L1, true}),
      v2("v2", DividerConfig{1.0e6, 2.4e3, L2, true}),
      v3("v3", DividerConfig{1.0e6, 2.4e3, L3, true}),
      adc("adc", adc_config) {
  cp.mains.bind(mains.out);
  cp.sources.bind(single.out);
  cp.sources.bind(three.out);
  for (VoltageDivider* v : {&v1, &v2, &v3}) v->line.bind(cp.out);
  for (CurrentTransformer* ct : {&ct1, &ct2, &ct3}) ct->primary.bind(cp.out);
  adc.in[fw::hal::kV1].bind(v1.out);
  adc.in[fw::hal::kV2].bind(v2.out);
  adc.in[fw::hal::kV3].bind(v3.out);
  adc.in[fw::hal::kI1].bind(ct1.out);
  adc.in[fw::hal::kI2].bind(ct2.out);
  adc.in[fw::hal::kI3].bind(ct3.out);
}

TerminalBench::TerminalBench(const std::string& name, bool star_reference)
    : v1((name + "_v1").c_str(), DividerConfig{1.0e6, 2.4e3, L1, true, star_reference}),
      v2((name + "_v2").c_str(), DividerConfig{1.0e6, 2.4e3, L2, true, star_reference}),
      v3((name + "_v3").c_str(), DividerConfig{1.0e6, 2.4e3, L3, true, star_reference}) {
  for (VoltageDivider* v : {&v1, &v2, &v3}) {
    v->line.bind(plant);
    v->link_terminal({&v1, &v2, &v3});
  }
}

FaultBenches::FaultBenches()
    : mains_neutral_r("mains_neutral_r", mains_config()),
      mains_neutral_mix("mains_neutral_mix", mains_config()),
      neutral_r1("neutral_r1", load_config("r1", {L1}, 6, 1.0)),
      neutral_r2("neutral_r2", load_config("r2", {L2}, 5, 1.0)),
      neutral_r3("neutral_r3", load_config("r3", {L3}, 4, 1.0)),
      neutral_lag("neutral_lag", load_config("lag", {L1}, 10, 0.8)),
      neutral_lead("neutral_lead", load_config("lead", {L2}, 3, 0.9, true)),
      neutral_three("neutral_three", load_config("three", {L1, L2, L3}, 4, 1.0)),
      neutral_car("neutral_car",
                  rotated(single_phase_car(charger_config("neutral_car", 10)), {L3, L1, L2})),
      cp_neutral_r("cp_neutral_r"),
      cp_neutral_mix("cp_neutral_mix"),
      mains_drift("mains_drift", mains_config()),
      mains_drift_limit("mains_drift_limit", mains_config(230, 64)),
      mains_interrupt("mains_interrupt", mains_config()),
      interrupted_load("interrupted_load", load_config("interrupted", {L1, L2, L3}, 8, 0.9)),
      cp_interrupt("cp_interrupt"),
      adc_stuck("adc_stuck", quiet_adc()),
      adc_clip("adc_clip", quiet_adc()),
      adc_drop("adc_drop", quiet_adc()),
      adc_jitter("adc_jitter", quiet_adc()),
      adc_jitter_twin("adc_jitter_twin", quiet_adc()),
      adc_jitter_off("adc_jitter_off", quiet_adc()),
      ev_ignores("ev_ignores", charger_config("ignores", 10)),
      ev_slow("ev_slow", charger_config("slow", 16)) {
  cp_neutral_r.mains.bind(mains_neutral_r.out);
  for (Load* l : {&neutral_r1, &neutral_r2, &neutral_r3}) cp_neutral_r.sources.bind(l->out);
  cp_neutral_mix.mains.bind(mains_neutral_mix.out);
  for (Load* l : {&neutral_lag, &neutral_lead, &neutral_three}) cp_neutral_mix.sources.bind(l->out);
  cp_neutral_mix.sources.bind(neutral_car.out);
  cp_interrupt.mains.bind(mains_interrupt.out);
  cp_interrupt.sources.bind(interrupted_load.out);
}

World::World()
    : mains_rms("mains_rms", rms_config()),
      mains_seq123("mains_seq123", mains_config()),
      mains_seq132("mains_seq132", with_sequence(mains_config(), {L1, L3, L2})),
      mains_seq231("mains_seq231", with_sequence(mains_config(), {L2, L3, L1})),
      mains_lost("mains_lost", lost_l2()),
      mains_long("mains_long", mains_config(230, 49.97)),
      mains_step("mains_step", mains_config()),
      mains_cache("mains_cache", mains_config()),
      mains_closed_form("mains_closed_form", rms_config()),
      mains_loads("mains_loads", mains_config()),
      mains_loads_lost("mains_loads_lost", lost_l2()),
      load_lag("load_lag", load_config("lag", {L1}, 10, 0.8)),
      load_lead3("load_lead3", load_config("lead3", {L1, L2, L3}, 4, 0.9, true)),
      load_harm("load_harm",
                with_harmonics(load_config("harm", {L1}, 8, 0.95), {{3, 30, 0}, {5, 20, 45}})),
      load_half("load_half", half_wave(load_config("half", {L1}, 5, 1.0))),
      load_half_lag("load_half_lag", half_wave(load_config("half_lag", {L1}, 5, 0.8))),
      load_on_lost("load_on_lost", load_config("on_lost", {L1, L2}, 6, 1.0)),
      mains_cp("mains_cp", sagged_l2()),
      mains_cp_harm("mains_cp_harm", harmonic_mains()),
      cp_a("cp_a", load_config("a", {L1}, 10, 0.8)),
      cp_b("cp_b", load_config("b", {L1, L2, L3}, 4, 0.9, true)),
      cp_c("cp_c", half_wave(load_config("c", {L2}, 5, 1.0))),
      cp_harm_load("cp_harm_load", load_config("h", {L1}, 6, 0.7)),
      cp("cp"),
      cp_empty("cp_empty"),
      cp_harm("cp_harm"),
      ct50("ct50", ct_config()),
      ct60("ct60", ct_config()),
      ct_ratio("ct_ratio", ct_with([](CtConfig& c) { c.ratio_error_pct = 1.5; })),
      ct_rev("ct_rev", ct_with([](CtConfig& c) { c.reversed = true; })),
      ct_wrong("ct_wrong", ct_with([](CtConfig& c) { c.phase = L2; })),
      ct_open("ct_open", ct_config()),
      ct_sat_lo("ct_sat_lo", ct_config()),
      ct_sat_hi("ct_sat_hi", ct_config()),
      ct_halfwave("ct_halfwave", ct_config()),
      ct_ideal("ct_ideal", ct_with([](CtConfig& c) { c.phase_displacement_deg = 0; })),
      divider("divider", DividerConfig{1.0e6, 2.4e3, L2, true}),
      divider_open("divider_open", DividerConfig{1.0e6, 2.4e3, L1, false}),
      adc_quant("adc_quant", quant_adc()),
      adc_noise("adc_noise", noisy_adc(3.0, 11)),
      adc_seed_a("adc_seed_a", noisy_adc(2.0, 7)),
      adc_seed_b("adc_seed_b", noisy_adc(2.0, 7)),
      adc_seed_c("adc_seed_c", noisy_adc(2.0, 8)),
      adc_ctl("adc_ctl", quiet_adc()),
      mains_solar("mains_solar", mains_config()),
      mains_solar_lost("mains_solar_lost", lost_l2()),
      mains_solar_harm("mains_solar_harm", solar_harm_mains()),
      mains_solar_drop("mains_solar_drop", mains_config()),
      mains_solar_time("mains_solar_time", mains_config()),
      mains_solar_60("mains_solar_60", solar_distorted_60hz()),
      pv_three("pv_three", solar_config({L1, L2, L3}, 4600)),
      pv_single("pv_single", solar_config({L2}, 3000)),
      pv_reactive("pv_reactive", solar_config({L1, L2, L3}, 3000, 1200)),
      pv_ramp("pv_ramp", solar_ramp()),
      pv_sky("pv_sky", solar_sky()),
      pv_clouds("pv_clouds", solar_clouds()),
      pv_on_lost("pv_on_lost", solar_config({L1, L2, L3}, 4600)),
      pv_single_lost("pv_single_lost", solar_config({L2}, 3000)),
      pv_harm("pv_harm", solar_config({L1, L2, L3}, 4600, -900)),
      pv_drop("pv_drop", solar_config({L1, L3}, 2000)),
      pv_sense("pv_sense", solar_config({L1}, 1000)),
      mains_solar_cp("mains_solar_cp", mains_config()),
      pv_cp("pv_cp", solar_config({L1, L2, L3}, 4600, 1500)),
      cp_solar("cp_solar"),
      chain("chain", mains_config(), load_config("single", {L1}, 10, 1.0),
            load_config("three", {L1, L2, L3}, 4, 0.9), quiet_adc()),
      mains_it("mains_it", it_mains()),
      mains_it_132("mains_it_132", it_mains({L1, L3, L2})),
      mains_it_closed_form("mains_it_closed_form", it_rms_config()),
      mains_it_loads("mains_it_loads", it_mains()),
      mains_it_loads_132("mains_it_loads_132", it_mains({L1, L3, L2})),
      mains_it_loads_lost("mains_it_loads_lost", it_lost_l2()),
      ll_lag("ll_lag", line_to_line(load_config("ll_lag", {L1, L2}, 10, 0.8))),
      ll_harm("ll_harm", line_to_line(with_harmonics(load_config("ll_harm", {L3, L1}, 6, 0.9, true),
                                                     {{3, 20, 0}, {5, 10, 30}}))),
      ll_half("ll_half", line_to_line(half_wave(load_config("ll_half", {L2, L3}, 5, 0.8)))),
      mains_it_cp_three("mains_it_cp_three", it_mains()),
      mains_it_cp_ll("mains_it_cp_ll", it_mains()),
      mains_it_cp_sag("mains_it_cp_sag", it_sagged()),
      it_three("it_three", load_config("it_three", {L1, L2, L3}, 10, 0.8)),
      it_ll("it_ll", line_to_line(load_config("it_ll", {L1, L2}, 10, 0.8))),
      it_three_sag("it_three_sag", load_config("it_three_sag", {L1, L2, L3}, 10, 0.8)),
      cp_it_three("cp_it_three"),
      cp_it_ll("cp_it_ll"),
      cp_it_sag("cp_it_sag"),
      terminal_it("terminal_it", true),
      terminal_tn("terminal_tn", false),
      mains_it_pv("mains_it_pv", it_mains()),
      pv_it("pv_it", solar_config({L1, L2, L3}, 4600, 1500)),
      cp_it_pv("cp_it_pv"),
      fuse_hold("fuse_hold", fuse_config(25)),
      fuse_if("fuse_if", fuse_config(25)),
      fuse_5in("fuse_5in", fuse_config(25)),
      fuse_10in("fuse_10in", fuse_config(25)),
      fuse_cool("fuse_cool", fuse_config(25)),
      fuse_80("fuse_80", fuse_config(80)),
      ev_rot("ev_rot", rotated(single_phase_car(charger_config("rot")), {L3, L2, L1})),
      ev_down("ev_down", charger_config("down")),
      ev_up("ev_up", charger_config("up", 6)),
      ev_pause("ev_pause", charger_config("pause")),
      ev_link("ev_link", link_charger()),
      ev_plug("ev_plug", plug_charger()),
      ev_full("ev_full", full_charger()),
      ev_three("ev_three", rotated(charger_config("three", 13), {L2, L3, L1})),
      ev_track("ev_track", charger_config("track", 6)),
      mains_ev("mains_ev", mains_config()),
      mains_ev_cp("mains_ev_cp", mains_config()),
      ev_cp("ev_cp", rotated(single_phase_car(charger_config("cp", 10)), {L2, L3, L1})),
      cp_ev("cp_ev"),
      mains_truth("mains_truth", harmonic_mains()),
      mains_truth_it("mains_truth_it", it_mains()),
      truth_lag("truth_lag", load_config("truth_lag", {L1}, 10, 0.8)),
      truth_three("truth_three",
                  with_harmonics(load_config("truth_three", {L1, L2, L3}, 4, 0.9, true),
                                 {{3, 30, 0}, {5, 10, 45}})),
      truth_ll("truth_ll", line_to_line(load_config("truth_ll", {L1, L2}, 8, 0.85))),
      truth_car("truth_car", charger_config("truth", 10)),
      truth_pv("truth_pv", solar_config({L1, L2, L3}, 3000, 500)),
      cp_truth("cp_truth"),
      cp_truth_it("cp_truth_it") {
  cp.mains.bind(mains_cp.out);
  cp.sources.bind(cp_a.out);
  cp.sources.bind(cp_b.out);
  cp.sources.bind(cp_c.out);
  cp_empty.mains.bind(mains_cp_harm.out);
  cp_harm.mains.bind(mains_cp_harm.out);
  cp_harm.sources.bind(cp_harm_load.out);
  cp_solar.mains.bind(mains_solar_cp.out);
  cp_solar.sources.bind(pv_cp.out);
  cp_it_three.mains.bind(mains_it_cp_three.out);
  cp_it_three.sources.bind(it_three.out);
  cp_it_ll.mains.bind(mains_it_cp_ll.out);
  cp_it_ll.sources.bind(it_ll.out);
  cp_it_sag.mains.bind(mains_it_cp_sag.out);
  cp_it_sag.sources.bind(it_three_sag.out);
  cp_it_pv.mains.bind(mains_it_pv.out);
  cp_it_pv.sources.bind(pv_it.out);
  try {
    PvInverter invalid("pv_invalid", solar_config({L1, L1}, 1000));
  } catch (const std::invalid_argument& e) {
    pv_invalid_message = e.what();
  }
  cp_ev.mains.bind(mains_ev_cp.out);
  cp_ev.sources.bind(ev_cp.out);
  cp_truth.mains.bind(mains_truth.out);
  for (current_source_if* source :
       std::initializer_list<current_source_if*>{&truth_lag, &truth_three, &truth_car, &truth_pv}) {
    cp_truth.sources.bind(*source);
  }
  cp_truth_it.mains.bind(mains_truth_it.out);
  cp_truth_it.sources.bind(truth_ll.out);
  try {
    Charger invalid("ev_invalid", rotated(charger_config("invalid"), {L1, L1, L3}));
  } catch (const std::invalid_argument& e) {
    charger_invalid_message = e.what();
  }
  g_world = this;
}

World& world() { return *g_world; }

}  // namespace amprig::models::test
