#include "rig/rig.h"

#include "rig/sim_order.h"

#include <cmath>
#include <cstdio>

#include "adc/behavioural_adc.h"
#include "adc/rtl/rtl_adc.h"
#include "rig/device_setup.h"
#include "rig/sim_log.h"

namespace amprig {
namespace {


fw::hal::Hal make_hal(fw::hal::AdcDma& adc, fw::hal::Clock& clock, fw::hal::Leds& leds,
                      fw::hal::Nvm& nvm, fw::hal::NetworkLink& link, fw::hal::Button& button,
                      fw::hal::CartridgeSense& cartridge, fw::hal::Log& log) {
  return fw::hal::Hal{adc, clock, leds, nvm, link, button, cartridge, log};
}

std::unique_ptr<models::AdcDmaModel> make_adc(const Scenario& scenario) {
  if (scenario.device.adc == "rtl") {
    return std::make_unique<models::RtlAdc>("adc", scenario.adc, scenario.rtl_adc);
  }
  return std::make_unique<models::BehaviouralAdc>("adc", scenario.adc);
}

models::Phase parse_phase(const std::string& s) {
  return s == "L1" ? models::L1 : s == "L2" ? models::L2 : models::L3;
}

}  // namespace

Rig::Rig(const sc_core::sc_module_name& name, const Scenario& scenario)
    : sc_core::sc_module(name),
      m_scenario(scenario),
      m_mains("mains", scenario.mains),
      m_plant("plant"),
      m_fuse("fuse", scenario.fuse),
      m_adc(make_adc(scenario)),
      m_leds(m_clock),
      m_nvm(8192, 1024),
      m_network(scenario.network, m_clock, network_seed(scenario)),
      m_fw_log(std::string(basename()) + ".firmware"),
      m_firmware(
          make_hal(*m_adc, m_clock, m_leds, m_nvm, m_network, m_button, m_cartridge, m_fw_log)) {
  m_plant.mains.bind(m_mains.out);
  m_plant.attach_fuse(m_fuse);
  for (const auto& load_config : scenario.loads) {
    m_loads.push_back(std::make_unique<models::Load>(
        ("load_" + load_config.name).c_str(), load_config));
    m_plant.sources.bind(m_loads.back()->out);
  }
  if (!scenario.solar.empty()) {
    m_solar = std::make_unique<models::PvInverter>("solar", scenario.solar.front());
    m_plant.sources.bind(m_solar->out);
  }
  m_cartridge.set_present(scenario.device.cartridge_present);
  // The installer configured the device before this run: its settings are in NVM.
  preinstall(scenario, m_nvm, "rig");
  m_firmware_config = firmware_config(scenario);
  if (!scenario.chargers.empty()) {
    m_balancing = std::make_unique<Balancing>(scenario, m_plant, m_fuse, m_network);
  }
  for (int k = 0; k < 3; ++k) {
    m_dividers[k] = std::make_unique<models::VoltageDivider>(
        ("vin" + std::to_string(k + 1)).c_str(), scenario.dividers[k]);
    m_dividers[k]->line.bind(m_plant.out);
    m_adc->in[fw::hal::kV1 + k].bind(m_dividers[k]->out);
    m_cts[k] = std::make_unique<models::CurrentTransformer>(("ct" + std::to_string(k + 1)).c_str(),
                                                            scenario.cts[k]);
    m_cts[k]->primary.bind(m_plant.out);
    m_adc->in[fw::hal::kI1 + k].bind(m_cts[k]->out);
  }
  const std::array<models::VoltageDivider*, 3> terminal{m_dividers[0].get(), m_dividers[1].get(),
                                                        m_dividers[2].get()};
  for (auto& divider : m_dividers) divider->link_terminal(terminal);
  for (int k = 0; k < 3; ++k) {
    const auto& d = scenario.dividers[k];
    m_plant.set_terminal_admittance(static_cast<models::Phase>(k),
                                    d.connected ? 1 / (d.top_ohm + d.bottom_ohm) : 0.0);
  }
  register_signals();
  SC_HAS_PROCESS(Rig);
  SC_THREAD(main_loop);
  SC_METHOD(end_brownout);
  sensitive << m_brownout_end;
  dont_initialize();
}

void Rig::power_on() {
  m_powered = true;
  m_nvm.restore_power();
  const fw::Status status = m_firmware.start(m_firmware_config);
  if (status != fw::Status::ok) {
    SC_REPORT_ERROR(name(), (std::string("firmware failed to start: ") + fw::to_string(status)).c_str());
    return;
  }
  log_line(LogLevel::info, name(),
           std::string("powered on: ") + fw::board_design(m_scenario.device.variant).id + ", " +
               std::to_string(m_scenario.device.sample_rate_hz) + " Hz, " +
               std::to_string(m_firmware_config.dma_frames_per_half) + " frames per DMA half-buffer");
}

void Rig::power_off() {
  if (!m_powered) return;
  m_powered = false;
  m_firmware.stop();
  log_line(LogLevel::info, name(), "power off");
}

void Rig::supply_failed() {
  m_supply_on = false;
  power_off();
}

void Rig::brownout(double ms) {
  m_brownout_end.cancel();
  if (!(ms > 0)) {
    if (in_brownout()) end_brownout();
    return;
  }
  if (!m_supply_on) return;  // switched off: nothing to dip
  m_brownout_until = sc_core::sc_time_stamp() + sc_core::sc_time(ms, sc_core::SC_MS);
  m_brownout_until_s = m_brownout_until.to_seconds();
  log_line(LogLevel::info, name(), "brown-out for " + std::to_string(ms) + " ms");
  power_off();
  m_brownout_end.notify(sc_core::sc_time(ms, sc_core::SC_MS));
}

void Rig::end_brownout() {
  if (!in_brownout()) return;
  m_brownout_until_s = -1;
  log_line(LogLevel::info, name(), "supply back above the reset threshold");
  if (m_supply_on && !m_powered) power_on();
}

void Rig::apply_settings(const fw::InstallationSettings& settings) {
  if (!m_powered) {
    m_settings_result = "device off";
    return;
  }
  const fw::SettingsResult r = m_firmware.apply_settings(settings);
  if (m_nvm.power_cut()) {
    // The supply failed while the settings were being written.
    m_settings_result = "power cut";
    supply_failed();
    return;
  }
  m_settings_result = r.reason == nullptr ? "applied" : std::string("rejected: ") + r.reason;
}

void Rig::main_loop() {
  power_on();
  const sc_core::sc_time period(kPollPeriodS, sc_core::SC_SEC);
  for (;;) {
    wait(period);
    wait_for_plant();
    if (m_powered) m_firmware.poll();
    if (m_balancing) m_balancing->tick(sc_core::sc_time_stamp().to_seconds());
    if (m_nvm.power_cut() && m_powered) supply_failed();
    // A melted fuse takes its phase away from everything downstream of it.
    for (int k = 0; k < 3; ++k) {
      const auto phase = static_cast<models::Phase>(k);
      if (m_fuse.cut(phase) && !m_mains.config().lost[k]) {
        m_mains.config().lost[k] = true;
        log_line(LogLevel::info, m_fuse.name(), std::string(kPhaseNames[k]) + " melted");
      }
    }
  }
}

const models::PhaseTruth& Rig::truth(models::Phase phase) {
  const auto now = sc_core::sc_time_stamp();
  const auto delta = sc_core::sc_delta_count();
  // A set in this very instant (a step's, after another step looked) changes the truth too.
  if (now != m_truth_time || delta != m_truth_delta || m_signals.sets() != m_truth_sets) {
    for (int k = 0; k < 3; ++k) m_truth[k] = m_plant.truth(static_cast<models::Phase>(k));
    m_truth_time = now;
    m_truth_delta = delta;
    m_truth_sets = m_signals.sets();
  }
  return m_truth[phase];
}

void Rig::register_signals() {
  struct Range {
    double min = -1e300;
    double max = 1e300;
  };
  auto number = [this](std::string name, std::string unit, std::string description,
                       std::function<double()> get, std::function<void(double)> set = {},
                       bool fault = false, Range range = {}) {
    m_signals.add(make_number(std::move(name), std::move(unit), std::move(description),
                              std::move(get), std::move(set), fault, range.min, range.max));
  };
  auto boolean = [this](std::string name, std::string description, std::function<bool()> get,
                        std::function<void(bool)> set = {}, bool fault = false) {
    m_signals.add(
        make_bool(std::move(name), std::move(description), std::move(get), std::move(set), fault));
  };
  auto choice = [this](std::string name, std::vector<std::string> choices, std::string description,
                       std::function<std::string()> get,
                       std::function<void(const std::string&)> set = {}, bool fault = false) {
    m_signals.add(make_choice(std::move(name), std::move(choices), std::move(description),
                              std::move(get), std::move(set), fault));
  };

  const auto& m = [this]() -> const fw::Measurements& { return m_firmware.measurements(); };
  for (int k = 0; k < 3; ++k) {
    const std::string p = kPhaseNames[k];
    const auto phase = static_cast<models::Phase>(k);
    const std::string meter = "meter." + p + ".";
    number(meter + "voltage_v", "V", "RMS voltage the firmware measured",
           [m, k] { return m().phase[k].voltage_v; });
    number(meter + "current_a", "A", "RMS current the firmware measured (unsigned)",
           [m, k] { return m().phase[k].current_a; });
    number(meter + "power_w", "W", "active power the firmware measured, + import, - export",
           [m, k] { return m().phase[k].power_w; });
    number(meter + "reactive_var", "var", "fundamental reactive power, + inductive",
           [m, k] { return m().phase[k].reactive_var; });
    number(meter + "apparent_va", "VA", "apparent power (Vrms x Irms)",
           [m, k] { return m().phase[k].apparent_va; });
    number(meter + "power_factor", "", "P / S, signed like P",
           [m, k] { return m().phase[k].power_factor; });
    number(meter + "voltage_angle_deg", "deg", "voltage fundamental's angle relative to V1",
           [m, k] { return m().phase[k].voltage_angle_deg; });
    number(meter + "current_angle_deg", "deg", "current fundamental's angle relative to V1",
           [m, k] { return m().phase[k].current_angle_deg; });
    number(meter + "energy_import_wh", "Wh", "imported energy register",
           [m, k] { return static_cast<double>(m().phase[k].energy_import_mj) / 3.6e6; });
    number(meter + "energy_export_wh", "Wh", "exported energy register",
           [m, k] { return static_cast<double>(m().phase[k].energy_export_mj) / 3.6e6; });

    const std::string plant = "plant." + p + ".";
    number(plant + "voltage_v", "V", "true RMS voltage at the connection point",
           [this, phase] { return truth(phase).voltage_v; });
    number(plant + "current_a", "A", "true RMS current at the connection point",
           [this, phase] { return truth(phase).current_a; });
    number(plant + "power_w", "W", "true active power, + import",
           [this, phase] { return truth(phase).power_w; });
    number(plant + "reactive_var", "var", "true fundamental reactive power",
           [this, phase] { return truth(phase).reactive_var; });
    number(plant + "apparent_va", "VA", "true apparent power",
           [this, phase] { return truth(phase).apparent_va; });
    number(plant + "power_factor", "", "true power factor",
           [this, phase] { return truth(phase).power_factor; });
    number(plant + "energy_import_wh", "Wh", "true imported energy since the start",
           [this, phase] { return m_plant.energy_import_wh(phase); });
    number(plant + "energy_export_wh", "Wh", "true exported energy since the start",
           [this, phase] { return m_plant.energy_export_wh(phase); });

    number("mains." + p + ".level", "",
           "this phase's voltage as a factor of nominal: sag (<1, the residual voltage), swell "
           "(>1), interruption (0: nothing drawn from it)",
           [this, k] { return m_mains.config().level[k]; },
           [this, k](double v) { m_mains.config().level[k] = v; }, true, Range{0, 2});
    boolean("mains." + p + ".lost", "phase lost upstream (fault)",
            [this, k] { return m_mains.config().lost[k]; },
            [this, k](bool v) { m_mains.config().lost[k] = v; }, true);

    const std::string ct = "ct" + std::to_string(k + 1);
    auto* c = m_cts[k].get();
    choice(ct + ".phase", {"L1", "L2", "L3"}, "the conductor the CT is clamped on (fault if wrong)",
           [c] { return std::string(kPhaseNames[c->config().phase]); },
           [c](const std::string& v) { c->config().phase = parse_phase(v); }, true);
    boolean(ct + ".reversed", "CT clamped backwards or S1/S2 swapped (fault)",
            [c] { return c->config().reversed; }, [c](bool v) { c->config().reversed = v; }, true);
    boolean(ct + ".connected", "CT secondary connected (false: open, fault)",
            [c] { return c->config().connected; }, [c](bool v) { c->config().connected = v; }, true);
    number(ct + ".ratio_error_pct", "%", "CT ratio error, + reads high",
           [c] { return c->config().ratio_error_pct; },
           [c](double v) { c->config().ratio_error_pct = v; }, true, Range{-20, 20});
    number(ct + ".saturation_current_a", "A",
           "primary RMS current (sine, nominal frequency) at which the core saturates; lower it "
           "and a large current reads low and distorted (fault)",
           [c] { return c->config().saturation_current_a; },
           [c](double v) { c->config().saturation_current_a = v; }, true, Range{0.1, 1e5});
    boolean(ct + ".saturated", "the CT core saturated in the last block",
            [c] { return c->saturated(); });

    auto* d = m_dividers[k].get();
    boolean("voltage." + p + ".connected", "phase wired to the voltage terminal (fault if not)",
            [d] { return d->config().connected; },
            [this, d, phase](bool v) {
              d->config().connected = v;
              m_plant.set_terminal_admittance(
                  phase, v ? 1 / (d->config().top_ohm + d->config().bottom_ohm) : 0.0);
            },
            true);
  }

  number("meter.frequency_hz", "Hz", "mains frequency the firmware measured",
         [m] { return m().frequency_hz; });
  number("meter.total.power_w", "W", "sum of the phases' active power",
         [m] { return m().total_power_w; });
  number("meter.window_count", "", "measurement windows completed since start",
         [m] { return static_cast<double>(m().window_count); });
  boolean("meter.synchronised", "measurement windows follow the mains cycles",
          [m] { return m().synchronised; });
  number("plant.total.power_w", "W", "true active power, all phases",
         [this] {
           double sum = 0;
           for (int k = 0; k < 3; ++k) sum += truth(static_cast<models::Phase>(k)).power_w;
           return sum;
         });
  number("plant.frequency_hz", "Hz", "true mains frequency", [this] { return m_mains.frequency_hz(); });

  number("mains.voltage_v", "V", "nominal RMS phase voltage", [this] { return m_mains.config().voltage_v; },
         [this](double v) { m_mains.config().voltage_v = v; }, false, Range{0, 500});
  number("mains.frequency_hz", "Hz", "mains frequency; set: a frequency step (fault)",
         [this] { return m_mains.config().frequency_hz; },
         [this](double v) { m_mains.config().frequency_hz = v; }, true, Range{45, 65});

  for (auto& load : m_loads) {
    auto* l = load.get();
    const std::string base = "loads." + l->config().name + ".";
    number(base + "current_a", "A", "RMS current the load draws per phase",
           [l] { return l->config().current_a; },
           [l](double v) { l->config().current_a = v; }, false, Range{0, 1e5});
    number(base + "power_factor", "", "displacement power factor of the load",
           [l] { return l->config().power_factor; },
           [l](double v) { l->config().power_factor = v; }, false, Range{0, 1});
  }

  number("adc.offset_lsb", "LSB", "offset added to every ADC channel (fault)",
         [this] { return m_adc->config().offset_lsb; },
         [this](double v) { m_adc->config().offset_lsb = v; }, true, Range{-30000, 30000});
  number("adc.noise_lsb_rms", "LSB",
         "RMS noise added to every sample of every channel, seeded from the scenario's seed",
         [this] { return m_adc->config().noise_lsb_rms; },
         [this](double v) { m_adc->config().noise_lsb_rms = v; }, true, Range{0, 1000});
  number("adc.gain_error_pct", "%", "ADC gain error (fault)",
         [this] { return m_adc->config().gain_error_pct; },
         [this](double v) { m_adc->config().gain_error_pct = v; }, true, Range{-20, 20});
  number("adc.clipped_samples", "",
         "samples clipped at the ADC's rails or the front end's swing (adc.clip_lsb) since start",
         [this] { return static_cast<double>(m_adc->clipped_samples()); });
  choice("device.adc", {"behavioural", "rtl"},
         "the virtual ADC: behavioural, or delta-sigma modulators into the verilated sinc3 "
         "decimator (the scenario's device.adc, or amprig run --adc)",
         [this] { return m_scenario.device.adc; });

  const auto led = [this](fw::hal::LedId id) { return std::string(to_string(m_leds.colour(id))); };
  choice("led.logo", {"on", "off"}, "logo LED: system powered and running",
         [led] { return led(fw::hal::LedId::logo); });
  choice("led.comm", {"green", "blue", "off"}, "communication LED",
         [led] { return led(fw::hal::LedId::comm); });
  choice("led.voltage", {"green", "red", "off"}, "voltage LED",
         [led] { return led(fw::hal::LedId::voltage); });
  choice("led.current", {"green", "red", "off"}, "current LED",
         [led] { return led(fw::hal::LedId::current); });
  number("sim.time_s", "s", "simulated time", [] { return sc_core::sc_time_stamp().to_seconds(); });
  register_device_signals();
  register_network_signals();
  register_fault_signals();
  if (m_balancing) m_balancing->register_signals(m_signals);
}

}  // namespace amprig
