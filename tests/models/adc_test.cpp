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
using amprig::fw::hal::AdcConfig;
using amprig::fw::hal::AdcDmaClient;
using amprig::fw::hal::kAdcChannels;

namespace {

constexpr std::size_t kFrames = 128;  // per half buffer
constexpr double kRateHz = 6400;

sc_core::sc_time seconds(double s) { return sc_core::sc_time(s, sc_core::SC_SEC); }

// Index of the first sample of the half delivered at `t`.
std::uint64_t first_index(const FakeAdcClient::Event& e, std::size_t frames, double rate_hz) {
  return static_cast<std::uint64_t>(std::llround(e.time.to_seconds() * rate_hz)) - frames;
}

// The code for an analog value x (in LSB, before rounding): round half up,
// clamped. The model may differ from this test's arithmetic by `delta_lsb`
// (rounding order, or a model's own error), so a code between the roundings of
// x - delta and x + delta is accepted.
struct Expectation {
  double top_code;
  bool accepts(unsigned code, double x, double delta_lsb) const {
    const double lo = std::clamp(std::floor(x - delta_lsb + 0.5), 0.0, top_code);
    const double hi = std::clamp(std::floor(x + delta_lsb + 0.5), 0.0, top_code);
    return code >= lo && code <= hi;
  }
};

// Checks that callbacks alternate half/full and arrive when the half's last
// sample has been taken: at (first index + n) / rate.
void check_timing(const FakeAdcClient& client, std::uint64_t start_index, std::size_t frames,
                  double rate_hz) {
  for (std::size_t k = 0; k < client.events.size(); ++k) {
    const auto& e = client.events[k];
    BOOST_TEST(e.full == (k % 2 == 1), "event " << k);
    const double due = static_cast<double>(start_index + (k + 1) * frames) / rate_hz;
    BOOST_TEST(e.time == seconds(due), "event " << k << " at " << e.time << " due " << due);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(behavioural_adc)

BOOST_AUTO_TEST_CASE(start_validates_its_arguments) {
  BehaviouralAdc& adc = world().adc_ctl.adc;
  FakeAdcClient client(kFrames);
  std::vector<amprig::fw::hal::AdcCode> odd(100);
  std::vector<amprig::fw::hal::AdcCode> huge(2 * (kMaxBlockSamples + 1) * kAdcChannels);
  AdcConfig five{6400, 5};
  AdcConfig zero_rate{0, kAdcChannels};
  AdcConfig good{6400, kAdcChannels};
  BOOST_TEST((adc.start(five, client.span(), client) == Status::invalid_argument));
  BOOST_TEST((adc.start(zero_rate, client.span(), client) == Status::invalid_argument));
  BOOST_TEST((adc.start(good, {odd.data(), odd.size()}, client) == Status::invalid_argument));
  BOOST_TEST((adc.start(good, {}, client) == Status::invalid_argument));
  BOOST_TEST((adc.start(good, {huge.data(), huge.size()}, client) == Status::out_of_range));
  BOOST_TEST(!adc.running());
  BOOST_TEST((adc.start(good, client.span(), client) == Status::ok));
  BOOST_TEST((adc.start(good, client.span(), client) == Status::failed_precondition));
  adc.stop();
  sc_core::sc_start(sc_core::SC_ZERO_TIME);
  BOOST_TEST(client.events.empty());

  BOOST_TEST(BehaviouralAdc::check(AdcModelConfig{}).empty());
  AdcModelConfig bad;
  bad.resolution_bits = 17;
  BOOST_TEST(!BehaviouralAdc::check(bad).empty());
  bad = AdcModelConfig{};
  bad.reference_v = 0;
  BOOST_TEST(!BehaviouralAdc::check(bad).empty());
}

BOOST_AUTO_TEST_CASE(quantises_with_gain_offset_bias_and_clips) {
  // 12 bits, 3.3 V reference, bias 1.6 V, +2.7 LSB offset, +1.5 % gain, no
  // noise. Each input sweeps a sawtooth from -1.75 V to +1.75 V around the
  // bias, beyond both ends of the range.
  AdcBench& b = world().adc_quant;
  for (std::size_t c = 0; c < kAdcChannels; ++c) {
    const double cycles_per_s = 37.0 + static_cast<double>(c);
    b.channels[c].pin_v = [cycles_per_s](double t) {
      const double x = t * cycles_per_s;
      return -1.75 + 3.5 * (x - std::floor(x));
    };
  }
  FakeAdcClient client(kFrames);
  const std::uint64_t clipped_before = b.adc.clipped_samples();
  const std::uint64_t delivered_before = b.adc.samples_delivered();
  BOOST_REQUIRE((b.adc.start({6400, kAdcChannels}, client.span(), client) == Status::ok));
  const auto start_index =
      static_cast<std::uint64_t>(std::ceil(sc_core::sc_time_stamp().to_seconds() * kRateHz - 1e-6));
  sc_core::sc_start(seconds(0.105));
  b.adc.stop();
  BOOST_REQUIRE(client.events.size() >= 5u);
  check_timing(client, start_index, kFrames, kRateHz);

  const Expectation expect{4095};
  std::uint64_t clipped_min = 0, clipped_max = 0, mismatches = 0, in_range = 0;
  for (const auto& e : client.events) {
    const std::uint64_t index0 = first_index(e, kFrames, kRateHz);
    for (std::size_t k = 0; k < kFrames; ++k) {
      const double t = static_cast<double>(index0 + k) * (1.0 / kRateHz);
      for (std::size_t c = 0; c < kAdcChannels; ++c) {
        const double pin = b.channels[c].pin_v(t);
        const double x = (pin * 1.015 + 1.6) / 3.3 * 4096 + 2.7;
        const unsigned code = e.codes[k * kAdcChannels + c];
        if (!expect.accepts(code, x, 1e-6)) ++mismatches;
        auto outside = [](double r) { return r < 0 || r > 4095; };
        const bool clip_lo = outside(std::floor(x - 1e-6 + 0.5));
        const bool clip_hi = outside(std::floor(x + 1e-6 + 0.5));
        const bool surely = clip_lo && clip_hi;
        const bool maybe = clip_lo || clip_hi;
        clipped_min += surely ? 1 : 0;
        clipped_max += maybe ? 1 : 0;
        in_range += maybe ? 0 : 1;
      }
    }
  }
  BOOST_TEST(mismatches == 0u);
  const std::uint64_t clipped = b.adc.clipped_samples() - clipped_before;
  BOOST_TEST(clipped >= clipped_min);
  BOOST_TEST(clipped <= clipped_max);
  BOOST_TEST(clipped > 0u);  // the sweep does clip
  BOOST_TEST(in_range > clipped);
  BOOST_TEST(b.adc.samples_delivered() - delivered_before == client.events.size() * kFrames);
}

BOOST_AUTO_TEST_CASE(noise_has_the_configured_rms) {
  // 3 LSB RMS on a mid-scale input, ten seconds of six channels (384000
  // samples). Rounding a signal this noisy adds uniform quantisation noise of
  // 1/12 LSB^2, so the codes' RMS is sqrt(9 + 1/12). The standard error of an
  // RMS estimate is about rms*sqrt((kurtosis - 1)/N)/2 = 0.105 % here
  // (Irwin-Hall n=4 has kurtosis 2.7); bound at 5 sigma: 0.53 %. Mean: 5 sigma
  // = 5 * 3 / sqrt(N).
  AdcBench& b = world().adc_noise;
  FakeAdcClient client(kFrames);
  BOOST_REQUIRE((b.adc.start({6400, kAdcChannels}, client.span(), client) == Status::ok));
  sc_core::sc_start(seconds(10.0));
  b.adc.stop();
  std::vector<double> error;
  for (const auto& e : client.events) {
    for (auto code : e.codes) error.push_back(static_cast<double>(code) - 32768);
  }
  BOOST_REQUIRE(error.size() >= 6u * 63000u);
  const double expected = std::sqrt(9 + 1.0 / 12);
  BOOST_TEST(relative_error(rms(error), expected) < 0.0053, "rms " << rms(error));
  BOOST_TEST(std::abs(mean(error)) < 5 * 3 / std::sqrt(static_cast<double>(error.size())),
             "mean " << mean(error));
  // Irwin-Hall's tails end at +-3.46 sigma (plus rounding).
  const auto [lo, hi] = std::minmax_element(error.begin(), error.end());
  BOOST_TEST(*hi <= std::ceil(3.47 * 3) + 1);
  BOOST_TEST(*lo >= -std::ceil(3.47 * 3) - 1);
}

BOOST_AUTO_TEST_CASE(noise_is_reproducible_from_the_seed) {
  AdcBench* benches[] = {&world().adc_seed_a, &world().adc_seed_b, &world().adc_seed_c};
  FakeAdcClient clients[3] = {FakeAdcClient(kFrames), FakeAdcClient(kFrames),
                              FakeAdcClient(kFrames)};
  for (int i = 0; i < 3; ++i) {
    for (auto& ch : benches[i]->channels) ch.pin_v = [](double) { return 0.3; };
    BOOST_REQUIRE(
        (benches[i]->adc.start({6400, kAdcChannels}, clients[i].span(), clients[i]) == Status::ok));
  }
  sc_core::sc_start(seconds(0.05));
  auto codes = [](const FakeAdcClient& c) {
    std::vector<unsigned> all;
    for (const auto& e : c.events) all.insert(all.end(), e.codes.begin(), e.codes.end());
    return all;
  };
  const auto a = codes(clients[0]);
  const auto b = codes(clients[1]);
  const auto c = codes(clients[2]);
  BOOST_REQUIRE(!a.empty());
  BOOST_TEST(a == b);  // seed 7 twice: bit-identical
  std::size_t differ = 0;
  for (std::size_t k = 0; k < a.size(); ++k) differ += a[k] != c[k] ? 1 : 0;
  // With 2 LSB of noise two independent codes coincide about 14 % of the time.
  BOOST_TEST(differ > a.size() / 2, differ << " of " << a.size() << " differ");

  // A new seed takes effect at the next block: reseeding a and c alike makes
  // them identical from then on.
  benches[0]->adc.config().seed = 99;
  benches[2]->adc.config().seed = 99;
  for (auto& c : clients) c.events.clear();
  sc_core::sc_start(seconds(0.05));
  for (auto* bench : benches) bench->adc.stop();
  BOOST_TEST(codes(clients[0]) == codes(clients[2]));
  BOOST_TEST(codes(clients[0]) != codes(clients[1]));
}

BOOST_AUTO_TEST_CASE(stop_ends_delivery_and_start_realigns) {
  AdcBench& b = world().adc_ctl;
  FakeAdcClient client(kFrames);
  const AdcConfig config{6400, kAdcChannels};
  // Stop between callbacks: the half in flight is abandoned.
  BOOST_REQUIRE((b.adc.start(config, client.span(), client) == Status::ok));
  sc_core::sc_start(seconds(0.045));  // halves are due 20 ms and 40 ms after start
  BOOST_TEST(client.events.size() == 2u);
  b.adc.stop();
  sc_core::sc_start(seconds(0.05));
  BOOST_TEST(client.events.size() == 2u);
  BOOST_TEST(!b.adc.running());

  // Restart at a time that is not on the sample grid: the first sample is the
  // next grid instant, and the halves follow from it.
  sc_core::sc_start(sc_core::sc_time(37, sc_core::SC_US));
  client.events.clear();
  BOOST_REQUIRE((b.adc.start(config, client.span(), client) == Status::ok));
  const auto start_index =
      static_cast<std::uint64_t>(std::ceil(sc_core::sc_time_stamp().to_seconds() * kRateHz - 1e-6));
  BOOST_TEST(static_cast<double>(start_index) / kRateHz >= sc_core::sc_time_stamp().to_seconds());
  // Stop from inside the third callback: that one is the last.
  client.on_event = [&] {
    if (client.events.size() == 3) b.adc.stop();
  };
  sc_core::sc_start(seconds(0.2));
  BOOST_TEST(client.events.size() == 3u);
  check_timing(client, start_index, kFrames, kRateHz);
}

BOOST_AUTO_TEST_SUITE_END()
