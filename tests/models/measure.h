#pragma once
// Reference measurements for the tests, written from textbook definitions.
#include <cmath>
#include <complex>
#include <cstddef>
#include <vector>

namespace amprig::models::test {

inline double rms(const std::vector<double>& x) {
  double sum = 0;
  for (double v : x) sum += v * v;
  return std::sqrt(sum / static_cast<double>(x.size()));
}

inline double mean(const std::vector<double>& x) {
  double sum = 0;
  for (double v : x) sum += v;
  return sum / static_cast<double>(x.size());
}

inline double mean_product(const std::vector<double>& a, const std::vector<double>& b) {
  double sum = 0;
  for (std::size_t k = 0; k < a.size(); ++k) sum += a[k] * b[k];
  return sum / static_cast<double>(a.size());
}

// Peak phasor X of harmonic `order` of samples x_k taken at t_k = t0 + k*dt,
// with x(t) ~ Im(X e^{j*order*w*t}), w = 2*pi*f. Exact when the samples span a
// whole number of periods.
inline std::complex<double> phasor(const std::vector<double>& x, double f_hz, double t0_s,
                                   double dt_s, int order = 1) {
  const double pi = 3.14159265358979323846;
  std::complex<double> sum;
  for (std::size_t k = 0; k < x.size(); ++k) {
    const double a = order * 2 * pi * f_hz * (t0_s + static_cast<double>(k) * dt_s);
    sum += x[k] * std::complex<double>(std::sin(a), std::cos(a));  // x * j * e^{-ja}
  }
  return sum * (2.0 / static_cast<double>(x.size()));
}

inline double angle_deg(std::complex<double> z) {
  return std::arg(z) * 180 / 3.14159265358979323846;
}

// Wraps an angle difference to (-180, 180].
inline double wrap_deg(double deg) {
  while (deg > 180) deg -= 360;
  while (deg <= -180) deg += 360;
  return deg;
}

inline double relative_error(double actual, double expected) {
  return std::abs(actual - expected) / std::abs(expected);
}

}  // namespace amprig::models::test
