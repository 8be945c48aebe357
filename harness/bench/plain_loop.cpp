#include "bench/plain_loop.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "rig/device_setup.h"
#include "rig/rig.h"

namespace amprig {
namespace {

constexpr const char* kBalancingPrefixes[] = {"charger.", "chargers.", "balancer.", "check."};

bool balancing_signal(const std::string& name) {
  for (const char* prefix : kBalancingPrefixes) {
    if (name.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

// A choice as its index among the choices, a bool as 0/1: every value a number.
double as_number(const Signal& signal) {
  const Value value = signal.get();
  if (const auto* d = std::get_if<double>(&value)) return *d;
  if (const auto* b = std::get_if<bool>(&value)) return *b ? 1 : 0;
  const auto& text = std::get<std::string>(value);
  for (std::size_t i = 0; i < signal.choices.size(); ++i) {
    if (signal.choices[i] == text) return static_cast<double>(i);
  }
  return -1;
}

void add_firmware(BenchSnapshot& out, const fw::Firmware& firmware) {
  const fw::Measurements& m = firmware.measurements();
  for (int k = 0; k < 3; ++k) {
    const fw::PhaseMeasurement& p = m.phase[k];
    const std::string base = std::string("meter.") + kPhaseNames[k] + ".";
    out.emplace_back(base + "voltage_v", p.voltage_v);
    out.emplace_back(base + "current_a", p.current_a);
    out.emplace_back(base + "power_w", p.power_w);
    out.emplace_back(base + "reactive_var", p.reactive_var);
    out.emplace_back(base + "apparent_va", p.apparent_va);
    out.emplace_back(base + "power_factor", p.power_factor);
    out.emplace_back(base + "voltage_angle_deg", p.voltage_angle_deg);
    out.emplace_back(base + "current_angle_deg", p.current_angle_deg);
    out.emplace_back(base + "energy_import_mj", static_cast<double>(p.energy_import_mj));
    out.emplace_back(base + "energy_export_mj", static_cast<double>(p.energy_export_mj));
  }
  out.emplace_back("meter.frequency_hz", m.frequency_hz);
  out.emplace_back("meter.total.power_w", m.total_power_w);
  out.emplace_back("meter.window_count", m.window_count);
  out.emplace_back("meter.window_end_sample", static_cast<double>(m.window_end_sample));
  out.emplace_back("meter.synchronised", m.synchronised ? 1 : 0);
  out.emplace_back("device.telemetry_sent", firmware.telemetry_sent());
}

void add_balancing(BenchSnapshot& out, const SignalRegistry& signals) {
  for (const Signal* s : signals.all()) {
    if (balancing_signal(s->name)) out.emplace_back(s->name, as_number(*s));
  }
}

}  // namespace

BenchSnapshot bench_snapshot(Rig& rig) {
  BenchSnapshot out;
  add_firmware(out, rig.firmware());
  for (int k = 0; k < 3; ++k) {
    const std::string p = kPhaseNames[k];
    for (const char* name : {"energy_import_wh", "energy_export_wh"}) {
      out.emplace_back("plant." + p + "." + name,
                       std::get<double>(rig.signals().get("plant." + p + "." + name)));
    }
    out.emplace_back("fuse." + p + ".load_pct",
                     std::get<double>(rig.signals().get("fuse." + p + ".load_pct")));
  }
  add_balancing(out, rig.signals());
  return out;
}

BenchSnapshot PlainLoop::snapshot() {
  BenchSnapshot out;
  add_firmware(out, m_firmware);
  for (int k = 0; k < 3; ++k) {
    const std::string p = kPhaseNames[k];
    const auto phase = static_cast<models::Phase>(k);
    out.emplace_back("plant." + p + ".energy_import_wh", m_plant.energy_import_wh(phase));
    out.emplace_back("plant." + p + ".energy_export_wh", m_plant.energy_export_wh(phase));
    out.emplace_back("fuse." + p + ".load_pct", m_fuse.load_pct(phase));
  }
  add_balancing(out, m_signals);
  return out;
}

fw::Status PlainLoop::Dma::start(const fw::hal::AdcConfig& adc, fw::Span<fw::hal::AdcCode> codes,
                                 fw::hal::AdcDmaClient& dma_client) {
  // The rig's ADC's checks (adc/adc_dma_model.cpp).
  if (running) return fw::Status::failed_precondition;
  if (const fw::Status status = models::AdcDmaModel::check_start(adc, codes);
      status != fw::Status::ok) {
    return status;
  }
  config = adc;
  buffer = codes;
  client = &dma_client;
  second_half = false;
  next_index = models::AdcDmaModel::first_sample_index(now->to_seconds(), adc.sample_rate_hz);
  running = true;
  return fw::Status::ok;
}

void PlainLoop::Clock::set(const sc_core::sc_time& now) {
  m_now_us = static_cast<std::uint64_t>(now.value() / sc_core::sc_time(1, sc_core::SC_US).value());
}

std::string PlainLoop::unsupported(const Scenario& scenario) {
  if (scenario.device.adc != "behavioural") return "device.adc must be behavioural";
  if (scenario.adc.stuck_bit >= 0) return "plant.adc.stuck_bit is a fault the loop does not model";
  return {};
}

PlainLoop::PlainLoop(const sc_core::sc_module_name& name, const Scenario& scenario)
    : sc_core::sc_module(name),
      m_scenario(scenario),
      m_mains("mains", scenario.mains),
      m_plant("plant"),
      m_fuse("fuse", scenario.fuse),
      m_converter("adc", scenario.adc),
      m_leds(m_clock),
      m_nvm(8192, 1024),
      m_network(scenario.network, m_clock, network_seed(scenario)),
      m_fw_log(std::string(basename()) + ".firmware"),
      m_firmware(
          fw::hal::Hal{m_dma, m_clock, m_leds, m_nvm, m_network, m_button, m_cartridge, m_fw_log}) {
  if (const std::string why = unsupported(scenario); !why.empty()) {
    throw std::invalid_argument("the plain loop cannot run " + scenario.id + ": " + why);
  }
  // The plant and the device exactly as Rig::Rig builds them (rig/rig.cpp), in the same order:
  // the bench's equivalence test fails when the two drift apart.
  m_plant.mains.bind(m_mains.out);
  m_plant.attach_fuse(m_fuse);
  for (const auto& load_config : scenario.loads) {
    m_loads.push_back(
        std::make_unique<models::Load>(("load_" + load_config.name).c_str(), load_config));
    m_plant.sources.bind(m_loads.back()->out);
  }
  if (!scenario.solar.empty()) {
    m_solar = std::make_unique<models::PvInverter>("solar", scenario.solar.front());
    m_plant.sources.bind(m_solar->out);
  }
  m_cartridge.set_present(scenario.device.cartridge_present);
  preinstall(scenario, m_nvm, "loop");
  m_firmware_config = firmware_config(scenario);
  if (!scenario.chargers.empty()) {
    m_balancing = std::make_unique<Balancing>(scenario, m_plant, m_fuse, m_network);
  }
  for (int k = 0; k < 3; ++k) {
    m_dividers[k] = std::make_unique<models::VoltageDivider>(
        ("vin" + std::to_string(k + 1)).c_str(), scenario.dividers[k]);
    m_dividers[k]->line.bind(m_plant.out);
    m_converter.in[fw::hal::kV1 + k].bind(m_dividers[k]->out);
    m_cts[k] = std::make_unique<models::CurrentTransformer>(("ct" + std::to_string(k + 1)).c_str(),
                                                            scenario.cts[k]);
    m_cts[k]->primary.bind(m_plant.out);
    m_converter.in[fw::hal::kI1 + k].bind(m_cts[k]->out);
  }
  const std::array<models::VoltageDivider*, 3> terminal{m_dividers[0].get(), m_dividers[1].get(),
                                                        m_dividers[2].get()};
  for (auto& divider : m_dividers) divider->link_terminal(terminal);
  for (int k = 0; k < 3; ++k) {
    const auto& d = scenario.dividers[k];
    m_plant.set_terminal_admittance(static_cast<models::Phase>(k),
                                    d.connected ? 1 / (d.top_ohm + d.bottom_ohm) : 0.0);
  }
  if (m_balancing) m_balancing->register_signals(m_signals);
  m_dma.now = &m_now;
}

void PlainLoop::acquire_due() {
  // As the ADC's DMA thread (adc/adc_dma_model.cpp): a half is converted once its last frame's
  // instant, from the integer frame index, has come.
  while (m_dma.running) {
    const std::size_t n = m_dma.buffer.size() / (2 * fw::hal::kAdcChannels);
    const double rate_hz = m_dma.config.sample_rate_hz;
    const sc_core::sc_time due(static_cast<double>(m_dma.next_index + n) / rate_hz,
                               sc_core::SC_SEC);
    if (due > m_now) return;
    models::BlockTime time;
    time.index = m_dma.next_index;
    time.t0_s = static_cast<double>(m_dma.next_index) / rate_hz;
    time.dt_s = 1.0 / rate_hz;
    time.n = n;
    fw::hal::AdcCode* out =
        m_dma.buffer.data() + (m_dma.second_half ? n * fw::hal::kAdcChannels : 0);
    m_converter.convert_block(time, out);
    m_dma.next_index += n;
    const bool second = m_dma.second_half;
    m_dma.second_half = !second;
    if (second) {
      m_dma.client->on_full_complete();
    } else {
      m_dma.client->on_half_complete();
    }
  }
}

void PlainLoop::run(double duration_s) {
  const sc_core::sc_time end(duration_s, sc_core::SC_SEC);
  if (!m_started) {
    // Rig::main_loop: power-on at t = 0.
    m_started = true;
    m_clock.set(m_now);
    if (m_firmware.start(m_firmware_config) != fw::Status::ok) {
      throw std::runtime_error("the firmware failed to start in the plain loop");
    }
    m_powered = true;
  }
  const sc_core::sc_time period(Rig::kPollPeriodS, sc_core::SC_SEC);
  // sc_start(d) stops at d before the processes due there run: they run at the next sc_start.
  while (m_now + period < end) {
    m_now += period;
    m_clock.set(m_now);
    // Within an instant: the plant (the ADC's half-buffers) first, then the firmware's poll and
    // the balancing, as in Rig::main_loop.
    acquire_due();
    if (m_powered) m_firmware.poll();
    if (m_balancing) m_balancing->tick(m_now.to_seconds());
    if (m_nvm.power_cut() && m_powered) {
      m_powered = false;
      m_firmware.stop();
    }
    for (int k = 0; k < 3; ++k) {
      if (m_fuse.cut(static_cast<models::Phase>(k))) m_mains.config().lost[k] = true;
    }
  }
}

}  // namespace amprig
