#pragma once
// The benchmark's plain loop: the rig's per-sample and per-block work without the SystemC
// scheduler. The same model objects as the Rig builds (mains, loads, solar, the connection
// point, the fuse, the CTs, the dividers, the behavioural ADC's quantisation), the same
// firmware and balancing, driven by a for-loop over the firmware's 5 ms poll ticks: every DMA
// half-buffer that is due is converted and handed to the firmware's half/full-complete callback,
// then the firmware polls and the balancing ticks, in the order the Rig keeps within an instant
// (rig/sim_order.h). `amprig bench` times it beside the Rig, so that the ratio shows what the
// SystemC scheduler and the Rig's own machinery cost; a unit test asserts that after the same
// run both end in the same state (bench_snapshot), so that the loop cannot silently do less.
//
// The models are SystemC modules, so a PlainLoop is built like one: during elaboration, before
// sc_start (or in a process that never starts the simulation). Its ports are bound when it is
// built and it registers no process of its own; it reads its own clock, not SystemC's. It covers
// what a scenario's plant and device configure; steps, faults, traces and the RTL ADC are not
// its business (PlainLoop::unsupported says which configurations it refuses).
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <systemc>
#include <utility>
#include <vector>

#include "adc/behavioural_adc.h"
#include "app/firmware.h"
#include "ct/current_transformer.h"
#include "frontend/voltage_divider.h"
#include "fuse/main_fuse.h"
#include "loads/load.h"
#include "mains/mains.h"
#include "network/site_network.h"
#include "plant/connection_point.h"
#include "rig/balancing.h"
#include "rig/hal_adapters.h"
#include "scenario/scenario.h"
#include "signals/signal_registry.h"
#include "solar/pv_inverter.h"

namespace amprig {

class Rig;

// The state a run ends in, as named values: the firmware's measurements and energy registers,
// its window and telemetry counts, the plant's true energies, and the balancing's signals
// (chargers, balancer, checks). Two runs that did the same work give identical snapshots.
using BenchSnapshot = std::vector<std::pair<std::string, double>>;
BenchSnapshot bench_snapshot(Rig& rig);

class PlainLoop : public sc_core::sc_module {
 public:
  // Throws std::invalid_argument for a scenario it cannot run (see unsupported()).
  PlainLoop(const sc_core::sc_module_name& name, const Scenario& scenario);
  // Why the loop cannot run `scenario` as the Rig would, or "" when it can.
  static std::string unsupported(const Scenario& scenario);

  // Powers the device on at t = 0 (the first call), then runs up to `duration_s` of simulated
  // time from the start, as sc_start does for the Rig: what is due at exactly `duration_s` waits
  // for the next call.
  void run(double duration_s);
  double time_s() const { return m_now.to_seconds(); }
  fw::Firmware& firmware() { return m_firmware; }
  BenchSnapshot snapshot();

 private:
  // The firmware's view of the ADC: start() and stop() as the DMA driver sees them. The
  // conversion itself is the behavioural ADC's, called by the loop.
  class Dma final : public fw::hal::AdcDma {
   public:
    fw::Status start(const fw::hal::AdcConfig& config, fw::Span<fw::hal::AdcCode> buffer,
                     fw::hal::AdcDmaClient& client) override;
    void stop() override { running = false; }
    fw::hal::AdcConfig config{};
    fw::Span<fw::hal::AdcCode> buffer;
    fw::hal::AdcDmaClient* client = nullptr;
    bool running = false;
    bool second_half = false;
    std::uint64_t next_index = 0;           // the first frame of the half in flight
    const sc_core::sc_time* now = nullptr;  // the loop's time
  };
  // The behavioural ADC's quantisation, called directly instead of from its DMA thread.
  class Converter final : public models::BehaviouralAdc {
   public:
    using BehaviouralAdc::BehaviouralAdc;
    void convert_block(const models::BlockTime& time, fw::hal::AdcCode* out) { convert(time, out); }
  };
  class Clock final : public fw::hal::Clock {
   public:
    std::uint64_t now_us() const override { return m_now_us; }
    void set(const sc_core::sc_time& now);

   private:
    std::uint64_t m_now_us = 0;
  };

  // Every half-buffer due by m_now: converted, then delivered to the firmware.
  void acquire_due();

  Scenario m_scenario;
  Clock m_clock;
  sc_core::sc_time m_now = sc_core::SC_ZERO_TIME;
  bool m_started = false;
  bool m_powered = false;
  models::Mains m_mains;
  std::vector<std::unique_ptr<models::Load>> m_loads;
  std::unique_ptr<models::PvInverter> m_solar;
  models::ConnectionPoint m_plant;
  models::MainFuse m_fuse;
  std::array<std::unique_ptr<models::CurrentTransformer>, 3> m_cts;
  std::array<std::unique_ptr<models::VoltageDivider>, 3> m_dividers;
  Converter m_converter;
  Dma m_dma;
  SimLeds m_leds;
  RamNvm m_nvm;
  models::SiteNetwork m_network;
  SimButton m_button;
  SimCartridge m_cartridge;
  SimLog m_fw_log;
  fw::Firmware m_firmware;
  fw::FirmwareConfig m_firmware_config{};
  std::unique_ptr<Balancing> m_balancing;
  SignalRegistry m_signals;  // the balancing's, for the snapshot
};

}  // namespace amprig
