#include "plant/connection_point.h"

#include <algorithm>
#include <cmath>
#include <complex>

namespace amprig::models {
namespace {

constexpr double kPi = 3.14159265358979323846;
// Points per fundamental period for the ground truth. The waveforms are
// periodic, so the rectangle rule is spectrally accurate for smooth ones; a
// half-wave rectifier's kink still converges as 1/N^2.
constexpr int kTruthPoints = 4096;

}  // namespace

ConnectionPoint::ConnectionPoint(const sc_core::sc_module_name& name)
    : sc_core::sc_module(name), mains("mains"), sources("sources"), unmetered("unmetered"), out("out") {
  out.bind(*this);
}

const MainsBlock& ConnectionPoint::voltages(const BlockTime& time) { return mains->block(time); }

const CurrentBlock& ConnectionPoint::currents(const BlockTime& time) {
  if (m_have_currents && time.index == m_currents.time.index && time.n == m_currents.time.n &&
      time.dt_s == m_currents.time.dt_s) {
    return m_currents;
  }
  const MainsBlock& v = mains->block(time);
  m_currents.time = time;
  const std::size_t n = time.n <= kMaxBlockSamples ? time.n : kMaxBlockSamples;
  for (auto& phase : m_currents.i) std::fill(phase.begin(), phase.begin() + n, 0.0);
  for (int s = 0; s < sources.size(); ++s) sources[s]->add_current(v, m_currents);
  for (int p = 0; p < kPhases; ++p) {
    double vi = 0;
    for (std::size_t k = 0; k < n; ++k) vi += v.v[p][k] * m_currents.i[p][k];
    const double energy_j = vi * time.dt_s;
    (energy_j >= 0 ? m_import_j[p] : m_export_j[p]) += std::abs(energy_j);
  }
  if (m_fuse != nullptr) {
    if (unmetered.size() == 0) {
      m_fuse->update(m_currents);
    } else {
      m_supply = m_currents;
      for (int s = 0; s < unmetered.size(); ++s) unmetered[s]->add_current(v, m_supply);
      m_fuse->update(m_supply);
    }
  }
  m_have_currents = true;
  return m_currents;
}

PhaseTruth ConnectionPoint::truth(Phase phase) const {
  const mains_if& grid = *mains[0];
  // IT: the meter reports the line-to-line voltage to the next phase (L1-L2,
  // L2-L3, L3-L1); power stays per phase against the star voltage, so the
  // three phases still sum to the total (with no neutral the currents sum to
  // zero, and the reference point drops out of the total).
  const bool it = grid.network() == Network::it;
  const Phase next = static_cast<Phase>((phase + 1) % kPhases);
  const double next_offset_rad = grid.angle_offset_rad(next) - grid.angle_offset_rad(phase);
  double v_sq = 0, u_sq = 0, i_sq = 0, vi = 0;
  std::complex<double> v1, i1;  // fundamental Fourier sums, sin-referenced
  for (int k = 0; k < kTruthPoints; ++k) {
    const double theta_rad = 2 * kPi * k / kTruthPoints;
    const double v = grid.voltage_at(phase, theta_rad);
    double i = 0;
    for (int s = 0; s < sources.size(); ++s) i += sources[s]->current_at(phase, theta_rad, grid);
    v_sq += v * v;
    i_sq += i * i;
    vi += v * i;
    if (it) {
      const double u = v - grid.voltage_at(next, theta_rad + next_offset_rad);
      u_sq += u * u;
    }
    // x(theta) = Im(X e^{j theta}) for X = (2/N) * sum x * e^{-j theta} * j.
    const std::complex<double> e(std::sin(theta_rad), std::cos(theta_rad));
    v1 += v * e;
    i1 += i * e;
  }
  PhaseTruth t;
  const double star_v = std::sqrt(v_sq / kTruthPoints);
  t.voltage_v = it ? std::sqrt(u_sq / kTruthPoints) : star_v;
  t.current_a = std::sqrt(i_sq / kTruthPoints);
  t.power_w = vi / kTruthPoints;
  t.apparent_va = star_v * t.current_a;
  // Peak phasors, so V*conj(I)/2 is the fundamental's complex power; its
  // imaginary part is + for a current lagging the voltage (inductive import).
  const std::complex<double> s1 =
      (2.0 / kTruthPoints) * v1 * std::conj((2.0 / kTruthPoints) * i1) / 2.0;
  t.reactive_var = s1.imag();
  t.power_factor = t.apparent_va > 1e-9 ? t.power_w / t.apparent_va : 0;
  return t;
}

double ConnectionPoint::frequency_hz() const { return mains->frequency_hz(); }

}  // namespace amprig::models
