#pragma once
// The rig: the SystemC top built from a scenario. Plant models drive the real
// firmware core through the virtual ADC; every observable and settable value is
// registered under its dotted name.
#include <array>
#include <memory>
#include <optional>
#include <systemc>
#include <vector>

#include "adc/adc_dma_model.h"
#include "app/firmware.h"
#include "ct/current_transformer.h"
#include "frontend/voltage_divider.h"
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

inline constexpr const char* kPhaseNames[3] = {"L1", "L2", "L3"};

class Rig : public sc_core::sc_module {
 public:
  Rig(const sc_core::sc_module_name& name, const Scenario& scenario);

  SignalRegistry& signals() { return m_signals; }
  const SignalRegistry& signals() const { return m_signals; }
  const Scenario& scenario() const { return m_scenario; }
  fw::Firmware& firmware() { return m_firmware; }
  const SimLeds& leds() const { return m_leds; }
  // Ground truth at the connection point, cached per simulated instant.
  const models::PhaseTruth& truth(models::Phase phase);
  // How often the firmware's main loop runs.
  static constexpr double kPollPeriodS = 0.005;


 private:
  void main_loop();  // SC_THREAD: power-on, then the firmware's periodic work
  void power_on();
  void power_off();
  // The supply itself fails (a cut during an NVM write): off until device.power is set on.
  void supply_failed();
  // The supply dips below the device's reset threshold for `ms` from now (0: ends a dip).
  void brownout(double ms);
  void end_brownout();  // SC_METHOD on m_brownout_end
  bool in_brownout() const { return m_brownout_until_s >= 0; }
  // Flips m_nvm_corrupt_mask at m_nvm_corrupt_byte of the record slots `target` names
  // (settings.newest, wifi.both, ...).
  void corrupt_nvm(const std::string& target);
  // Applies one field of the Installation tab through the firmware, as the admin
  // interface does; the outcome is kept for settings.last_result.
  void apply_settings(const fw::InstallationSettings& settings);
  void register_signals();
  void register_device_signals();
  void register_network_signals();
  void register_fault_signals();

  Scenario m_scenario;
  SignalRegistry m_signals;
  models::Mains m_mains;
  std::vector<std::unique_ptr<models::Load>> m_loads;
  std::unique_ptr<models::PvInverter> m_solar;
  models::ConnectionPoint m_plant;
  models::MainFuse m_fuse;
  std::array<std::unique_ptr<models::CurrentTransformer>, 3> m_cts;
  std::array<std::unique_ptr<models::VoltageDivider>, 3> m_dividers;
  std::unique_ptr<models::AdcDmaModel> m_adc;  // behavioural or RTL, as device.adc says
  SimClock m_clock;
  SimLeds m_leds;
  RamNvm m_nvm;
  models::SiteNetwork m_network;
  SimButton m_button;
  SimCartridge m_cartridge;
  SimLog m_fw_log;
  fw::Firmware m_firmware;
  fw::FirmwareConfig m_firmware_config{};
  std::unique_ptr<Balancing> m_balancing;  // when the plant has chargers
  // The Wi-Fi tab's form: filled in field by field, applied by its Update button.
  // A field not filled in since the last Update keeps what the device has stored.
  std::optional<std::string> m_wifi_form_ssid;
  std::optional<std::string> m_wifi_form_password;
  bool m_powered = true;
  bool m_supply_on = true;         // device.power: the supply is switched on
  double m_brownout_until_s = -1;  // a dip below the reset threshold ends then (-1: none)
  sc_core::sc_time m_brownout_until = sc_core::SC_ZERO_TIME;  // the same, exactly
  sc_core::sc_event m_brownout_end;
  double m_nvm_corrupt_byte = 12;  // offset in a slot's page: the record's first payload byte
  double m_nvm_corrupt_mask = 1;   // the bits flipped there
  std::uint64_t m_nvm_corruptions = 0;
  std::string m_settings_result = "none";
  std::array<models::PhaseTruth, 3> m_truth{};
  sc_core::sc_time m_truth_time = sc_core::SC_ZERO_TIME;
  sc_dt::uint64 m_truth_delta = ~sc_dt::uint64{0};
  std::uint64_t m_truth_sets = 0;
};

}  // namespace amprig
