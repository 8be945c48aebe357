// The firmware application on a fake HAL: DMA halves in, measurements and LEDs out; the
// installation settings in NVM, the reset button, power cycles.
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "app/firmware.h"
#include "board/board.h"
#include "device.h"
#include "fake_hal.h"
#include "printers.h"
#include "settings/settings_store.h"
#include "synthetic.h"
#include "tolerance.h"

namespace amprig::fw {

// Internal linkage: other test files print these their own way.
static std::ostream& operator<<(std::ostream& os, CurrentReason r) { return os << to_string(r); }
static std::ostream& operator<<(std::ostream& os, const InstallationSettings& s) {
  os << "{fuse_a " << s.fuse_a << ", network " << static_cast<int>(s.network)
     << ", supply_voltage_v " << s.supply_voltage_v << ", scheme";
  for (int k = 0; k < kPhases; ++k) {
    os << ' ' << (s.scheme.inverted[k] ? "-" : "") << 'L' << s.scheme.phase[k] + 1;
  }
  return os << '}';
}

namespace {

using hal::LedColour;
using hal::LedId;
using test::check_close;
using test::deg_to_rad;
using test::kSqrt2;

using test::ag63_config;
using test::Device;
using test::drive;
using test::kFramesPerHalf;
using test::kFs;
using test::kHalfUs;
using test::kSettleUs;
using test::kWindowUs;
using test::Plant;

// The same plant on an IT network (230 V between lines, no neutral): each voltage input carries
// its line against the star point of the wired inputs' dividers, so with L1, L2 and L3 wired the
// star voltages (132.8 V, U12 at 0 deg), with L1 and L2 only +-U12 / 2 and 0 on the third.
// `plant.load_deg` is each current's angle from its line's star voltage.
void drive_it(test::SignalGenerator& gen, const FirmwareConfig& config, const Plant& plant,
              bool l1_l2_only) {
  constexpr double kCtLeadDeg = 0.8;
  const double star_v = plant.voltage_v / std::sqrt(3.0);
  const double star_deg[kPhases] = {-30.0, -150.0, 90.0};
  for (int k = 0; k < kPhases; ++k) {
    const double gain_v = config.metering.voltage[k].gain;
    const double gain_i = config.metering.current[k].gain;
    double amplitude_v = star_v;
    double deg = star_deg[k];
    if (l1_l2_only) {
      amplitude_v = k < 2 ? plant.voltage_v / 2.0 : 0.0;
      deg = k == 0 ? 0.0 : 180.0;
    }
    gen.channel[hal::kV1 + k].amplitude_codes = amplitude_v * kSqrt2 / gain_v;
    gen.channel[hal::kV1 + k].phase_deg = deg;
    const int g = plant.ct_phase[k];
    gen.channel[hal::kI1 + k].amplitude_codes = plant.current_a[g] * kSqrt2 / gain_i;
    gen.channel[hal::kI1 + k].phase_deg =
        star_deg[g] + plant.load_deg + kCtLeadDeg + (plant.ct_reversed[k] ? 180.0 : 0.0);
  }
}

// Long enough for the first window (0.2 s) and its verdict to settle, with a window to spare.
constexpr std::uint64_t kSettledUs = kWindowUs + kSettleUs + 2 * kWindowUs;

bool same_scheme(const CurrentScheme& a, const CurrentScheme& b) {
  for (int k = 0; k < kPhases; ++k) {
    if (a.phase[k] != b.phase[k] || a.inverted[k] != b.inverted[k]) return false;
  }
  return true;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(firmware)

BOOST_AUTO_TEST_CASE(metering_config_for_ag63) {
  const MeteringConfig c = metering_config_for(board_design(Variant::ag63), kFs);
  // 3.3 V / 2^16 = 50.354 uV per code.
  // Voltage: divider 2.4 k / (1 M + 2.4 k) = 2.394e-3, so 50.354e-6 * 1002400 / 2400
  //          = 0.021031188964 V per code.
  // Current: 50.354e-6 / 27 ohm * (63 A / 30 mA = 2100) = 3.916422526e-3 A per code.
  for (int p = 0; p < kPhases; ++p) {
    BOOST_TEST(c.voltage[p].gain == 0.02103118896484375, boost::test_tools::tolerance(1e-6));
    BOOST_TEST(c.current[p].gain == 0.003916422526041667, boost::test_tools::tolerance(1e-6));
    BOOST_TEST(c.voltage[p].phase_deg == 0.0f);
    BOOST_TEST(c.current[p].phase_deg == 0.8f);
  }
  BOOST_TEST(c.sample_rate_hz == kFs);
  BOOST_TEST(c.nominal_frequency_hz == 50.0f);
}

BOOST_AUTO_TEST_CASE(start_rejects_bad_dma_sizes) {
  for (std::uint32_t frames : {0u, kMaxDmaFramesPerHalf + 1}) {
    Device d;
    FirmwareConfig config = ag63_config();
    config.dma_frames_per_half = frames;
    BOOST_TEST(d.firmware.start(config) == Status::invalid_argument);
    BOOST_TEST(d.hal.adc.starts == 0);
    BOOST_TEST(!d.firmware.running());
    BOOST_TEST(d.hal.leds.events.empty());
  }
}

BOOST_AUTO_TEST_CASE(start_reports_a_failing_adc) {
  Device d;
  d.hal.adc.start_status = Status::unavailable;
  BOOST_TEST(d.firmware.start(ag63_config()) == Status::unavailable);
  BOOST_TEST(!d.firmware.running());
}

BOOST_AUTO_TEST_CASE(start_runs_the_dma_and_lights_the_logo) {
  Device d;
  BOOST_REQUIRE(d.firmware.start(ag63_config()) == Status::ok);
  BOOST_TEST(d.firmware.running());
  BOOST_TEST(d.hal.adc.starts == 1);
  BOOST_TEST(d.hal.adc.config.sample_rate_hz == kFs);
  BOOST_TEST(d.hal.adc.config.channels == hal::kAdcChannels);
  BOOST_TEST(d.hal.adc.buffer.size() == 2u * kFramesPerHalf * hal::kAdcChannels);
  BOOST_TEST(d.hal.adc.client == static_cast<hal::AdcDmaClient*>(&d.firmware));
  BOOST_TEST(d.firmware.start(ag63_config()) == Status::failed_precondition);

  BOOST_REQUIRE_EQUAL(d.hal.leds.events.size(), 4u);
  BOOST_TEST(d.hal.leds.state(LedId::logo) == LedColour::on);
  BOOST_TEST(d.hal.leds.state(LedId::comm) == LedColour::off);
  BOOST_TEST(d.hal.leds.state(LedId::voltage) == LedColour::off);
  BOOST_TEST(d.hal.leds.state(LedId::current) == LedColour::off);
  d.firmware.poll();
  BOOST_TEST(d.hal.leds.events.size() == 4u);  // nothing changed, nothing sent
}

BOOST_AUTO_TEST_CASE(dma_halves_become_measurements_and_light_the_leds) {
  Device d;
  const FirmwareConfig config = ag63_config();
  BOOST_REQUIRE(d.firmware.start(config) == Status::ok);
  const double gain_v = config.metering.voltage[0].gain;
  const double gain_i = config.metering.current[0].gain;

  // 230 V, 16 A lagging 20 deg, seen through CTs that lead by their nominal 0.8 deg.
  const double v = 230.0, i = 16.0, lag_deg = 20.0, ct_lead_deg = 0.8;
  test::SignalGenerator gen(50.0, kFs);
  for (int p = 0; p < kPhases; ++p) {
    gen.channel[hal::kV1 + p].amplitude_codes = v * kSqrt2 / gain_v;
    gen.channel[hal::kV1 + p].phase_deg = -120.0 * p;
    gen.channel[hal::kI1 + p].amplitude_codes = i * kSqrt2 / gain_i;
    gen.channel[hal::kI1 + p].phase_deg = -120.0 * p - lag_deg + ct_lead_deg;
  }
  d.run(gen, 160);  // 1.6 s
  BOOST_REQUIRE_EQUAL(gen.clipped(), 0u);

  const Measurements& m = d.firmware.measurements();
  BOOST_TEST(m.window_count >= 4u);
  BOOST_TEST(m.synchronised);
  const double p_expected = v * i * std::cos(deg_to_rad(lag_deg));
  for (int p = 0; p < kPhases; ++p) {
    BOOST_TEST_CONTEXT("phase " << p + 1) {
      check_close(m.phase[p].voltage_v, v, test::rms_tolerance(gain_v, v), "voltage_v");
      check_close(m.phase[p].current_a, i, test::rms_tolerance(gain_i, i), "current_a");
      check_close(m.phase[p].power_w, p_expected, test::power_tolerance(gain_v, gain_i, v, i),
                  "power_w");
      check_close(m.phase[p].reactive_var, v * i * std::sin(deg_to_rad(lag_deg)),
                  test::power_tolerance(gain_v, gain_i, v, i, 0.71), "reactive_var");
    }
  }

  // The voltage and current LEDs turned green once each, when the first window's verdict (0.2 s)
  // had held for the settle time: at the first window at or after 1.2 s.
  BOOST_TEST(d.hal.leds.state(LedId::logo) == LedColour::on);
  BOOST_TEST(d.hal.leds.state(LedId::voltage) == LedColour::green);
  BOOST_TEST(d.hal.leds.state(LedId::current) == LedColour::green);
  BOOST_REQUIRE_EQUAL(d.events_of(LedId::voltage), 2);  // off at start, then green
  BOOST_REQUIRE_EQUAL(d.events_of(LedId::current), 2);
  for (const auto& e : d.hal.leds.events) {
    if (e.led != LedId::voltage && e.led != LedId::current) continue;
    if (e.colour == LedColour::off) continue;
    BOOST_TEST_CONTEXT(e.led) {
      BOOST_TEST(e.time_us >= kWindowUs + kSettleUs);
      BOOST_TEST(e.time_us <= kWindowUs + kSettleUs + kWindowUs + kHalfUs);
    }
  }
  BOOST_TEST(d.events_of(LedId::logo) == 1);
  BOOST_TEST(d.events_of(LedId::comm) == 1);
}

BOOST_AUTO_TEST_CASE(no_voltage_leaves_the_voltage_led_off) {
  Device d;
  BOOST_REQUIRE(d.firmware.start(ag63_config()) == Status::ok);
  test::SignalGenerator gen(50.0, kFs);
  gen.channel[hal::kI1].amplitude_codes = 5000.0;
  d.run(gen, 60);
  BOOST_TEST(d.firmware.measurements().window_count >= 2u);
  BOOST_TEST(d.hal.leds.state(LedId::voltage) == LedColour::off);
  BOOST_TEST(d.events_of(LedId::voltage) == 1);
}

BOOST_AUTO_TEST_CASE(stop_stops_the_dma_and_darkens_the_leds) {
  Device d;
  BOOST_REQUIRE(d.firmware.start(ag63_config()) == Status::ok);
  test::SignalGenerator gen(50.0, kFs);
  gen.channel[hal::kV1].amplitude_codes = 230.0 * kSqrt2 / 0.021;
  d.run(gen, 160);
  BOOST_REQUIRE(d.hal.leds.state(LedId::voltage) == LedColour::green);
  const std::uint32_t windows = d.firmware.measurements().window_count;

  d.hal.clock.advance_us(1234);
  d.firmware.stop();
  BOOST_TEST(!d.firmware.running());
  BOOST_TEST(d.hal.adc.stops == 1);
  for (LedId led : {LedId::logo, LedId::comm, LedId::voltage, LedId::current}) {
    BOOST_TEST(d.hal.leds.state(led) == LedColour::off);
  }
  BOOST_TEST(d.hal.leds.events.back().time_us == d.hal.clock.now_us());
  // A late interrupt after stop() is ignored.
  d.firmware.on_half_complete();
  d.firmware.on_full_complete();
  d.firmware.poll();
  BOOST_TEST(d.firmware.measurements().window_count == windows);
  BOOST_TEST(d.hal.leds.state(LedId::logo) == LedColour::off);
}

BOOST_AUTO_TEST_CASE(leds_follow_the_settled_diagnosis) {
  struct Case {
    const char* name;
    Plant plant;
    bool cartridge;
    LedColour voltage;
    LedColour current;
    CurrentReason reason;
  };
  Plant right;
  Plant swapped = right;
  swapped.ct_phase[0] = 1;
  swapped.ct_phase[1] = 0;
  Plant reversed = right;
  reversed.ct_reversed[2] = true;
  Plant negative_sequence = right;  // L1-L3-L2 upstream: the CTs still pair with their voltages
  negative_sequence.mains_deg[1] = 120.0;
  negative_sequence.mains_deg[2] = -120.0;
  Plant low = right;
  for (double& a : low.current_a) a = 1.5;
  Plant no_voltage = right;
  no_voltage.voltage_wired = false;
  const Case cases[] = {
      {"right", right, true, LedColour::green, LedColour::green, CurrentReason::ok},
      {"swapped", swapped, true, LedColour::green, LedColour::red, CurrentReason::wrong_sequence},
      {"reversed", reversed, true, LedColour::green, LedColour::red, CurrentReason::wrong_sequence},
      {"negative sequence", negative_sequence, true, LedColour::red, LedColour::green,
       CurrentReason::ok},
      {"low current", low, true, LedColour::green, LedColour::red, CurrentReason::low_current},
      {"no cartridge", right, false, LedColour::green, LedColour::off,
       CurrentReason::not_connected},
      // Without V1 the CT placement cannot be judged: nothing contradicts it.
      {"no voltage", no_voltage, true, LedColour::off, LedColour::green, CurrentReason::ok},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      Device d;
      d.hal.cartridge.is_present = c.cartridge;
      const FirmwareConfig config = ag63_config();
      BOOST_REQUIRE(d.firmware.start(config) == Status::ok);
      test::SignalGenerator gen(50.0, kFs);
      drive(gen, config, c.plant);
      d.run_us(gen, kSettledUs);
      BOOST_TEST(d.hal.leds.state(LedId::logo) == LedColour::on);
      BOOST_TEST(d.hal.leds.state(LedId::comm) == LedColour::off);
      BOOST_TEST(d.hal.leds.state(LedId::voltage) == c.voltage);
      BOOST_TEST(d.hal.leds.state(LedId::current) == c.current);
      BOOST_TEST(std::string(to_string(d.firmware.diagnosis().current)) == to_string(c.reason));
      // One change from dark at most: no flicker on the way.
      BOOST_TEST(d.events_of(LedId::voltage) <= 2);
      BOOST_TEST(d.events_of(LedId::current) <= 2);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_fault_appearing_at_runtime_turns_the_led_red_after_settling) {
  Device d;
  const FirmwareConfig config = ag63_config();
  BOOST_REQUIRE(d.firmware.start(config) == Status::ok);
  test::SignalGenerator gen(50.0, kFs);
  Plant plant;
  drive(gen, config, plant);
  d.run_us(gen, kSettledUs);
  BOOST_REQUIRE(d.hal.leds.state(LedId::current) == LedColour::green);
  const std::uint64_t fault_us = d.hal.clock.now_us();
  plant.ct_reversed[1] = true;
  drive(gen, config, plant);
  d.run_us(gen, kSettledUs);
  BOOST_TEST(d.hal.leds.state(LedId::current) == LedColour::red);
  BOOST_TEST(d.firmware.diagnosis().ct[1].reversed);
  const auto events = d.events_since(fault_us);
  BOOST_REQUIRE_EQUAL(events.size(), 1u);
  BOOST_TEST(events[0].led == LedId::current);
  // The window that first shows the fault ends within a window; its verdict holds 1 s.
  BOOST_TEST(events[0].time_us >= fault_us + kSettleUs);
  BOOST_TEST(events[0].time_us <= fault_us + 2 * kWindowUs + kSettleUs + kHalfUs);
}

BOOST_AUTO_TEST_CASE(reset_button_darkens_every_led_then_boots_again) {
  Device d;
  const FirmwareConfig config = ag63_config();
  InstallationSettings settings;
  settings.fuse_a = 35.0f;
  BOOST_REQUIRE(d.firmware.start(config) == Status::ok);
  BOOST_REQUIRE(d.firmware.apply_settings(settings).status == Status::ok);
  test::SignalGenerator gen(50.0, kFs);
  drive(gen, config, Plant{});
  d.run_us(gen, kSettledUs);
  BOOST_REQUIRE(d.hal.leds.state(LedId::voltage) == LedColour::green);
  BOOST_REQUIRE(d.hal.leds.state(LedId::current) == LedColour::green);
  BOOST_REQUIRE(d.firmware.measurements().phase[0].energy_import_mj > 0);

  const std::uint64_t press_us = d.hal.clock.now_us();
  d.hal.button.is_pressed = true;
  d.run_us(gen, 100'000);
  d.hal.button.is_pressed = false;
  d.run_us(gen, kResetDarkUs + kSettledUs);

  const auto events = d.events_since(press_us);
  // Dark: logo, voltage and current off at once (comm was off already), on the press edge
  // once it has held 50 ms (seen at the first poll, then held until a poll 50 ms later).
  BOOST_REQUIRE_GE(events.size(), 3u);
  const std::uint64_t dark_us = events[0].time_us;
  BOOST_TEST(dark_us >= press_us + 50'000);
  BOOST_TEST(dark_us <= press_us + 50'000 + 2 * kHalfUs);
  std::size_t k = 0;
  for (; k < events.size() && events[k].time_us == dark_us; ++k) {
    BOOST_TEST(events[k].colour == LedColour::off);
  }
  BOOST_TEST(k == 3u);
  // Nothing lights until kResetDarkUs has passed, then the boot lights the logo.
  BOOST_REQUIRE_LT(k, events.size());
  BOOST_TEST(events[k].led == LedId::logo);
  BOOST_TEST(events[k].colour == LedColour::on);
  BOOST_TEST(events[k].time_us >= dark_us + kResetDarkUs);
  BOOST_TEST(events[k].time_us <= dark_us + kResetDarkUs + kHalfUs);
  BOOST_TEST(d.hal.leds.state(LedId::logo) == LedColour::on);
  BOOST_TEST(d.hal.leds.state(LedId::voltage) == LedColour::green);
  BOOST_TEST(d.hal.leds.state(LedId::current) == LedColour::green);

  BOOST_TEST(d.hal.adc.stops == 1);
  BOOST_TEST(d.hal.adc.starts == 2);
  BOOST_TEST(d.firmware.running());
  BOOST_TEST(d.firmware.settings() == settings);  // configuration kept
  // Measurements restarted, and the RAM-only energy registers with them: no more than the
  // windows since the boot can hold (16 A x 230 V x cos 20 deg for at most 1.6 s).
  const Measurements& m = d.firmware.measurements();
  BOOST_TEST(m.window_count <= (kSettledUs + kHalfUs) / kWindowUs);
  BOOST_TEST(m.phase[0].energy_import_mj < 230.0 * 16.0 * 1.6 * 1000.0);
}

BOOST_AUTO_TEST_CASE(reset_button_bounce_and_a_held_button_do_not_reboot_again) {
  Device d;
  const FirmwareConfig config = ag63_config();
  BOOST_REQUIRE(d.firmware.start(config) == Status::ok);
  test::SignalGenerator gen(50.0, kFs);
  drive(gen, config, Plant{});
  d.run_us(gen, kSettledUs);
  // 30 ms of contact is bounce, not a press.
  d.hal.button.is_pressed = true;
  d.run_us(gen, 30'000);
  d.hal.button.is_pressed = false;
  d.run_us(gen, 500'000);
  BOOST_TEST(d.hal.adc.stops == 0);
  BOOST_TEST(d.hal.leds.state(LedId::logo) == LedColour::on);
  // Held down for 5 s: one reboot, not one per kResetDarkUs.
  d.hal.button.is_pressed = true;
  d.run_us(gen, 5'000'000);
  BOOST_TEST(d.hal.adc.stops == 1);
  BOOST_TEST(d.hal.adc.starts == 2);
  BOOST_TEST(d.hal.leds.state(LedId::logo) == LedColour::on);
  // Released and pressed again: a second reboot.
  d.hal.button.is_pressed = false;
  d.run_us(gen, 100'000);
  d.hal.button.is_pressed = true;
  d.run_us(gen, 100'000);
  BOOST_TEST(d.hal.adc.stops == 2);
}

BOOST_AUTO_TEST_CASE(power_on_without_stored_settings_uses_the_defaults_and_warns) {
  Device d;
  BOOST_REQUIRE(d.firmware.start(ag63_config()) == Status::ok);
  BOOST_TEST(d.firmware.settings() == InstallationSettings{});
  BOOST_TEST(d.hal.log.warnings == 1);
}

BOOST_AUTO_TEST_CASE(power_on_with_settings_invalid_for_the_variant_uses_the_defaults) {
  Device d;
  InstallationSettings it;
  it.network = NetworkType::it;  // ag63 only
  BOOST_REQUIRE(check_settings(it, board_design(Variant::ag63)) == nullptr);
  BOOST_REQUIRE(check_settings(it, board_design(Variant::home100)) != nullptr);
  SettingsStore store(d.hal.nvm);
  BOOST_REQUIRE(store.save(it) == Status::ok);
  FirmwareConfig config = ag63_config();
  config.variant = Variant::home100;
  config.metering = metering_config_for(board_design(Variant::home100), kFs);
  BOOST_REQUIRE(d.firmware.start(config) == Status::ok);
  BOOST_TEST(d.firmware.settings() == InstallationSettings{});
  BOOST_TEST(d.hal.log.warnings == 1);
}

BOOST_AUTO_TEST_CASE(valid_settings_are_stored_and_a_new_boot_uses_them) {
  Device d;
  BOOST_REQUIRE(d.firmware.start(ag63_config()) == Status::ok);
  InstallationSettings s;
  s.fuse_a = 32.0f;
  s.supply_voltage_v = 240.0f;
  s.scheme.phase[0] = 2;
  s.scheme.phase[2] = 0;
  s.scheme.inverted[1] = true;
  const SettingsResult r = d.firmware.apply_settings(s);
  BOOST_TEST(r.status == Status::ok);
  BOOST_TEST(r.reason == nullptr);
  BOOST_TEST(d.firmware.settings() == s);

  // Power cycle: a new Firmware (fresh RAM) on the same NVM.
  d.firmware.stop();
  Firmware second(d.hal.hal());
  BOOST_REQUIRE(second.start(ag63_config()) == Status::ok);
  BOOST_TEST(second.settings() == s);
}

BOOST_AUTO_TEST_CASE(invalid_settings_are_rejected_with_a_reason_and_never_stored) {
  Device d;
  BOOST_REQUIRE(d.firmware.start(ag63_config()) == Status::ok);
  InstallationSettings good;
  good.fuse_a = 40.0f;
  BOOST_REQUIRE(d.firmware.apply_settings(good).status == Status::ok);
  const std::vector<std::uint8_t> nvm_before = d.hal.nvm.contents();
  const int writes_before = d.hal.nvm.writes + d.hal.nvm.erases;

  InstallationSettings bad_fuse = good;
  bad_fuse.fuse_a = 0.0f;
  InstallationSettings bad_scheme = good;
  bad_scheme.scheme.phase[1] = 0;  // L1 twice
  InstallationSettings bad_voltage = good;
  bad_voltage.supply_voltage_v = 400.0f;
  for (const InstallationSettings& bad : {bad_fuse, bad_scheme, bad_voltage}) {
    const SettingsResult r = d.firmware.apply_settings(bad);
    BOOST_TEST(r.status == Status::invalid_argument);
    BOOST_REQUIRE(r.reason != nullptr);
    BOOST_TEST(std::string(r.reason) == check_settings(bad, board_design(Variant::ag63)));
    BOOST_TEST(d.firmware.settings() == good);
  }
  BOOST_TEST(d.hal.nvm.writes + d.hal.nvm.erases == writes_before);
  BOOST_TEST((d.hal.nvm.contents() == nvm_before));
}

BOOST_AUTO_TEST_CASE(settings_that_cannot_be_stored_are_not_applied) {
  Device d;
  BOOST_REQUIRE(d.firmware.start(ag63_config()) == Status::ok);
  d.hal.nvm.write_status = Status::data_loss;
  InstallationSettings s;
  s.fuse_a = 50.0f;
  const SettingsResult r = d.firmware.apply_settings(s);
  BOOST_TEST(r.status == Status::data_loss);
  BOOST_REQUIRE(r.reason != nullptr);
  BOOST_TEST(std::string(r.reason) == "could not store the settings");
  BOOST_TEST(d.firmware.settings() == InstallationSettings{});
}

BOOST_AUTO_TEST_CASE(factory_reset_restores_the_defaults_through_a_reboot) {
  Device d;
  const FirmwareConfig config = ag63_config();
  BOOST_REQUIRE(d.firmware.start(config) == Status::ok);
  InstallationSettings s;
  s.fuse_a = 50.0f;
  s.scheme.phase[0] = 1;
  s.scheme.phase[1] = 0;
  BOOST_REQUIRE(d.firmware.apply_settings(s).status == Status::ok);
  test::SignalGenerator gen(50.0, kFs);
  drive(gen, config, Plant{});
  d.run_us(gen, kSettledUs);

  const std::uint64_t reset_us = d.hal.clock.now_us();
  BOOST_TEST(d.firmware.factory_reset() == Status::ok);
  BOOST_TEST(d.firmware.settings() == InstallationSettings{});
  BOOST_TEST(d.hal.leds.state(LedId::logo) == LedColour::off);
  d.run_us(gen, kResetDarkUs + kSettledUs);
  BOOST_TEST(d.firmware.settings() == InstallationSettings{});
  BOOST_TEST(d.hal.leds.state(LedId::logo) == LedColour::on);
  BOOST_TEST(d.hal.adc.starts == 2);
  const auto events = d.events_since(reset_us);
  BOOST_REQUIRE(!events.empty());
  BOOST_TEST(events.front().time_us == reset_us);

  // Erased: the next power-on finds nothing stored either.
  d.firmware.stop();
  Firmware second(d.hal.hal());
  BOOST_REQUIRE(second.start(config) == Status::ok);
  BOOST_TEST(second.settings() == InstallationSettings{});
}

BOOST_AUTO_TEST_CASE(power_on_with_a_stored_scheme_measures_through_it) {
  // CTs 1 and 2 clamped on each other's phase; the installer stored the scheme that undoes it.
  Plant plant;
  plant.ct_phase[0] = 1;
  plant.ct_phase[1] = 0;
  InstallationSettings fixed;
  fixed.scheme.phase[0] = 1;
  fixed.scheme.phase[1] = 0;
  const FirmwareConfig config = ag63_config();
  const double gain_i = config.metering.current[0].gain;
  for (bool stored : {false, true}) {
    BOOST_TEST_CONTEXT((stored ? "scheme stored" : "default scheme")) {
      Device d;
      if (stored) {
        SettingsStore store(d.hal.nvm);
        BOOST_REQUIRE(store.save(fixed) == Status::ok);
      }
      BOOST_REQUIRE(d.firmware.start(config) == Status::ok);
      BOOST_TEST(
          same_scheme(d.firmware.settings().scheme, stored ? fixed.scheme : CurrentScheme{}));
      test::SignalGenerator gen(50.0, kFs);
      drive(gen, config, plant);
      d.run_us(gen, kSettledUs);
      const Measurements& m = d.firmware.measurements();
      // L1 carries 16 A, L2 12 A: the scheme puts each on its own phase.
      const double l1_a = stored ? plant.current_a[0] : plant.current_a[1];
      check_close(m.phase[0].current_a, l1_a, test::rms_tolerance(gain_i, l1_a), "L1 current_a");
      BOOST_TEST(d.hal.leds.state(LedId::current) == (stored ? LedColour::green : LedColour::red));
    }
  }
}

BOOST_AUTO_TEST_CASE(applying_the_matching_scheme_turns_the_current_led_green) {
  Device d;
  const FirmwareConfig config = ag63_config();
  BOOST_REQUIRE(d.firmware.start(config) == Status::ok);
  Plant plant;
  plant.ct_phase[0] = 1;
  plant.ct_phase[1] = 0;
  plant.ct_reversed[2] = true;
  test::SignalGenerator gen(50.0, kFs);
  drive(gen, config, plant);
  d.run_us(gen, kSettledUs);
  BOOST_REQUIRE(d.hal.leds.state(LedId::current) == LedColour::red);
  const Diagnosis& before = d.firmware.diagnosis();
  BOOST_TEST(before.ct[0].phase == 1);
  BOOST_TEST(before.ct[1].phase == 0);
  BOOST_TEST(before.ct[2].reversed);

  InstallationSettings s;
  s.scheme.phase[0] = 1;
  s.scheme.phase[1] = 0;
  s.scheme.inverted[2] = true;
  const std::uint64_t apply_us = d.hal.clock.now_us();
  BOOST_REQUIRE(d.firmware.apply_settings(s).status == Status::ok);
  d.run_us(gen, kSettledUs);
  BOOST_TEST(d.hal.leds.state(LedId::current) == LedColour::green);
  BOOST_TEST(d.firmware.diagnosis().current == CurrentReason::ok);
  // Straight from red to green: applying settings is no reboot.
  const auto events = d.events_since(apply_us);
  BOOST_REQUIRE_EQUAL(events.size(), 1u);
  BOOST_TEST(events[0].led == LedId::current);
  BOOST_TEST(events[0].colour == LedColour::green);
  BOOST_TEST(d.hal.adc.starts == 1);
  BOOST_TEST(d.firmware.measurements().phase[2].power_w > 0.0f);
}

BOOST_AUTO_TEST_CASE(energy_registers_survive_new_settings_but_not_a_new_scheme) {
  Device d;
  const FirmwareConfig config = ag63_config();
  BOOST_REQUIRE(d.firmware.start(config) == Status::ok);
  test::SignalGenerator gen(50.0, kFs);
  drive(gen, config, Plant{});
  d.run_us(gen, 1'000'000);
  const std::int64_t after_1s_mj = d.firmware.measurements().phase[0].energy_import_mj;
  BOOST_REQUIRE(after_1s_mj > 0);

  InstallationSettings s;
  s.fuse_a = 32.0f;  // same scheme
  BOOST_REQUIRE(d.firmware.apply_settings(s).status == Status::ok);
  BOOST_TEST(d.firmware.measurements().window_count == 0u);  // measurements restarted
  BOOST_TEST(d.firmware.measurements().phase[0].energy_import_mj == after_1s_mj);
  d.run_us(gen, 1'000'000);
  BOOST_TEST(d.firmware.measurements().phase[0].energy_import_mj > after_1s_mj);

  s.scheme.phase[1] = 2;
  s.scheme.phase[2] = 1;
  BOOST_REQUIRE(d.firmware.apply_settings(s).status == Status::ok);
  BOOST_TEST(d.firmware.measurements().phase[0].energy_import_mj == 0);
}

BOOST_AUTO_TEST_CASE(power_cycle_is_a_cold_boot) {
  Device d;
  const FirmwareConfig config = ag63_config();
  BOOST_REQUIRE(d.firmware.start(config) == Status::ok);
  test::SignalGenerator gen(50.0, kFs);
  drive(gen, config, Plant{});
  d.run_us(gen, kSettledUs);
  BOOST_REQUIRE(d.hal.leds.state(LedId::current) == LedColour::green);
  d.firmware.stop();
  const std::size_t events_at_stop = d.hal.leds.events.size();
  BOOST_REQUIRE(d.firmware.start(config) == Status::ok);
  // Every LED is driven afresh, the voltage and current LEDs dark until a verdict settles.
  BOOST_TEST(d.hal.leds.events.size() == events_at_stop + 4);
  BOOST_TEST(d.firmware.diagnosis().current == CurrentReason::not_connected);
  BOOST_TEST(d.firmware.measurements().window_count == 0u);
  BOOST_TEST(d.firmware.measurements().phase[0].energy_import_mj == 0);
  d.run_us(gen, kSettledUs);
  BOOST_TEST(d.hal.leds.state(LedId::current) == LedColour::green);
}

BOOST_AUTO_TEST_CASE(power_on_with_network_it_stored_measures_line_to_line) {
  InstallationSettings it;
  it.network = NetworkType::it;
  const FirmwareConfig config = ag63_config();
  const double gain_v = config.metering.voltage[0].gain;
  const double gain_i = config.metering.current[0].gain;
  const Plant plant;
  const double line_v = plant.voltage_v, star_v = line_v / std::sqrt(3.0);
  for (bool l1_l2_only : {false, true}) {
    BOOST_TEST_CONTEXT((l1_l2_only ? "L1 L2 only" : "three lines")) {
      Device d;
      SettingsStore store(d.hal.nvm);
      BOOST_REQUIRE(store.save(it) == Status::ok);
      BOOST_REQUIRE(d.firmware.start(config) == Status::ok);
      BOOST_REQUIRE(d.firmware.settings().network == NetworkType::it);
      test::SignalGenerator gen(50.0, kFs);
      drive_it(gen, config, plant, l1_l2_only);
      d.run_us(gen, kSettledUs);
      BOOST_REQUIRE_EQUAL(gen.clipped(), 0u);
      const Measurements& m = d.firmware.measurements();
      BOOST_TEST(m.synchronised);
      // U12 (and U23, U31 when measured) line-to-line; each line's rounding adds 0.5 code.
      const double line_tol = std::fabs(gain_v) + test::kModel * line_v;
      for (int p = 0; p < kPhases; ++p) {
        BOOST_TEST_CONTEXT("phase " << p + 1) {
          if (p == 0 || !l1_l2_only) {
            check_close(m.phase[p].voltage_v, line_v, line_tol, "voltage_v");
          } else {
            BOOST_TEST(m.phase[p].voltage_v == 0.0f);
          }
          // Against the star voltage; when derived from U12 its phasor is off by 0.82 code.
          const double i = plant.current_a[p];
          const double tol =
              l1_l2_only ? std::fabs(gain_v * gain_i) *
                                   (0.82 * i / gain_i + 0.71 * star_v / gain_v + 0.82 * 0.71) +
                               test::kModel * star_v * i
                         : test::power_tolerance(gain_v, gain_i, star_v, i);
          check_close(m.phase[p].power_w, star_v * i * std::cos(deg_to_rad(plant.load_deg)), tol,
                      "power_w");
        }
      }
      BOOST_TEST(d.hal.leds.state(LedId::voltage) == LedColour::green);
      BOOST_TEST(d.hal.leds.state(LedId::current) == LedColour::green);
      BOOST_TEST(d.firmware.diagnosis().voltage_present[1] == !l1_l2_only);
    }
  }
}

BOOST_AUTO_TEST_CASE(applying_network_it_switches_the_metering_to_line_to_line) {
  Device d;
  const FirmwareConfig config = ag63_config();
  BOOST_REQUIRE(d.firmware.start(config) == Status::ok);
  const double gain_v = config.metering.voltage[0].gain;
  const Plant plant;
  test::SignalGenerator gen(50.0, kFs);
  drive_it(gen, config, plant, /*l1_l2_only=*/false);
  d.run_us(gen, kSettledUs);
  // Set up as TN, the device reads each input as a phase voltage: the star voltage.
  const double star_v = plant.voltage_v / std::sqrt(3.0);
  check_close(d.firmware.measurements().phase[0].voltage_v, star_v,
              test::rms_tolerance(gain_v, star_v), "V1 as TN");
  InstallationSettings it;
  it.network = NetworkType::it;
  BOOST_REQUIRE(d.firmware.apply_settings(it).status == Status::ok);
  BOOST_TEST(d.firmware.measurements().window_count == 0u);
  d.run_us(gen, kSettledUs);
  check_close(d.firmware.measurements().phase[0].voltage_v, plant.voltage_v,
              std::fabs(gain_v) + test::kModel * plant.voltage_v, "U12 as IT");
  BOOST_TEST(d.hal.leds.state(LedId::current) == LedColour::green);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace amprig::fw
