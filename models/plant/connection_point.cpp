#include "plant/connection_point.h"

#include <algorithm>
#include <cmath>
#include <complex>

namespace amprig::models {
namespace {

constexpr double kPi = 3.14159265358979323846;
// Points per fundamental period for the ground truth (common/truth_grid.h).
constexpr int kTruthPoints = TruthGrid::kPoints;
constexpr double kSqrt2 = 1.41421356237309504880;
// Points per period for the phasors of the star point: the sum of
// sin(h theta + psi) e^{-j theta} over N uniform points vanishes unless h +- 1
// is a multiple of N, so 64 points are exact for every order the mains allows (<= 50).
constexpr int kPhasorPoints = 64;

using Complex = std::complex<double>;

// The RMS phasor X of a periodic x(theta1) = Im(sqrt2 X e^{j theta1}) + harmonics.
template <typename F>
Complex fundamental_phasor(F x) {
  Complex sum = 0.0;
  for (int k = 0; k < kPhasorPoints; ++k) {
    const double theta_rad = 2 * kPi * k / kPhasorPoints;
    sum += x(theta_rad) * Complex(std::sin(theta_rad), std::cos(theta_rad));
  }
  return sum * (kSqrt2 / kPhasorPoints);
}

// The building side of the connection point for the closed-form path, with the
// neutral lost: voltages against the floating star point, and each phase's load
// ratio for the loads' currents.
class BuildingMains final : public mains_if {
 public:
  BuildingMains(const mains_if& supply, Complex neutral_v,
                const std::array<Complex, kPhases>& load_ratio)
      : m_supply(supply), m_neutral_v(neutral_v), m_load_ratio(load_ratio) {}
  const MainsBlock& block(const BlockTime&) override {
    SC_REPORT_ERROR("plant", "BuildingMains is for the closed-form path only");
    static const MainsBlock empty{};
    return empty;
  }
  double frequency_hz() const override { return m_supply.frequency_hz(); }
  double voltage_at(Phase phase, double theta_rad) const override {
    if (!m_supply.present(phase)) return 0;
    const double theta1_rad = theta_rad - m_supply.angle_offset_rad(phase);
    return m_supply.voltage_at(phase, theta_rad) -
           kSqrt2 * std::imag(m_neutral_v * std::polar(1.0, theta1_rad));
  }
  bool present(Phase phase) const override { return m_supply.present(phase); }
  double angle_offset_rad(Phase phase) const override { return m_supply.angle_offset_rad(phase); }
  Network network() const override { return m_supply.network(); }
  Complex load_ratio(Phase phase) const override { return m_load_ratio[phase]; }

 private:
  const mains_if& m_supply;
  Complex m_neutral_v;
  std::array<Complex, kPhases> m_load_ratio;
};

}  // namespace

ConnectionPoint::ConnectionPoint(const sc_core::sc_module_name& name)
    : sc_core::sc_module(name), mains("mains"), sources("sources"), unmetered("unmetered"), out("out") {
  out.bind(*this);
}

bool ConnectionPoint::neutral_floats() const {
  return m_neutral_lost && mains[0]->network() == Network::tn;
}

ConnectionPoint::NeutralState ConnectionPoint::neutral_state() const {
  NeutralState state;
  if (!neutral_floats()) return state;
  const mains_if& grid = *mains[0];
  Complex supply_v[kPhases];
  Complex sum_yv = 0.0, sum_y = 0.0, sum_j = 0.0;
  for (int p = 0; p < kPhases; ++p) {
    const auto phase = static_cast<Phase>(p);
    // A lost line is open upstream: what hangs on it carries no current.
    if (!grid.present(phase)) continue;
    const double offset_rad = grid.angle_offset_rad(phase);
    supply_v[p] = fundamental_phasor(
        [&](double theta1_rad) { return grid.voltage_at(phase, theta1_rad + offset_rad); });
    const double supply_rms_v = std::abs(supply_v[p]);
    if (!(supply_rms_v > 0)) continue;
    Complex y = m_terminal_s[p];
    const auto add = [&](const current_source_if& source) {
      const Complex load_a = source.neutral_load_a(phase);
      if (load_a != 0.0) {
        // I = Y V_p with I given relative to V_p's angle: Y = I / |V_p|.
        y += load_a / supply_rms_v;
      } else {
        sum_j += fundamental_phasor([&](double theta1_rad) {
          return source.current_at(phase, theta1_rad + offset_rad, grid);
        });
      }
    };
    for (int s = 0; s < sources.size(); ++s) add(*sources[s]);
    for (int s = 0; s < unmetered.size(); ++s) add(*unmetered[s]);
    sum_yv += y * supply_v[p];
    sum_y += y;
  }
  // Nothing at all between the phases and the neutral: nothing moves it.
  if (std::abs(sum_y) == 0) return state;
  state.voltage_v = (sum_yv + sum_j) / sum_y;
  for (int p = 0; p < kPhases; ++p) {
    if (std::abs(supply_v[p]) > 0) {
      state.load_ratio[p] = (supply_v[p] - state.voltage_v) / supply_v[p];
    }
  }
  return state;
}

const MainsBlock& ConnectionPoint::voltages(const BlockTime& time) {
  const MainsBlock& supply = mains->block(time);
  if (!neutral_floats()) return supply;
  if (m_have_building && time.index == m_building.time.index && time.n == m_building.time.n &&
      time.dt_s == m_building.time.dt_s) {
    return m_building;
  }
  const NeutralState state = neutral_state();
  const std::size_t n = std::min(time.n, kMaxBlockSamples);
  // v_N(t) = sqrt2 * Im(V_N e^{j theta1}), from L1's unit phasor (filled even when L1 is lost).
  const double a = kSqrt2 * state.voltage_v.real();
  const double b = kSqrt2 * state.voltage_v.imag();
  const double* c1 = supply.cos_theta[L1].data();
  const double* s1 = supply.sin_theta[L1].data();
  m_building.time = supply.time;
  m_building.present = supply.present;
  m_building.load_ratio = state.load_ratio;
  for (int p = 0; p < kPhases; ++p) {
    std::copy(supply.cos_theta[p].begin(), supply.cos_theta[p].begin() + n,
              m_building.cos_theta[p].begin());
    std::copy(supply.sin_theta[p].begin(), supply.sin_theta[p].begin() + n,
              m_building.sin_theta[p].begin());
    const double* v_in = supply.v[p].data();
    double* v_out = m_building.v[p].data();
    // A lost line floats with the neutral: nothing drives it, the terminal reads 0.
    if (supply.present[p] == 0) {
      std::fill(v_out, v_out + n, 0.0);
      continue;
    }
    for (std::size_t k = 0; k < n; ++k) v_out[k] = v_in[k] - (a * s1[k] + b * c1[k]);
  }
  m_have_building = true;
  return m_building;
}

const CurrentBlock& ConnectionPoint::currents(const BlockTime& time) {
  if (m_have_currents && time.index == m_currents.time.index && time.n == m_currents.time.n &&
      time.dt_s == m_currents.time.dt_s) {
    return m_currents;
  }
  const MainsBlock& v = voltages(time);
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

const PhaseTruth& ConnectionPoint::compute_truth(Phase phase, bool full) const {
  const mains_if& supply = *mains[0];
  const bool floats = neutral_floats();
  const NeutralState state = floats ? neutral_state() : NeutralState{};
  const BuildingMains building(supply, state.voltage_v, state.load_ratio);
  const mains_if& grid = floats ? static_cast<const mains_if&>(building) : supply;
  // IT: the meter reports the line-to-line voltage to the next phase (L1-L2,
  // L2-L3, L3-L1); power stays per phase against the star voltage, so the
  // three phases still sum to the total (with no neutral the currents sum to
  // zero, and the reference point drops out of the total).
  const bool it = grid.network() == Network::it;
  const Phase next = static_cast<Phase>((phase + 1) % kPhases);
  const double next_offset_rad = grid.angle_offset_rad(next) - grid.angle_offset_rad(phase);

  // The same inputs as last time give the same truth: scenarios read it at every check, and
  // the balancing every cycle, mostly while nothing has changed. The key is every number the
  // waveforms below depend on (none with the neutral lost: the star point moves with them all).
  TruthMemo& memo = m_truth_memo[phase];
  std::vector<double>& key = m_truth_key;
  key.clear();
  bool keyed = !floats && grid.truth_key(phase, 0.0, key);
  if (keyed && it) {
    key.push_back(1);
    keyed = grid.truth_key(next, next_offset_rad, key);
  }
  for (int s = 0; keyed && s < sources.size(); ++s) {
    keyed = sources[s]->truth_key(phase, grid, key);
  }
  if (keyed && memo.keyed && key == memo.key) {
    if (memo.full || !full) return memo.truth;
  } else {
    memo.keyed = keyed;
    memo.full = false;
    memo.key.swap(key);
  }

  // The waveforms over one period, each model's closed form on the truth grid: the voltage, the
  // sum of the sources' currents (added in the sources' order, as point by point), and on IT the
  // next phase's voltage.
  constexpr int n = TruthGrid::kPoints;
  if (m_truth_v.empty()) {
    m_truth_v.resize(n);
    m_truth_i.resize(n);
    m_truth_next_v.resize(n);
  }
  double* v_k = m_truth_v.data();
  double* i_k = m_truth_i.data();
  double* next_v_k = m_truth_next_v.data();
  grid.truth_voltages(phase, 0.0, v_k);
  std::fill(i_k, i_k + n, 0.0);
  for (int s = 0; s < sources.size(); ++s) sources[s]->add_truth_currents(phase, grid, i_k);
  PhaseTruth& t = memo.truth;
  if (!full) {
    // The current's RMS and the active power: their own sums, as in the full pass below.
    double i_sq = 0, vi = 0;
    for (int k = 0; k < n; ++k) {
      i_sq += i_k[k] * i_k[k];
      vi += v_k[k] * i_k[k];
    }
    t = PhaseTruth{};
    t.current_a = std::sqrt(i_sq / kTruthPoints);
    t.power_w = vi / kTruthPoints;
    return t;
  }
  if (it) grid.truth_voltages(next, next_offset_rad, next_v_k);
  const double* sin_k = TruthGrid::get().sin();
  const double* cos_k = TruthGrid::get().cos();
  double v_sq = 0, u_sq = 0, i_sq = 0, vi = 0;
  std::complex<double> v1, i1;  // fundamental Fourier sums, sin-referenced
  for (int k = 0; k < n; ++k) {
    const double v = v_k[k];
    const double i = i_k[k];
    v_sq += v * v;
    i_sq += i * i;
    vi += v * i;
    if (it) {
      const double u = v - next_v_k[k];
      u_sq += u * u;
    }
    // x(theta) = Im(X e^{j theta}) for X = (2/N) * sum x * e^{-j theta} * j.
    const std::complex<double> e(sin_k[k], cos_k[k]);
    v1 += v * e;
    i1 += i * e;
  }
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
  memo.full = true;
  return t;
}

ConnectionPoint::CurrentTruth ConnectionPoint::truth_current(Phase phase) const {
  const PhaseTruth& t = compute_truth(phase, false);
  return CurrentTruth{t.current_a, t.power_w};
}

PhaseTruth ConnectionPoint::truth(Phase phase) const { return compute_truth(phase, true); }

double ConnectionPoint::frequency_hz() const { return mains->frequency_hz(); }

}  // namespace amprig::models
