// End to end: mains -> loads -> connection point -> CTs and dividers -> ADC,
// elaborated as the rig does it and run in SystemC time.
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <complex>
#include <cstdint>

#include "measure.h"
#include "world.h"

using namespace amprig::models;
using namespace amprig::models::test;
using amprig::fw::Status;
using amprig::fw::hal::kAdcChannels;

namespace {

constexpr std::size_t kFrames = 128;
constexpr double kRateHz = 6400;

}  // namespace

BOOST_AUTO_TEST_SUITE(chain)

BOOST_AUTO_TEST_CASE(delivers_the_plant_in_adc_codes) {
  // Plant: 230 V 50 Hz; 10 A pf 1 on L1 plus 4 A pf 0.9 lagging on every
  // phase. CTs: 2100:1, 27 ohm, 0.8 deg lead; dividers 2.4k/1.0024M; ADC 16
  // bits, 3.3 V, bias 1.65 V, no noise, offset or gain error.
  Chain& c = world().chain;
  FakeAdcClient client(kFrames);
  BOOST_REQUIRE((c.adc.start({6400, kAdcChannels}, client.span(), client) == Status::ok));
  const double start_s = sc_core::sc_time_stamp().to_seconds();
  const auto start_index = static_cast<std::uint64_t>(std::ceil(start_s * kRateHz - 1e-6));
  sc_core::sc_start(sc_core::sc_time(0.205, sc_core::SC_SEC));
  c.adc.stop();

  // Ten halves of 20 ms, alternating, each when its last sample was taken.
  BOOST_TEST(client.events.size() == 10u);
  for (std::size_t k = 0; k < client.events.size(); ++k) {
    const auto& e = client.events[k];
    BOOST_TEST(e.full == (k % 2 == 1));
    const double due = static_cast<double>(start_index + (k + 1) * kFrames) / kRateHz;
    BOOST_TEST(e.time == sc_core::sc_time(due, sc_core::SC_SEC), "event " << k << " " << e.time);
  }
  BOOST_TEST(c.adc.samples_delivered() == 10 * kFrames);
  BOOST_TEST(c.adc.clipped_samples() == 0u);

  // Expected codes from the closed-form circuit. Secondary burden voltage
  // phasor: R_b * I_p/N * jwL_m/(R_b + jwL_m), L_m = R_b/(w*tan(0.8 deg)).
  const double w = 2 * kPi * 50;
  const double lm = 27 / (w * std::tan(deg_to_rad(0.8)));
  const std::complex<double> zm(0, w * lm);
  const std::complex<double> h = 27.0 / 2100.0 * zm / (27.0 + zm);
  const double phi = std::acos(0.9);
  const std::complex<double> ip[kPhases] = {
      kSqrt2 * 10.0 + std::polar(kSqrt2 * 4, -phi),
      std::polar(kSqrt2 * 4, -phi),
      std::polar(kSqrt2 * 4, -phi),
  };
  const double ratio = 2.4e3 / (1.0e6 + 2.4e3);
  std::size_t bad_v = 0, bad_i = 0;
  double worst_i_lsb = 0;
  for (const auto& e : client.events) {
    const std::uint64_t index0 =
        static_cast<std::uint64_t>(std::llround(e.time.to_seconds() * kRateHz)) - kFrames;
    for (std::size_t k = 0; k < kFrames; ++k) {
      const double t = static_cast<double>(index0 + k) / kRateHz;
      for (int p = 0; p < kPhases; ++p) {
        const double theta = w * t - p * 2 * kPi / 3;
        const double pin_v = kSqrt2 * 230 * std::sin(theta) * ratio;
        const double pin_i = (ip[p] * h * std::polar(1.0, theta)).imag();
        auto lsb = [](double pin) { return (pin + 1.65) / 3.3 * 65536; };
        const int code_v = e.codes[k * kAdcChannels + p];
        const int code_i = e.codes[k * kAdcChannels + 3 + p];
        // Voltage: exact arithmetic, only a tie may round either way (1e-6
        // LSB). Current: the CT's integrator may differ from the continuous
        // circuit by ~1e-3 LSB; 0.05 LSB leaves room.
        const double xv = lsb(pin_v), xi = lsb(pin_i);
        if (code_v < std::floor(xv - 1e-6 + 0.5) || code_v > std::floor(xv + 1e-6 + 0.5)) ++bad_v;
        if (code_i < std::floor(xi - 0.05 + 0.5) || code_i > std::floor(xi + 0.05 + 0.5)) ++bad_i;
        worst_i_lsb = std::max(worst_i_lsb, std::abs(code_i - xi));
      }
    }
  }
  BOOST_TEST_MESSAGE("chain: worst current-channel deviation " << worst_i_lsb
                                                               << " LSB (incl. rounding)");
  BOOST_TEST(bad_v == 0u);
  BOOST_TEST(bad_i == 0u, "worst current-channel deviation " << worst_i_lsb << " LSB");
  for (auto* ct : {&c.ct1, &c.ct2, &c.ct3}) BOOST_TEST(!ct->saturated());

  // The ground truth of the same plant.
  const PhaseTruth t1 = c.cp.truth(L1);
  BOOST_TEST(relative_error(t1.power_w, 230 * (10 + 4 * 0.9)) < 1e-9);
}

BOOST_AUTO_TEST_SUITE_END()
