#pragma once
// The ground truth's sampling of one fundamental period (plant/connection_point.h): the points
// theta_k = 2 pi k / N, k = 0..N-1, with their sines and cosines from std::sin and std::cos,
// computed once per process. The closed-form models evaluate their waveforms on it through
// mains_if::truth_voltages and current_source_if::add_truth_currents: the same values as
// voltage_at and current_at at each theta_k, bit for bit, from this table and from the models'
// caches instead of several sin() per point and model.
#include <array>
#include <cmath>

namespace amprig::models {

class TruthGrid {
 public:
  // Points per fundamental period. The waveforms are periodic, so the rectangle rule is
  // spectrally accurate for smooth ones; a half-wave rectifier's kink still converges as 1/N^2.
  static constexpr int kPoints = 4096;

  static const TruthGrid& get() {
    static const TruthGrid grid;
    return grid;
  }
  const double* theta() const { return m_theta.data(); }
  const double* sin() const { return m_sin.data(); }
  const double* cos() const { return m_cos.data(); }

 private:
  TruthGrid() {
    constexpr double kPi = 3.14159265358979323846;
    for (int k = 0; k < kPoints; ++k) {
      const double theta_rad = 2 * kPi * k / kPoints;
      m_theta[k] = theta_rad;
      m_sin[k] = std::sin(theta_rad);
      m_cos[k] = std::cos(theta_rad);
    }
  }
  std::array<double, kPoints> m_theta;
  std::array<double, kPoints> m_sin;
  std::array<double, kPoints> m_cos;
};

}  // namespace amprig::models
