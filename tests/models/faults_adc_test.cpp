// The virtual ADC's faults against the codes computed here from the pin voltages: a stuck
// output bit, the front end's reduced swing, missed DMA interrupts, and sample-clock jitter.
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstdint>
#include <vector>

#include "measure.h"
#include "world.h"

using namespace amprig::models;
using namespace amprig::models::test;
using amprig::fw::Status;
using amprig::fw::hal::kAdcChannels;

namespace {

constexpr std::size_t kFrames = 64;  // per half buffer, as the rig's DMA
constexpr double kRateHz = 6400;
constexpr double kLsbPerVolt = 65536 / 3.3;  // 16 bits on 3.3 V
constexpr double kBiasCode = 32768;          // 1.65 V

sc_core::sc_time seconds(double s) { return sc_core::sc_time(s, sc_core::SC_SEC); }

// The ideal code for a pin voltage: round half up, clamped (quiet, no gain or offset error).
unsigned ideal_code(double pin_v) {
  return static_cast<unsigned>(
      std::clamp(std::floor(pin_v * kLsbPerVolt + kBiasCode + 0.5), 0.0, 65535.0));
}

std::uint64_t first_index(const FakeAdcClient::Event& e) {
  return static_cast<std::uint64_t>(std::llround(e.time.to_seconds() * kRateHz)) - kFrames;
}

// Runs `bench` for `duration_s` and returns the halves it delivered.
std::vector<FakeAdcClient::Event> run(AdcBench& bench, double duration_s) {
  FakeAdcClient client(kFrames);
  BOOST_REQUIRE((bench.adc.start({6400, kAdcChannels}, client.span(), client) == Status::ok));
  sc_core::sc_start(seconds(duration_s));
  bench.adc.stop();
  sc_core::sc_start(sc_core::SC_ZERO_TIME);
  return client.events;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(adc_faults)

BOOST_AUTO_TEST_CASE(a_stuck_bit_forces_that_bit_of_every_code) {
  AdcBench& b = world().faults.adc_stuck;
  for (std::size_t c = 0; c < kAdcChannels; ++c) {
    const double hz = 41.0 + static_cast<double>(c);
    b.channels[c].pin_v = [hz](double t) { return 1.5 * std::sin(2 * kPi * hz * t); };
  }
  for (const auto& [bit, value] : {std::pair{5, true}, std::pair{14, false}, std::pair{0, true}}) {
    b.adc.config().stuck_bit = bit;
    b.adc.config().stuck_bit_value = value;
    const auto events = run(b, 0.05);
    BOOST_REQUIRE(events.size() >= 4u);
    const unsigned mask = 1u << bit;
    std::size_t mismatches = 0, changed = 0;
    for (const auto& e : events) {
      const std::uint64_t index0 = first_index(e);
      for (std::size_t k = 0; k < kFrames; ++k) {
        const double t = static_cast<double>(index0 + k) / kRateHz;
        for (std::size_t c = 0; c < kAdcChannels; ++c) {
          const unsigned ideal = ideal_code(b.channels[c].pin_v(t));
          const unsigned expected = value ? ideal | mask : ideal & ~mask;
          mismatches += e.codes[k * kAdcChannels + c] != expected ? 1 : 0;
          changed += expected != ideal ? 1 : 0;
        }
      }
    }
    BOOST_TEST(mismatches == 0u, "bit " << bit);
    BOOST_TEST(changed > 0u, "bit " << bit << " was never wrong by itself");
  }
  b.adc.config().stuck_bit = -1;
  const auto events = run(b, 0.02);
  std::size_t mismatches = 0;
  for (const auto& e : events) {
    for (std::size_t k = 0; k < kFrames; ++k) {
      const double t = static_cast<double>(first_index(e) + k) / kRateHz;
      mismatches += e.codes[k * kAdcChannels] != ideal_code(b.channels[0].pin_v(t)) ? 1 : 0;
    }
  }
  BOOST_TEST(mismatches == 0u);
}

BOOST_AUTO_TEST_CASE(the_front_end_clips_at_its_reduced_swing) {
  AdcBench& b = world().faults.adc_clip;
  // 3000 LSB peak against a swing of +-1000 LSB: clipped while |sin| > 1/3.
  const double peak_v = 3000 / kLsbPerVolt;
  for (std::size_t c = 0; c < kAdcChannels; ++c) {
    b.channels[c].pin_v = [peak_v, c](double t) {
      return peak_v * std::sin(2 * kPi * 50 * t + 0.3 * static_cast<double>(c));
    };
  }
  b.adc.config().clip_lsb = 1000;
  const std::uint64_t clipped_before = b.adc.clipped_samples();
  const auto events = run(b, 0.1);
  std::size_t mismatches = 0, expected_clipped = 0;
  unsigned lowest = 65535, highest = 0;
  for (const auto& e : events) {
    for (std::size_t k = 0; k < kFrames; ++k) {
      const double t = static_cast<double>(first_index(e) + k) / kRateHz;
      for (std::size_t c = 0; c < kAdcChannels; ++c) {
        const double lsb = b.channels[c].pin_v(t) * kLsbPerVolt;
        expected_clipped += std::abs(lsb) > 1000 ? 1 : 0;
        const double held = std::clamp(lsb, -1000.0, 1000.0);
        const unsigned code = e.codes[k * kAdcChannels + c];
        // Away from the clip level the model's volts-then-LSB arithmetic may round differently.
        const double x = held + kBiasCode + 0.5;
        const bool edge = std::abs(x - std::round(x)) < 1e-6;
        if (!edge && code != static_cast<unsigned>(std::floor(x))) ++mismatches;
        lowest = std::min(lowest, code);
        highest = std::max(highest, code);
      }
    }
  }
  BOOST_TEST(mismatches == 0u);
  BOOST_TEST(highest == 32768u + 1000u);
  BOOST_TEST(lowest == 32768u - 1000u);
  BOOST_TEST(b.adc.clipped_samples() - clipped_before == expected_clipped);
  // Closed form of the share clipped: 1 - (2/pi) asin(1/3) = 78.4 %.
  const double share = static_cast<double>(expected_clipped) /
                       static_cast<double>(events.size() * kFrames * kAdcChannels);
  BOOST_TEST(std::abs(share - (1 - 2 / kPi * std::asin(1.0 / 3))) < 0.01, "share " << share);
  b.adc.config().clip_lsb = 0;
}

BOOST_AUTO_TEST_CASE(dropped_buffers_never_reach_the_firmware_and_are_counted) {
  AdcBench& b = world().faults.adc_drop;
  for (std::size_t c = 0; c < kAdcChannels; ++c) {
    b.channels[c].pin_v = [](double t) { return 0.5 * std::sin(2 * kPi * 50 * t); };
  }
  FakeAdcClient client(kFrames);
  BOOST_REQUIRE((b.adc.start({6400, kAdcChannels}, client.span(), client) == Status::ok));
  const auto start_index =
      static_cast<std::uint64_t>(std::ceil(sc_core::sc_time_stamp().to_seconds() * kRateHz - 1e-6));
  sc_core::sc_start(seconds(0.035));  // halves at 10, 20 and 30 ms
  BOOST_REQUIRE(client.events.size() == 3u);
  b.adc.drop_buffers(3);
  BOOST_TEST(b.adc.buffers_to_drop() == 3u);
  sc_core::sc_start(seconds(0.1));  // halves 4..13: 4, 5 and 6 dropped
  b.adc.stop();
  sc_core::sc_start(sc_core::SC_ZERO_TIME);
  BOOST_TEST(b.adc.dropped_buffers() == 3u);
  BOOST_TEST(b.adc.buffers_to_drop() == 0u);
  BOOST_REQUIRE(client.events.size() == 13u - 3u);
  BOOST_TEST(b.adc.samples_delivered() == 10u * kFrames);
  std::size_t mismatches = 0;
  for (std::size_t j = 0; j < client.events.size(); ++j) {
    const auto& e = client.events[j];
    const std::size_t half = j < 3 ? j : j + 3;  // the DMA's own count of halves
    BOOST_TEST(e.full == (half % 2 == 1), "event " << j);
    BOOST_TEST(first_index(e) == start_index + half * kFrames, "event " << j);
    // Each delivered half holds the samples of its own instants.
    for (std::size_t k = 0; k < kFrames; ++k) {
      const double t = static_cast<double>(first_index(e) + k) / kRateHz;
      mismatches += e.codes[k * kAdcChannels] != ideal_code(0.5 * std::sin(2 * kPi * 50 * t));
    }
  }
  BOOST_TEST(mismatches == 0u);
}

BOOST_AUTO_TEST_CASE(clock_jitter_adds_the_slope_times_the_timing_error) {
  // 20000 LSB peak at 50 Hz, 2 us RMS of jitter: the error is the slope times a Gaussian
  // timing error, RMS = A w sigma / sqrt2 = 20000 * 314.16 * 2e-6 / sqrt2 = 8.886 LSB, and the
  // rounding adds 1/12 LSB^2 of its own. The standard error of an RMS over N samples of
  // (slope * Irwin-Hall) is about rms * sqrt((kurtosis - 1) / N) / 2 with kurtosis
  // 1.5 * 2.7 = 4.05 (a sine's slope squared has kurtosis 1.5): 0.45 % for 2 s of one channel
  // (12800 samples); bound at 5 sigma, 2.3 %.
  FaultBenches& f = world().faults;
  const double peak_v = 20000 / kLsbPerVolt;
  const auto wave = [peak_v](double t) { return peak_v * std::sin(2 * kPi * 50 * t); };
  for (AdcBench* bench : {&f.adc_jitter, &f.adc_jitter_twin, &f.adc_jitter_off}) {
    for (auto& ch : bench->channels) ch.pin_v = wave;
    bench->adc.config().seed = 11;
  }
  f.adc_jitter.adc.config().clock_jitter_ns = 2000;
  f.adc_jitter_twin.adc.config().clock_jitter_ns = 2000;
  FakeAdcClient jittered(kFrames), twin(kFrames), steady(kFrames);
  const amprig::fw::hal::AdcConfig config{6400, kAdcChannels};
  BOOST_REQUIRE((f.adc_jitter.adc.start(config, jittered.span(), jittered) == Status::ok));
  BOOST_REQUIRE((f.adc_jitter_twin.adc.start(config, twin.span(), twin) == Status::ok));
  BOOST_REQUIRE((f.adc_jitter_off.adc.start(config, steady.span(), steady) == Status::ok));
  sc_core::sc_start(seconds(2.0));
  for (AdcBench* bench : {&f.adc_jitter, &f.adc_jitter_twin, &f.adc_jitter_off}) bench->adc.stop();
  sc_core::sc_start(sc_core::SC_ZERO_TIME);
  BOOST_REQUIRE(jittered.events.size() >= 199u);

  std::vector<double> error;
  std::size_t channels_differ = 0, steady_mismatches = 0;
  for (std::size_t j = 0; j < jittered.events.size(); ++j) {
    const auto& e = jittered.events[j];
    for (std::size_t k = 0; k < kFrames; ++k) {
      const double t = static_cast<double>(first_index(e) + k) / kRateHz;
      const double ideal = wave(t) * kLsbPerVolt + kBiasCode;
      error.push_back(static_cast<double>(e.codes[k * kAdcChannels]) - ideal);
      // One clock: every channel of a frame took its sample at the same jittered instant.
      for (std::size_t c = 1; c < kAdcChannels; ++c) {
        channels_differ += e.codes[k * kAdcChannels + c] != e.codes[k * kAdcChannels] ? 1 : 0;
      }
      steady_mismatches += steady.events[j].codes[k * kAdcChannels] != ideal_code(wave(t)) ? 1 : 0;
    }
  }
  const double expected = std::sqrt(std::pow(20000 * 2 * kPi * 50 * 2e-6, 2) / 2 + 1.0 / 12);
  BOOST_TEST(relative_error(rms(error), expected) < 0.023,
             "rms " << rms(error) << " LSB, expected " << expected);
  BOOST_TEST(std::abs(mean(error)) < 5 * expected / std::sqrt(static_cast<double>(error.size())));
  BOOST_TEST(channels_differ == 0u);
  BOOST_TEST(steady_mismatches == 0u);  // no jitter: the ideal codes exactly
  // The same seed, the same jitter.
  BOOST_REQUIRE(twin.events.size() == jittered.events.size());
  std::size_t twin_differ = 0;
  for (std::size_t j = 0; j < twin.events.size(); ++j) {
    twin_differ += twin.events[j].codes != jittered.events[j].codes ? 1 : 0;
  }
  BOOST_TEST(twin_differ == 0u);
}

BOOST_AUTO_TEST_CASE(fault_settings_are_checked) {
  AdcModelConfig c;
  c.stuck_bit = 16;
  BOOST_TEST(!BehaviouralAdc::check(c).empty());
  c.stuck_bit = -2;
  BOOST_TEST(!BehaviouralAdc::check(c).empty());
  c.stuck_bit = 15;
  BOOST_TEST(BehaviouralAdc::check(c).empty());
  c.clip_lsb = -1;
  BOOST_TEST(!BehaviouralAdc::check(c).empty());
  c.clip_lsb = 0;
  c.clock_jitter_ns = -5;
  BOOST_TEST(!BehaviouralAdc::check(c).empty());
}

BOOST_AUTO_TEST_SUITE_END()
