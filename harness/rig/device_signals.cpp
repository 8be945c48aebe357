// The device's judgement, installation settings, power, buttons and sensor
// cartridge, the LED history, the mains' phase sequence and the PV inverter:
// the signals of the wiring and installation scenarios.
#include <algorithm>
#include <sstream>

#include "rig/rig.h"

namespace amprig {
namespace {

// "L1,L2,L3", "L2,L1,-L3": CT input k measures the k-th phase, '-' inverted.
bool parse_scheme(const std::string& text, fw::CurrentScheme* out) {
  std::stringstream in(text);
  std::string item;
  int k = 0;
  while (std::getline(in, item, ',')) {
    item.erase(std::remove(item.begin(), item.end(), ' '), item.end());
    if (k >= 3) return false;
    const bool inverted = !item.empty() && item[0] == '-';
    if (inverted) item.erase(0, 1);
    if (item.size() != 2 || item[0] != 'L' || item[1] < '1' || item[1] > '3') return false;
    if (out != nullptr) {
      out->phase[k] = static_cast<std::uint8_t>(item[1] - '1');
      out->inverted[k] = inverted;
    }
    ++k;
  }
  return k == 3;
}

std::string format_scheme(const fw::CurrentScheme& scheme) {
  std::string out;
  for (int k = 0; k < 3; ++k) {
    out +=
        std::string(k ? "," : "") + (scheme.inverted[k] ? "-" : "") + kPhaseNames[scheme.phase[k]];
  }
  return out;
}

std::vector<std::string> sequences() {
  std::vector<std::string> out;
  std::array<int, 3> p{0, 1, 2};
  do {
    out.push_back(std::string(kPhaseNames[p[0]]) + "," + kPhaseNames[p[1]] + "," +
                  kPhaseNames[p[2]]);
  } while (std::next_permutation(p.begin(), p.end()));
  return out;
}

}  // namespace

void Rig::register_device_signals() {
  const auto diagnosis = [this]() -> const fw::Diagnosis& { return m_firmware.diagnosis(); };
  m_signals.add(make_choice("status.voltage_reason", {"ok", "wrong_sequence", "not_connected"},
                            "why the voltage LED shows what it shows", [diagnosis] {
                              return std::string(fw::to_string(diagnosis().voltage));
                            }));
  m_signals.add(
      make_choice("status.current_reason", {"ok", "wrong_sequence", "low_current", "not_connected"},
                  "why the current LED shows what it shows",
                  [diagnosis] { return std::string(fw::to_string(diagnosis().current)); }));
  for (int k = 0; k < 3; ++k) {
    const std::string base = std::string("status.") + kPhaseNames[k] + ".";
    m_signals.add(make_bool(base + "voltage_present", "the firmware sees this phase's voltage",
                            [diagnosis, k] { return diagnosis().voltage_present[k]; }));
    m_signals.add(
        make_choice(base + "ct_phase", {"L1", "L2", "L3", "unknown"},
                    "the grid phase this phase's current really follows, as the firmware judges it",
                    [diagnosis, k] {
                      const int p = diagnosis().ct[k].phase;
                      return std::string(p < 0 ? "unknown" : kPhaseNames[p]);
                    }));
    m_signals.add(make_bool(base + "ct_reversed", "the firmware judges this current reversed",
                            [diagnosis, k] { return diagnosis().ct[k].reversed; }));
    m_signals.add(make_bool(base + "low_current", "too little current to judge its angle",
                            [diagnosis, k] { return diagnosis().ct[k].low_current; }));
  }

  m_signals.add(make_bool(
      "cartridge.present", "the sensor cartridge is plugged in (fault when not)",
      [this] { return m_cartridge.present(); }, [this](bool v) { m_cartridge.set_present(v); },
      true));
  m_signals.add(make_bool(
      "button.reset", "the reset button is held down", [this] { return m_button.pressed(); },
      [this](bool v) { m_button.press(v); }, true));
  m_signals.add(make_choice(
      "device.power", {"on", "off"}, "the device's supply (fault: power cut)",
      [this] { return std::string(m_powered ? "on" : "off"); },
      [this](const std::string& v) {
        m_supply_on = v == "on";
        // Back on during a brown-out: the device starts when the dip ends.
        if (m_supply_on && !m_powered && !in_brownout()) power_on();
        if (!m_supply_on) power_off();
      },
      true));
  Signal power_cut = make_number(
      "nvm.power_cut_after_bytes", "B",
      "arms a power cut after this many more NVM bytes are written (-1: disarmed; fault)",
      [this] { return static_cast<double>(m_nvm.armed_power_cut()); },
      [this](double v) { m_nvm.arm_power_cut(static_cast<long>(v)); }, true, -1, 1e6);
  power_cut.integer = true;
  m_signals.add(std::move(power_cut));
  m_signals.add(make_number("nvm.bytes_programmed", "B", "NVM bytes programmed or erased so far",
                            [this] { return static_cast<double>(m_nvm.bytes_programmed()); }));

  const auto settings = [this]() -> const fw::InstallationSettings& {
    return m_firmware.settings();
  };
  // One field of the Installation tab changed, the others as they are: applied
  // through the firmware as the admin interface does.
  const auto change = [this](const std::function<void(fw::InstallationSettings&)>& edit) {
    fw::InstallationSettings s = m_firmware.settings();
    edit(s);
    apply_settings(s);
  };
  m_signals.add(make_number(
      "settings.fuse_a", "A", "Installation tab: main fuse current limit (set: apply)",
      [settings] { return static_cast<double>(settings().fuse_a); },
      [change](double v) { change([v](auto& s) { s.fuse_a = static_cast<float>(v); }); }));
  m_signals.add(make_number(
      "settings.supply_voltage_v", "V", "Installation tab: supply voltage (set: apply)",
      [settings] { return static_cast<double>(settings().supply_voltage_v); },
      [change](double v) {
        change([v](auto& s) { s.supply_voltage_v = static_cast<float>(v); });
      }));
  m_signals.add(make_choice(
      "settings.network", {"TN", "IT"}, "Installation tab: network type (set: apply)",
      [settings] { return std::string(settings().network == fw::NetworkType::it ? "IT" : "TN"); },
      [change](const std::string& v) {
        change(
            [&v](auto& s) { s.network = v == "IT" ? fw::NetworkType::it : fw::NetworkType::tn; });
      }));
  m_signals.add(make_text(
      "settings.current_scheme", "Lx,Ly,Lz (- inverts)",
      "Installation tab: the grid phase each CT input measures (set: apply)",
      [settings] { return format_scheme(settings().scheme); },
      [change](const std::string& v) { change([&v](auto& s) { parse_scheme(v, &s.scheme); }); },
      [](const std::string& v) { return parse_scheme(v, nullptr); }));
  m_signals.add(make_text("settings.last_result", "", "what became of the last settings change",
                          [this] { return m_settings_result; }));
  m_signals.add(make_bool(
      "system.factory_reset", "System tab: factory reset (set true to press)", [] { return false; },
      [this](bool v) {
        if (v && m_powered) m_firmware.factory_reset();
      }));
  m_signals.add(make_bool(
      "system.reboot", "System tab: reboot (set true to press)", [] { return false; },
      [this](bool v) {
        if (v && m_powered) m_firmware.reboot();
      }));

  const std::pair<const char*, fw::hal::LedId> leds[] = {{"logo", fw::hal::LedId::logo},
                                                         {"comm", fw::hal::LedId::comm},
                                                         {"voltage", fw::hal::LedId::voltage},
                                                         {"current", fw::hal::LedId::current}};
  for (const auto& [led_name, id] : leds) {
    const std::string base = std::string("led.") + led_name + ".";
    const fw::hal::LedId led = id;
    m_signals.add(make_number(base + "changes", "", "colour changes of this LED since the start",
                              [this, led] { return static_cast<double>(m_leds.changes(led)); }));
    m_signals.add(make_number(base + "last_change_s", "s",
                              "when this LED last changed colour (-1: never)",
                              [this, led] { return m_leds.last_change_s(led); }));
  }

  m_signals.add(make_choice(
      "mains.sequence", sequences(), "phase sequence of the mains (fault if not L1,L2,L3)",
      [this] {
        const auto& q = m_mains.config().sequence;
        return std::string(kPhaseNames[q[0]]) + "," + kPhaseNames[q[1]] + "," + kPhaseNames[q[2]];
      },
      [this](const std::string& v) {
        for (int k = 0; k < 3; ++k)
          m_mains.config().sequence[k] = static_cast<models::Phase>(v[3 * k + 1] - '1');
      },
      true));

  for (int k = 0; k < 3; ++k) {
    const auto phase = static_cast<models::Phase>(k);
    const std::string base = std::string("fuse.") + kPhaseNames[k] + ".";
    m_signals.add(make_bool(base + "tripped", "the main fuse of this phase has melted",
                            [this, phase] { return m_fuse.tripped(phase); }));
    m_signals.add(make_number(base + "load_pct", "%",
                              "the way to melting: 0 cold, 100 melted (thermal state)",
                              [this, phase] { return m_fuse.load_pct(phase); }));
  }

  if (m_solar) {
    auto* pv = m_solar.get();
    m_signals.add(make_number(
        "solar.power_w", "W", "PV inverter output; set: a constant output from now on",
        [pv] { return pv->power_w(); },
        [pv](double v) {
          pv->config().profile = models::SolarProfile::constant;
          pv->config().power_w = v;
        },
        false, 0, 1e6));
  }
}

}  // namespace amprig
