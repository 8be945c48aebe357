// The RTL ADC as the firmware sees it: DMA halves on time, codes that are the pin voltages
// through the hold and the decimator (a symmetric three-tap filter, computed here from the sinc3
// taps), the front end's gain, offset, bias and noise, the faults, seeds, and the two
// co-simulation styles giving the same codes.
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <complex>
#include <cstdint>
#include <vector>

#include "measure.h"
#include "rtl_world.h"
#include "sinc3_golden.h"

using namespace amprig::models;
using namespace amprig::models::test;
using amprig::fw::Status;
using amprig::fw::hal::AdcCode;
using amprig::fw::hal::kAdcChannels;

namespace {

constexpr std::size_t kFrames = 64;  // per half buffer, as the rig's DMA
constexpr double kRateHz = 6400;
constexpr unsigned kRatio = 160;  // 1.024 MHz / 6400 Hz
constexpr double kReferenceV = 3.3;

sc_core::sc_time seconds(double s) { return sc_core::sc_time(s, sc_core::SC_SEC); }

std::uint64_t first_index(const FakeAdcClient::Event& e) {
  return static_cast<std::uint64_t>(std::llround(e.time.to_seconds() * kRateHz)) - kFrames;
}

std::uint64_t grid_index_now() {
  return static_cast<std::uint64_t>(
      std::ceil(sc_core::sc_time_stamp().to_seconds() * kRateHz - 1e-6));
}

// The hold and the decimator as a filter on the samples: weights of the samples before, at and
// after a frame. The sinc3's 3R - 2 taps, its bits following the input one clock late, cover
// R - 1, R and R - 1 clocks of the three samples.
struct ThreeTap {
  double side = 0, centre = 0;
  ThreeTap() {
    const std::vector<std::uint64_t> taps = sinc3_taps(kRatio);
    const double cube = double(kRatio) * kRatio * kRatio;
    for (unsigned q = 0; q + 1 < kRatio; ++q) side += static_cast<double>(taps[q]) / cube;
    for (unsigned q = kRatio - 1; q < 2 * kRatio - 1; ++q) {
      centre += static_cast<double>(taps[q]) / cube;
    }
  }
  double operator()(double before, double at, double after) const {
    return side * (before + after) + centre * at;
  }
};

// Starts `bench` with a FakeAdcClient, runs `duration_s`, stops it.
std::vector<FakeAdcClient::Event> run(RtlAdcBench& bench, double duration_s) {
  FakeAdcClient client(kFrames);
  BOOST_REQUIRE((bench.adc.start({6400, kAdcChannels}, client.span(), client) == Status::ok));
  sc_core::sc_start(seconds(duration_s));
  bench.adc.stop();
  sc_core::sc_start(sc_core::SC_ZERO_TIME);
  return client.events;
}

std::vector<AdcCode> all_codes(const std::vector<FakeAdcClient::Event>& events) {
  std::vector<AdcCode> out;
  for (const auto& e : events) out.insert(out.end(), e.codes.begin(), e.codes.end());
  return out;
}

// Each channel's codes, less `centre`.
std::vector<std::vector<double>> by_channel(const std::vector<FakeAdcClient::Event>& events,
                                            double centre) {
  std::vector<std::vector<double>> out(kAdcChannels);
  for (const auto& e : events) {
    for (std::size_t k = 0; k < kFrames; ++k) {
      for (std::size_t c = 0; c < kAdcChannels; ++c) {
        out[c].push_back(e.codes[k * kAdcChannels + c] - centre);
      }
    }
  }
  return out;
}

void set_pins(RtlAdcBench& b, const double (&amplitude_v)[kAdcChannels],
              const double (&frequency_hz)[kAdcChannels], const double (&dc_v)[kAdcChannels]) {
  for (std::size_t c = 0; c < kAdcChannels; ++c) {
    const double a = amplitude_v[c], f = frequency_hz[c], dc = dc_v[c], phase = 2.1 * c;
    b.channels[c].pin_v = [a, f, dc, phase](double t) {
      return dc + a * std::sin(2 * kPi * f * t + phase);
    };
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(rtl_adc)

BOOST_AUTO_TEST_CASE(refuses_what_its_decimator_cannot_make) {
  std::string why;
  BOOST_TEST(RtlAdc::decimation_ratio(1'024'000, 6400, &why) == 160u);
  BOOST_TEST(RtlAdc::decimation_ratio(1'024'000, 8000, &why) == 128u);
  BOOST_TEST(RtlAdc::decimation_ratio(1'024'000, 64000, &why) == 16u);
  BOOST_TEST(RtlAdc::decimation_ratio(1'024'000, 1000, &why) == 1024u);
  BOOST_TEST(RtlAdc::decimation_ratio(1'024'000, 7000, &why) == 0u);
  BOOST_TEST(why.find("not a whole multiple of the 7000 Hz sample rate (ratio 146.29)") !=
                 std::string::npos,
             why);
  BOOST_TEST(why.find("6400 Hz (ratio 160) or 8000 Hz (ratio 128)") != std::string::npos, why);
  BOOST_TEST(RtlAdc::decimation_ratio(1'024'000, 500, &why) == 0u);  // ratio 2048
  BOOST_TEST(why.find("divides by 2 to 1024") != std::string::npos, why);

  RtlAdc& adc = rtl_world().refusals.adc;
  FakeAdcClient client(kFrames);
  BOOST_TEST((adc.start({7000, kAdcChannels}, client.span(), client) == Status::invalid_argument));
  // A run's first block takes one sample more than its half: 1024 frames do not fit a block.
  FakeAdcClient huge(kMaxBlockSamples);
  BOOST_TEST((adc.start({6400, kAdcChannels}, huge.span(), huge) == Status::out_of_range));
  BOOST_TEST(!adc.running());
  BOOST_TEST((adc.start({6400, kAdcChannels}, client.span(), client) == Status::ok));
  BOOST_TEST(adc.ratio() == 160u);
  adc.stop();
  sc_core::sc_start(sc_core::SC_ZERO_TIME);
}

BOOST_AUTO_TEST_CASE(delivers_half_buffers_when_they_are_due) {
  RtlAdcBench& b = rtl_world().timing;
  const std::uint64_t start_index = grid_index_now();
  const std::uint64_t delivered = b.adc.samples_delivered();
  const auto events = run(b, 0.105);
  BOOST_REQUIRE(events.size() == 10u);  // 10 ms each
  for (std::size_t k = 0; k < events.size(); ++k) {
    BOOST_TEST(events[k].full == (k % 2 == 1));
    const double due = static_cast<double>(start_index + (k + 1) * kFrames) / kRateHz;
    BOOST_TEST(events[k].time == seconds(due), "event " << k);
  }
  BOOST_TEST(b.adc.samples_delivered() - delivered == 10 * kFrames);
  // Ten halves and the three samples that fill the decimator, at 160 clocks each.
  BOOST_TEST(b.adc.modulator_clocks() >= (10 * kFrames + 3) * kRatio);
}

BOOST_AUTO_TEST_CASE(codes_are_the_pin_voltages_through_a_zero_delay_three_tap_filter) {
  // Sines from 50 Hz to the 13th harmonic, up to 0.8 of full scale, some with DC, through two
  // runs (the second restarted off the sample grid): every code against the filter above, and
  // a run's first code against its own sample (the one before it is extrapolated).
  RtlAdcBench& b = rtl_world().pins;
  const double amplitude[kAdcChannels] = {1.3, 0.8, 0.8, 1.1, 0.3, 0.05};
  const double frequency[kAdcChannels] = {50, 50, 60, 150, 250, 650};
  const double dc[kAdcChannels] = {0, 0.1, -0.2, 0, 0.05, 0};
  set_pins(b, amplitude, frequency, dc);
  const ThreeTap filter;
  const auto v = [&](std::size_t c, std::uint64_t k) {
    return b.channels[c].pin_v(static_cast<double>(k) / kRateHz) / kReferenceV;
  };
  std::vector<double> error;
  std::vector<double> first_errors;
  std::vector<std::vector<double>> ch0;
  for (const double gap_s : {0.0, 37e-6}) {
    sc_core::sc_start(seconds(gap_s));
    const std::uint64_t start = grid_index_now();
    const auto events = run(b, 0.4);
    BOOST_REQUIRE(!events.empty());
    BOOST_TEST(first_index(events.front()) == start);
    for (const auto& e : events) {
      const std::uint64_t index0 = first_index(e);
      for (std::size_t k = 0; k < kFrames; ++k) {
        const std::uint64_t i = index0 + k;
        for (std::size_t c = 0; c < kAdcChannels; ++c) {
          const double expected =
              32768 + 65536 * (i == start ? v(c, i) : filter(v(c, i - 1), v(c, i), v(c, i + 1)));
          const double e_lsb = e.codes[k * kAdcChannels + c] - expected;
          (i == start ? first_errors : error).push_back(e_lsb);
        }
      }
    }
    ch0.push_back(by_channel(events, 32768)[0]);
    if (gap_s == 0) {
      // Zero delay: the 50 Hz phasor of channel 0's codes has the pin's phase, and the filter's
      // gain at 50 Hz, within the noise (one modulator clock of delay would be 0.018 deg).
      const std::complex<double> p =
          phasor(ch0.back(), 50, static_cast<double>(start) / kRateHz, 1 / kRateHz);
      const double w = 2 * kPi * 50 / kRateHz;
      const double gain = filter.centre + 2 * filter.side * std::cos(w);
      const double a_lsb = 1.3 / kReferenceV * 65536;
      const double sigma = 0.5 * std::sqrt(2.0 / static_cast<double>(ch0.back().size()));
      BOOST_TEST(std::abs(std::abs(p) - a_lsb * gain) <= 5 * sigma, std::abs(p));
      BOOST_TEST(std::abs(std::arg(p)) <= 5 * sigma / a_lsb, std::arg(p) * 180 / kPi << " deg");
    }
  }
  // Rounding alone is 0.29 LSB RMS; the modulator's quantisation noise, shaped by (1 - z^-1)^2
  // and filtered by the sinc3, adds 0.14 in the linear model with a uniform quantisation
  // error: 0.32 together. Half an LSB leaves room for the 1-bit quantiser's larger error near
  // full scale. No bias: the mean within 5 standard errors of it.
  BOOST_TEST(rms(error) < 0.5);
  BOOST_TEST(std::abs(mean(error)) < 5 * 0.5 / std::sqrt(static_cast<double>(error.size())));
  BOOST_TEST(first_errors.size() == 2 * kAdcChannels);
  for (const double e : first_errors) BOOST_TEST(std::abs(e) < 2.0);
}

BOOST_AUTO_TEST_CASE(noise_lsb_rms_is_the_noise_the_codes_carry) {
  // 20 LSB on a DC input, 10 s of six channels. The noise is added to the held samples and
  // leaves the three-tap filter with its power times 2 side^2 + centre^2, which the model undoes
  // (noise_power_gain). The codes' RMS about their mean is then sqrt(20^2 + q^2), q < 0.5 LSB
  // the converter's own (under 0.01 % of it). Standard error of an RMS over N samples whose
  // neighbours are correlated through the filter (rho1 = 0.44, rho2 = 0.06): about
  // sqrt(2 * 1.4 / N) / 2 = 0.14 %; bound at 5 sigma.
  const ThreeTap filter;
  const double power = 2 * filter.side * filter.side + filter.centre * filter.centre;
  BOOST_TEST(RtlAdc::noise_power_gain(kRatio) == power, boost::test_tools::tolerance(1e-12));
  RtlAdcBench& b = rtl_world().noise;
  for (auto& ch : b.channels) ch.pin_v = [](double) { return 0.2; };
  const auto events = run(b, 10.0);
  std::vector<double> all;
  for (const auto& x : by_channel(events, 0)) all.insert(all.end(), x.begin(), x.end());
  BOOST_REQUIRE(all.size() >= 6u * 63000u);
  const double m = mean(all);
  std::vector<double> deviation;
  for (const double x : all) deviation.push_back(x - m);
  BOOST_TEST(relative_error(rms(deviation), 20.0) < 0.007, "rms " << rms(deviation));
  const double expected_mean = (0.2 + 1.65) / kReferenceV * 65536;
  const double n_eff = static_cast<double>(all.size()) / 1.4;
  BOOST_TEST(std::abs(m - expected_mean) < 5 * 20 / std::sqrt(n_eff), "mean " << m);
}

BOOST_AUTO_TEST_CASE(gain_offset_and_bias_apply_at_the_modulator_input) {
  // code = (pin (1 + gain) + bias) / reference * 2^bits + offset, as the behavioural ADC's: the
  // mean of each channel's codes on a DC pin. A constant input through a delta-sigma converter
  // gives a constant code (no dither), so 2 LSB (0.5 at 12 bits) of noise dither it; the mean
  // is then within 5 standard errors of the exact value.
  for (RtlAdcBench* b : {&rtl_world().gain_offset, &rtl_world().twelve}) {
    const double pins[kAdcChannels] = {-1.2, -0.5, 0.0, 0.3, 0.9, 1.4};
    for (std::size_t c = 0; c < kAdcChannels; ++c) {
      const double v = pins[c];
      b->channels[c].pin_v = [v](double) { return v; };
    }
    const AdcModelConfig& cfg = b->adc.config();
    const double full_scale = std::ldexp(1.0, static_cast<int>(cfg.resolution_bits));
    const auto channels = by_channel(run(*b, 2.0), 0);
    const double n_eff = static_cast<double>(channels[0].size()) / 1.4;
    for (std::size_t c = 0; c < kAdcChannels; ++c) {
      const double expected =
          (pins[c] * (1 + cfg.gain_error_pct / 100) + cfg.bias_v) / cfg.reference_v * full_scale +
          cfg.offset_lsb;
      BOOST_TEST_INFO(cfg.resolution_bits << " bits, pin " << pins[c] << " V");
      BOOST_TEST(std::abs(mean(channels[c]) - expected) < 5 * cfg.noise_lsb_rms / std::sqrt(n_eff),
                 "mean " << mean(channels[c]) << ", expected " << expected);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_stuck_bit_and_missed_interrupts_act_on_the_dma_output) {
  // Twins: the same pins, configuration and seed give the same codes, so each fault shows
  // against its twin exactly.
  RtlWorld& w = rtl_world();
  const double amplitude[kAdcChannels] = {1.2, 1.0, 0.8, 0.6, 0.4, 0.2};
  const double frequency[kAdcChannels] = {50, 50, 50, 50, 50, 50};
  const double dc[kAdcChannels] = {0, 0, 0, 0, 0, 0};
  for (RtlAdcBench* b : {&w.stuck, &w.stuck_twin, &w.drop, &w.drop_twin}) {
    set_pins(*b, amplitude, frequency, dc);
  }
  for (const auto& [bit, value] : {std::pair{5, true}, std::pair{14, false}}) {
    w.stuck.adc.config().stuck_bit = bit;
    w.stuck.adc.config().stuck_bit_value = value;
    FakeAdcClient faulty(kFrames), twin(kFrames);
    BOOST_REQUIRE((w.stuck.adc.start({6400, kAdcChannels}, faulty.span(), faulty) == Status::ok));
    BOOST_REQUIRE((w.stuck_twin.adc.start({6400, kAdcChannels}, twin.span(), twin) == Status::ok));
    sc_core::sc_start(seconds(0.1));
    w.stuck.adc.stop();
    w.stuck_twin.adc.stop();
    sc_core::sc_start(sc_core::SC_ZERO_TIME);
    const auto a = all_codes(faulty.events), b = all_codes(twin.events);
    BOOST_REQUIRE(a.size() == b.size());
    const unsigned mask = 1u << bit;
    std::size_t wrong = 0, changed = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
      const unsigned expected = value ? (b[i] | mask) : (b[i] & ~mask);
      wrong += a[i] != expected;
      changed += a[i] != b[i];
    }
    BOOST_TEST(wrong == 0u, "bit " << bit);
    BOOST_TEST(changed > a.size() / 4, "bit " << bit);
  }
  w.stuck.adc.config().stuck_bit = -1;

  // Three halves written but their interrupts missed: those callbacks never come, every other
  // half is the twin's, at the twin's time.
  w.drop.adc.drop_buffers(3);
  FakeAdcClient faulty(kFrames), twin(kFrames);
  BOOST_REQUIRE((w.drop.adc.start({6400, kAdcChannels}, faulty.span(), faulty) == Status::ok));
  BOOST_REQUIRE((w.drop_twin.adc.start({6400, kAdcChannels}, twin.span(), twin) == Status::ok));
  sc_core::sc_start(seconds(0.105));
  w.drop.adc.stop();
  w.drop_twin.adc.stop();
  sc_core::sc_start(sc_core::SC_ZERO_TIME);
  BOOST_TEST(w.drop.adc.dropped_buffers() == 3u);
  BOOST_TEST(w.drop.adc.buffers_to_drop() == 0u);
  BOOST_REQUIRE(faulty.events.size() + 3 == twin.events.size());
  for (std::size_t k = 0; k < faulty.events.size(); ++k) {
    BOOST_TEST(faulty.events[k].time == twin.events[k + 3].time);
    BOOST_TEST(faulty.events[k].full == twin.events[k + 3].full);
    BOOST_TEST((faulty.events[k].codes == twin.events[k + 3].codes), "half " << k);
  }
}

BOOST_AUTO_TEST_CASE(the_front_end_clips_and_the_decimator_clamps_at_the_rails) {
  // Channels 0-4 through a front end limited to +-5000 LSB (0.2518 V) with sines of 0.5 V: the
  // samples beyond are counted (the ADC takes samples first .. last + 1 of its frames), and no
  // code leaves the swing by more than the converter's noise (the filter's weights are positive
  // and sum to 1). Channel 5 is overdriven past the converter's own range (2.5 V on a 1.65 V
  // bias, beyond it 54 % of the time): its codes hit the rails, counted too, and its modulator
  // overloads.
  RtlAdcBench& b = rtl_world().clip;
  b.adc.config().clip_lsb = 5000;
  const double amplitude[kAdcChannels] = {0.5, 0.5, 0.5, 0.5, 0.5, 2.5};
  const double frequency[kAdcChannels] = {50, 50, 50, 50, 50, 50};
  const double dc[kAdcChannels] = {0, 0, 0, 0, 0, 0};
  set_pins(b, amplitude, frequency, dc);
  const double limit_v = 5000 * kReferenceV / 65536;
  const std::uint64_t start = grid_index_now();
  const std::uint64_t clipped_before = b.adc.clipped_samples();
  const std::uint64_t overloads_before = b.adc.modulator_overload_clocks();
  const auto events = run(b, 0.105);
  BOOST_REQUIRE(events.size() == 10u);
  std::uint64_t beyond = 0;
  for (std::uint64_t i = start; i <= start + 10 * kFrames; ++i) {
    for (std::size_t c = 0; c < kAdcChannels; ++c) {
      beyond += std::abs(b.channels[c].pin_v(static_cast<double>(i) / kRateHz)) > limit_v;
    }
  }
  const auto channels = by_channel(events, 32768);
  double peak = 0;
  for (std::size_t c = 0; c < 5; ++c) {
    for (const double x : channels[c]) peak = std::max(peak, std::abs(x));
  }
  BOOST_TEST(peak <= 5000 + 2.0, "peak " << peak);
  // Channel 5's front end clips it as well while clip_lsb is set: nothing reaches the rails yet,
  // and the count is the front end's alone.
  BOOST_TEST(b.adc.clipped_samples() - clipped_before == beyond);
  BOOST_TEST(b.adc.modulator_overload_clocks() == overloads_before);

  // Without the front end's limit channel 5 drives the modulator beyond full scale.
  b.adc.config().clip_lsb = 0;
  const std::uint64_t clipped_mid = b.adc.clipped_samples();
  const std::uint64_t start2 = grid_index_now();
  const auto over = by_channel(run(b, 0.105), 32768);
  const auto [lo, hi] = std::minmax_element(over[5].begin(), over[5].end());
  BOOST_TEST(*hi == 32767.0);   // 65535
  BOOST_TEST(*lo == -32768.0);  // 0
  const auto rails = static_cast<std::uint64_t>(std::count_if(
      over[5].begin(), over[5].end(), [](double x) { return x == 32767 || x == -32768; }));
  std::uint64_t outside = 0;
  for (std::uint64_t i = start2; i < start2 + 10 * kFrames; ++i) {  // the codes' own samples
    outside += std::abs(b.channels[5].pin_v(static_cast<double>(i) / kRateHz)) > 1.65;
  }
  // A flagged code is at a rail. Every sample beyond the range is flagged but for those next to
  // an excursion's edge, which the filter's side taps may pull off the rail: at most two for
  // each of the 20 times in 0.1 s a 50 Hz sine crosses a rail.
  const std::uint64_t flagged = b.adc.clipped_samples() - clipped_mid;
  BOOST_TEST(flagged <= rails);
  BOOST_TEST(flagged + 2 * 20 >= outside, flagged << " flagged, " << outside << " outside");
  BOOST_TEST(b.adc.modulator_overload_clocks() > overloads_before);
  // The other channels are untouched by it.
  for (std::size_t c = 0; c < 5; ++c) {
    BOOST_TEST(*std::max_element(over[c].begin(), over[c].end()) < 0.5 / kReferenceV * 65536 + 2);
  }
}

BOOST_AUTO_TEST_CASE(clock_jitter_moves_each_modulator_sample_along_the_signal) {
  // Each modulator clock edge off by its own Gaussian e (50 us RMS), shared by the channels: the
  // input moves by x' e, and a code's error is the sinc3 average of them, RMS
  //   A w / sqrt2 * sigma * sqrt(sum h^2) / R^3
  // for a sine of amplitude A (x' RMS A w / sqrt2 over a period). Against a quiet twin, whose
  // own quantisation noise differs from it by under 0.5 LSB RMS in quadrature. Errors of
  // neighbouring codes are correlated (rho1 about 0.44) and x' e has kurtosis 4.5: the RMS'
  // standard error is sqrt(3.5 * 1.4 / N) / 2 = 0.6 %; bound at 5 sigma: 3 %.
  RtlWorld& w = rtl_world();
  const double amplitude[kAdcChannels] = {1.0, 1.0, 1.0, 1.0, 1.0, 1.0};
  const double frequency[kAdcChannels] = {50, 50, 50, 50, 50, 50};
  const double dc[kAdcChannels] = {0, 0, 0, 0, 0, 0};
  set_pins(w.jitter, amplitude, frequency, dc);
  set_pins(w.jitter_twin, amplitude, frequency, dc);
  FakeAdcClient jittered(kFrames), twin(kFrames);
  BOOST_REQUIRE(
      (w.jitter.adc.start({6400, kAdcChannels}, jittered.span(), jittered) == Status::ok));
  BOOST_REQUIRE((w.jitter_twin.adc.start({6400, kAdcChannels}, twin.span(), twin) == Status::ok));
  sc_core::sc_start(seconds(1.0));
  w.jitter.adc.stop();
  w.jitter_twin.adc.stop();
  sc_core::sc_start(sc_core::SC_ZERO_TIME);
  const auto a = all_codes(jittered.events), b = all_codes(twin.events);
  BOOST_REQUIRE(a.size() == b.size());
  std::vector<double> error;
  for (std::size_t i = 0; i < a.size(); ++i) error.push_back(double(a[i]) - double(b[i]));
  const std::vector<std::uint64_t> taps = sinc3_taps(kRatio);
  double sum_h2 = 0;
  for (const auto h : taps) sum_h2 += static_cast<double>(h) * static_cast<double>(h);
  const double cube = double(kRatio) * kRatio * kRatio;
  const double expected =
      1.0 / kReferenceV * 65536 * 2 * kPi * 50 / std::sqrt(2.0) * 50e-6 * std::sqrt(sum_h2) / cube;
  BOOST_TEST(relative_error(rms(error), expected) < 0.03,
             "rms " << rms(error) << " LSB, expected " << expected);
  BOOST_TEST(std::abs(mean(error)) < 5 * expected / std::sqrt(error.size() / 1.4));
}

BOOST_AUTO_TEST_CASE(the_same_seed_gives_the_same_codes) {
  RtlWorld& w = rtl_world();
  RtlAdcBench* benches[] = {&w.seed_a, &w.seed_b, &w.seed_c};
  FakeAdcClient clients[3] = {FakeAdcClient(kFrames), FakeAdcClient(kFrames),
                              FakeAdcClient(kFrames)};
  for (int i = 0; i < 3; ++i) {
    for (auto& ch : benches[i]->channels)
      ch.pin_v = [](double t) { return 0.9 * std::sin(314 * t); };
    BOOST_REQUIRE(
        (benches[i]->adc.start({6400, kAdcChannels}, clients[i].span(), clients[i]) == Status::ok));
  }
  sc_core::sc_start(seconds(0.05));
  const auto a = all_codes(clients[0].events);
  const auto b = all_codes(clients[1].events);
  const auto c = all_codes(clients[2].events);
  BOOST_REQUIRE(!a.empty());
  BOOST_TEST((a == b));  // seed 7 twice: bit-identical
  std::size_t differ = 0;
  for (std::size_t k = 0; k < a.size(); ++k) differ += a[k] != c[k] ? 1 : 0;
  BOOST_TEST(differ > a.size() / 2, differ << " of " << a.size() << " differ");
  // A new seed takes effect at the next block: reseeding a and c alike makes their noise the
  // same from then on; the modulators' states still differ, so the codes agree within the
  // quantisation noise, not bit for bit.
  benches[0]->adc.config().seed = 99;
  benches[2]->adc.config().seed = 99;
  for (auto& client : clients) client.events.clear();
  sc_core::sc_start(seconds(0.05));
  for (auto* bench : benches) bench->adc.stop();
  sc_core::sc_start(sc_core::SC_ZERO_TIME);
  const auto a2 = all_codes(clients[0].events), b2 = all_codes(clients[1].events),
             c2 = all_codes(clients[2].events);
  std::size_t far_ac = 0, far_ab = 0;
  // The block's first two frames still span a sample noised before the reseed.
  for (std::size_t k = 2 * kAdcChannels; k < a2.size(); ++k) {
    far_ac += std::abs(int(a2[k]) - int(c2[k])) > 3;
    far_ab += std::abs(int(a2[k]) - int(b2[k])) > 3;
  }
  BOOST_TEST(far_ac == 0u);
  BOOST_TEST(far_ab > a2.size() / 5);  // noise of 2 LSB twice over: beyond 3 LSB 29 % of the time
}

BOOST_AUTO_TEST_CASE(clocking_per_modulator_clock_gives_the_same_codes_one_half_later) {
  // The benchmark style: one SystemC activation per sc_clock edge. Its halves carry the very
  // codes of the per-half style, each delivered one half-buffer later (its clocks run during
  // the next half's time), give or take the sc_clock's period rounded to the time resolution.
  RtlWorld& w = rtl_world();
  for (RtlAdcBench* b : {&w.clocked, &w.clocked_twin}) {
    for (auto& ch : b->channels) ch.pin_v = [](double t) { return 0.7 * std::sin(314 * t + 1); };
  }
  FakeAdcClient clocked(kFrames), twin(kFrames);
  BOOST_REQUIRE((w.clocked.adc.start({6400, kAdcChannels}, clocked.span(), clocked) == Status::ok));
  BOOST_REQUIRE((w.clocked_twin.adc.start({6400, kAdcChannels}, twin.span(), twin) == Status::ok));
  sc_core::sc_start(seconds(0.0605));
  w.clocked.adc.stop();
  w.clocked_twin.adc.stop();
  sc_core::sc_start(seconds(0.011));  // the clocked one's half in flight ends, and is abandoned
  BOOST_REQUIRE(twin.events.size() == 6u);
  BOOST_REQUIRE(clocked.events.size() == 5u);
  const sc_core::sc_time half = seconds(kFrames / kRateHz);
  const sc_core::sc_time clock = seconds(1 / 1.024e6);
  for (std::size_t k = 0; k < clocked.events.size(); ++k) {
    BOOST_TEST((clocked.events[k].codes == twin.events[k].codes), "half " << k);
    const sc_core::sc_time late = clocked.events[k].time - twin.events[k].time;
    BOOST_TEST(late >= half - clock);
    BOOST_TEST(late <= half + clock);
  }
}

BOOST_AUTO_TEST_SUITE_END()
