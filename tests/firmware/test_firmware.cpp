// The firmware application on a fake HAL: DMA halves in, measurements and LEDs out.
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstdint>

#include "app/firmware.h"
#include "board/board.h"
#include "fake_hal.h"
#include "printers.h"
#include "synthetic.h"
#include "tolerance.h"

namespace amprig::fw {
namespace {

using hal::LedColour;
using hal::LedId;
using test::check_close;
using test::deg_to_rad;
using test::kSqrt2;

constexpr std::uint32_t kFs = 6400;
constexpr std::uint32_t kFramesPerHalf = 64;
constexpr std::uint64_t kHalfUs = 1000000ull * kFramesPerHalf / kFs;  // 10 ms

FirmwareConfig ag63_config() {
  FirmwareConfig config;
  config.metering = metering_config_for(board_design(Variant::ag63), kFs);
  config.dma_frames_per_half = kFramesPerHalf;
  return config;
}

struct Device {
  test::FakeHal hal;
  Firmware firmware{hal.hal()};
  int next_half = 0;

  // Plays the DMA for `halves` halves from `gen`, polling the main loop after each interrupt.
  void run(test::SignalGenerator& gen, int halves) {
    for (int k = 0; k < halves; ++k) {
      const Span<hal::AdcCode> half = hal.adc.half(next_half);
      gen.fill(half.data(), half.size() / hal::kAdcChannels);
      hal.clock.advance_us(kHalfUs);
      hal.adc.complete(next_half);
      next_half ^= 1;
      firmware.poll();
    }
  }

  int events_of(LedId led) const {
    int n = 0;
    for (const auto& e : hal.leds.events) n += e.led == led ? 1 : 0;
    return n;
  }
};

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

BOOST_AUTO_TEST_CASE(dma_halves_become_measurements_and_light_the_voltage_led) {
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
  d.run(gen, 100);  // 1 s
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

  // The voltage LED turned green once, at the first poll after the first window (0.2 s).
  BOOST_TEST(d.hal.leds.state(LedId::logo) == LedColour::on);
  BOOST_TEST(d.hal.leds.state(LedId::voltage) == LedColour::green);
  BOOST_TEST(d.hal.leds.state(LedId::current) == LedColour::off);
  BOOST_REQUIRE_EQUAL(d.events_of(LedId::voltage), 2);  // off at start, then green
  const auto& green = d.hal.leds.events.back();
  BOOST_TEST(green.led == LedId::voltage);
  BOOST_TEST(green.time_us >= 200000u);
  BOOST_TEST(green.time_us <= 200000u + kHalfUs);
  BOOST_TEST(d.events_of(LedId::logo) == 1);
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
  d.run(gen, 40);
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

BOOST_AUTO_TEST_SUITE_END()

}  // namespace amprig::fw
