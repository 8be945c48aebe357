#pragma once
// Tolerances follow from quantisation, never from the firmware's output:
// - Rounding each sample to the nearest code adds an error e with |e| <= 0.5 code. RMS (after
//   the mean is removed) is a seminorm of the positively weighted samples, so it moves by at most
//   rms(e) <= 0.5 code. The fundamental phasor of e is at most sqrt(2) rms(e) <= 0.71 code (RMS).
// - Covariance: |cov(v + ev, i + ei) - cov(v, i)| <= sd(v) sd(ei) + sd(i) sd(ev) + sd(ev) sd(ei)
//   (Cauchy-Schwarz) <= 0.5 (Vrms + Irms) + 0.25 code^2; the fundamental's V conj(I) likewise
//   with 0.71 in place of 0.5.
// - A window's fractional first and last sample periods are integrated with the value at the
//   sample (midpoint rule): at most 0.5 * 0.25 sample * |dx/dt| per edge, below 1e-5 of the
//   window's integral at 50 Hz / 6.4 kHz; single-precision DFT sums add ~1e-6. kModel = 2e-5 of
//   the quantity covers both.
#include <boost/test/unit_test.hpp>
#include <cmath>

#include "synthetic.h"

namespace amprig::fw::test {

constexpr double kModel = 2e-5;

inline double rms_tolerance(double gain, double expected) {
  return 0.5 * std::fabs(gain) + kModel * std::fabs(expected);
}

// For P: `k` = 0.5; for the fundamental's Q: 0.71.
inline double power_tolerance(double gain_v, double gain_i, double v_rms, double i_rms,
                              double k = 0.5) {
  const double v_codes = v_rms / std::fabs(gain_v);
  const double i_codes = i_rms / std::fabs(gain_i);
  return std::fabs(gain_v * gain_i) * (k * (v_codes + i_codes) + k * k) + kModel * v_rms * i_rms;
}

inline double angle_tolerance_deg(double v_rms_codes, double i_rms_codes) {
  return (0.71 / v_rms_codes + 0.71 / i_rms_codes + kModel) * 180.0 / kPi;
}

inline void check_close(double actual, double expected, double tolerance, const char* what) {
  BOOST_TEST_CONTEXT(what << ": expected " << expected << " +- " << tolerance) {
    BOOST_TEST(std::fabs(actual - expected) <= tolerance, what << " = " << actual);
  }
}

// A crossing is interpolated to within 0.5 code / slope (quantisation) plus the chord's own error
// `chord_samples` (omega^2 / 8 for a pure sine, omega in rad per sample); a window's frequency
// comes from two crossings whole cycles (those closest to 0.2 s) apart. 1e-5 Hz covers float.
inline double frequency_tolerance_hz(double frequency_hz, double sample_rate_hz,
                                     double amplitude_codes, double chord_samples) {
  const double omega = 2.0 * kPi * frequency_hz / sample_rate_hz;
  const double window_samples = std::round(0.2 * frequency_hz) * sample_rate_hz / frequency_hz;
  const double crossing_samples = 0.5 / (amplitude_codes * omega) + chord_samples;
  return frequency_hz * 2.0 * crossing_samples / window_samples + 1e-5;
}

inline double sine_chord_samples(double frequency_hz, double sample_rate_hz) {
  const double omega = 2.0 * kPi * frequency_hz / sample_rate_hz;
  return omega * omega / 8.0;
}

// Angles compare on the circle: -179.999 deg is 0.001 deg from 180 deg.
inline void check_angle_close(double actual_deg, double expected_deg, double tolerance_deg,
                              const char* what) {
  const double difference = std::remainder(actual_deg - expected_deg, 360.0);
  BOOST_TEST_CONTEXT(what << ": expected " << expected_deg << " +- " << tolerance_deg) {
    BOOST_TEST(std::fabs(difference) <= tolerance_deg, what << " = " << actual_deg);
  }
}

}  // namespace amprig::fw::test
