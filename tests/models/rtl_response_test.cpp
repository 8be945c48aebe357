// The frequency response of the RTL ADC's converter: the modulators driven by sines computed at
// every modulator clock (no sample-rate hold in between), decimated by the verilated sinc3, and
// compared with the closed form |H(f)| = |sin(pi f R / fm) / (R sin(pi f / fm))|^3: the droop
// at 50 Hz and its harmonics up to the 13th, and the rejection of inputs at m fs +- f, which
// decimation folds onto f.
//
// The tolerance comes from the modulator:
// - Its noise. sigma is the RMS of the codes less the fitted sines and DC (0.3 to 0.4 LSB). The
//   inputs are periodic with P = fs / gcd(their frequencies, fs) samples (128 at 50 Hz: exactly
//   20480 modulator clocks), and the modulator is deterministic, so its error repeats with them
//   and does not average down over more periods: a sine's amplitude is off by up to
//   sigma sqrt(2 / P) (one standard deviation), its phase by that over the amplitude. 5 of it.
// - Its signal transfer, z^-1 only in the linear model with the 1-bit quantiser's gain at 4:
//   for an effective gain k it is (4/k - 1) w^2 high in amplitude and within w^3 in phase
//   (w = 2 pi f / fm), at most w^2 for k >= 2 (this modulator's is about 2.4): 1.6e-5 at 650 Hz.
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <complex>
#include <cstdint>
#include <numeric>
#include <vector>

#include "adc/rtl/delta_sigma_modulator.h"
#include "adc/rtl/sinc3_decimator.h"
#include "measure.h"

using namespace amprig::models;
using namespace amprig::models::test;

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr unsigned kRatio = 160;
constexpr double kFs = 6400;
constexpr double kFm = kFs * kRatio;  // 1.024 MHz
constexpr std::size_t kChannels = DeltaSigmaModulator::kChannels;
constexpr double kAmplitude = 0.2;  // of the input v: 0.4 of full scale, 13107 LSB

double sinc3_gain(double f_hz) {
  const double x = kPi * f_hz / kFm;
  return std::abs(std::pow(std::sin(x * kRatio) / (kRatio * std::sin(x)), 3));
}

struct Tone {
  int f_in_hz;
  int f_out_hz;  // where it lands after decimation
  double amplitude;
  double phase;
};

struct Measured {
  std::complex<double> phasor;  // of the first tone's codes at its output frequency, LSB
  double expected;              // its closed-form amplitude, LSB
  double tolerance;             // as worked out above, LSB
};

// Drives channel c with the sum of tones[c] (v = sum of a sin(2 pi f t + phase)) for one second
// after the decimator has filled, and measures the first tone of each. Code j completes on
// clock (j + 1) R - 1; the modulator's bit follows the input one clock late and the sinc3 is
// centred (3R - 3) / 2 clocks before its last: code j is the input at clock
// (j + 1) R - 2 - (3R - 3) / 2.
std::vector<Measured> measure(const std::vector<std::vector<Tone>>& tones) {
  DeltaSigmaModulator modulator;
  Sinc3Decimator decimator;
  decimator.reset(Sinc3Settings::for_ratio(kRatio, 16));
  constexpr std::size_t kSkip = 3;  // the filter fills
  constexpr std::size_t kSamples = 6400;
  std::vector<DeltaSigmaModulator::Inputs> inputs(kRatio);
  std::vector<std::uint8_t> bits(kRatio);
  std::vector<std::vector<double>> codes(kChannels);
  for (std::size_t j = 0; j < kSkip + kSamples; ++j) {
    for (unsigned q = 0; q < kRatio; ++q) {
      const double t = static_cast<double>(j * kRatio + q) / kFm;
      for (std::size_t c = 0; c < kChannels; ++c) {
        double v = 0;
        for (const Tone& tone : tones[c]) {
          v += tone.amplitude * std::sin(2 * kPi * tone.f_in_hz * t + tone.phase);
        }
        inputs[q][c] = static_cast<std::int32_t>(std::lround(v * DeltaSigmaModulator::kOne));
      }
    }
    modulator.run(inputs.data(), kRatio, bits.data());
    BOOST_REQUIRE(decimator.run(bits.data(), kRatio));
    if (j < kSkip) continue;
    for (std::size_t c = 0; c < kChannels; ++c) codes[c].push_back(decimator.code(c) - 32768.0);
  }
  const double t0 = (static_cast<double>((kSkip + 1) * kRatio) - 2 - (3.0 * kRatio - 3) / 2) / kFm;
  std::vector<Measured> out;
  for (std::size_t c = 0; c < kChannels; ++c) {
    const std::vector<double>& x = codes[c];
    std::vector<double> residual(x.size());
    const double dc = mean(x);
    for (std::size_t k = 0; k < x.size(); ++k) residual[k] = x[k] - dc;
    int period_gcd = static_cast<int>(kFs);
    std::complex<double> first;
    for (const Tone& tone : tones[c]) {
      const std::complex<double> p = phasor(x, tone.f_out_hz, t0, 1 / kFs);
      if (&tone == &tones[c].front()) first = p;
      for (std::size_t k = 0; k < x.size(); ++k) {
        const double a = 2 * kPi * tone.f_out_hz * (t0 + static_cast<double>(k) / kFs);
        residual[k] -= std::imag(p * std::exp(std::complex<double>(0, a)));
      }
      period_gcd = std::gcd(period_gcd, tone.f_in_hz);
    }
    const Tone& tone = tones[c].front();
    const double expected = tone.amplitude * 65536 * sinc3_gain(tone.f_in_hz);
    const double w = 2 * kPi * tone.f_in_hz / kFm;
    const double period_samples = kFs / period_gcd;
    const double tolerance = 5 * rms(residual) * std::sqrt(2 / period_samples) + w * w * expected;
    out.push_back({first, expected, tolerance});
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(rtl_response)

BOOST_AUTO_TEST_CASE(passband_droop_is_the_closed_form_sinc3) {
  // 50 Hz and its harmonics up to the 13th, then 60 Hz's odd ones up to its 13th, six at a
  // time, each with its own phase: amplitude and phase (the delay worked out above) as the
  // closed form says.
  const std::vector<std::vector<int>> runs = {
      {50, 100, 150, 200, 250, 300}, {350, 400, 450, 500, 550, 600}, {650, 60, 180, 300, 420, 780}};
  for (const auto& frequencies : runs) {
    std::vector<std::vector<Tone>> tones;
    for (const int f : frequencies) {
      tones.push_back({{f, f, kAmplitude, std::fmod(0.013 * f, 2 * kPi) - kPi}});
    }
    const auto got = measure(tones);
    for (std::size_t c = 0; c < kChannels; ++c) {
      const Measured& m = got[c];
      const Tone& tone = tones[c].front();
      BOOST_TEST_INFO(tone.f_in_hz << " Hz: " << std::abs(m.phasor) << " LSB, expected "
                                   << m.expected << " +- " << m.tolerance << " (droop "
                                   << 100 * (1 - sinc3_gain(tone.f_in_hz)) << " %)");
      BOOST_TEST(std::abs(std::abs(m.phasor) - m.expected) <= m.tolerance);
      const double phase_error =
          std::arg(m.phasor * std::exp(std::complex<double>(0, -tone.phase)));
      BOOST_TEST(std::abs(phase_error) <= m.tolerance / m.expected, "phase error " << phase_error);
    }
  }
}

BOOST_AUTO_TEST_CASE(inputs_at_multiples_of_fs_plus_or_minus_f_are_rejected_as_the_closed_form) {
  // Each folds onto f at the output rate; the sinc3's zeros at multiples of fs take them down
  // by about (pi f / fs)^3 there: 126 dB at fs - 50 Hz, 57 dB at fs - 650 Hz. The codes are
  // whole numbers: an alias of a fraction of an LSB on a steady code would round away, so a
  // 1 kHz tone of 0.3 of full scale rides along to spread the codes (it is in band, away from
  // every output frequency measured).
  const std::vector<int> f_in = {6350, 6450, 5750, 6650, 12750, 4400};
  const std::vector<int> f_out = {50, 50, 650, 250, 50, 2000};
  std::vector<std::vector<Tone>> tones;
  for (std::size_t c = 0; c < kChannels; ++c) {
    tones.push_back({{f_in[c], f_out[c], kAmplitude, 0.1 * c}, {1000, 1000, 0.15, 1.1}});
  }
  const auto got = measure(tones);
  for (std::size_t c = 0; c < kChannels; ++c) {
    const Measured& m = got[c];
    BOOST_TEST_INFO(f_in[c] << " Hz onto " << f_out[c] << " Hz: " << std::abs(m.phasor)
                            << " LSB, expected " << m.expected << " +- " << m.tolerance << " ("
                            << 20 * std::log10(sinc3_gain(f_in[c])) << " dB)");
    BOOST_TEST(std::abs(std::abs(m.phasor) - m.expected) <= m.tolerance);
  }
}

BOOST_AUTO_TEST_SUITE_END()
