// The ground truth's fast path (the truth grid's table, the models' cached waveforms, the memo of
// the last result per phase) against the plain closed form it replaces: voltage_at and current_at
// at every point, summed in the same order. The two must agree to the last bit, whatever changed
// in between, since scenarios compare the meter against these values.
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <complex>
#include <cstring>
#include <functional>

#include "world.h"

using namespace amprig::models;
using namespace amprig::models::test;

namespace {

// ConnectionPoint::truth as it was computed point by point (a connection point whose neutral
// is not lost).
PhaseTruth per_point(ConnectionPoint& cp, Phase phase) {
  constexpr double kPi = 3.14159265358979323846;
  constexpr int n = TruthGrid::kPoints;
  const mains_if& grid = *cp.mains[0];
  const bool it = grid.network() == Network::it;
  const Phase next = static_cast<Phase>((phase + 1) % kPhases);
  const double next_offset_rad = grid.angle_offset_rad(next) - grid.angle_offset_rad(phase);
  double v_sq = 0, u_sq = 0, i_sq = 0, vi = 0;
  std::complex<double> v1, i1;
  for (int k = 0; k < n; ++k) {
    const double theta_rad = 2 * kPi * k / n;
    const double v = grid.voltage_at(phase, theta_rad);
    double i = 0;
    for (int s = 0; s < cp.sources.size(); ++s)
      i += cp.sources[s]->current_at(phase, theta_rad, grid);
    v_sq += v * v;
    i_sq += i * i;
    vi += v * i;
    if (it) {
      const double u = v - grid.voltage_at(next, theta_rad + next_offset_rad);
      u_sq += u * u;
    }
    const std::complex<double> e(std::sin(theta_rad), std::cos(theta_rad));
    v1 += v * e;
    i1 += i * e;
  }
  PhaseTruth t;
  const double star_v = std::sqrt(v_sq / n);
  t.voltage_v = it ? std::sqrt(u_sq / n) : star_v;
  t.current_a = std::sqrt(i_sq / n);
  t.power_w = vi / n;
  t.apparent_va = star_v * t.current_a;
  const std::complex<double> s1 = (2.0 / n) * v1 * std::conj((2.0 / n) * i1) / 2.0;
  t.reactive_var = s1.imag();
  t.power_factor = t.apparent_va > 1e-9 ? t.power_w / t.apparent_va : 0;
  return t;
}

bool same_bits(const PhaseTruth& a, const PhaseTruth& b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

// Every phase of `cp`, both ways in: the whole truth first, or its current and power first.
void check_exact(ConnectionPoint& cp, const char* what) {
  BOOST_TEST_CONTEXT(what) {
    for (int p = 0; p < kPhases; ++p) {
      const auto phase = static_cast<Phase>(p);
      const PhaseTruth expected = per_point(cp, phase);
      const ConnectionPoint::CurrentTruth partial = cp.truth_current(phase);
      BOOST_TEST(partial.current_a == expected.current_a, "L" << p + 1);
      BOOST_TEST(partial.power_w == expected.power_w, "L" << p + 1);
      BOOST_TEST(same_bits(cp.truth(phase), expected), "L" << p + 1);
      BOOST_TEST(same_bits(cp.truth(phase), expected), "L" << p + 1 << " again (memo)");
      BOOST_TEST(cp.truth_current(phase).current_a == expected.current_a, "L" << p + 1);
    }
  }
}

// Changes something through `change`, checks the truth follows bit for bit, and undoes it.
void check_after(ConnectionPoint& cp, const char* what, const std::function<void()>& change,
                 const std::function<void()>& undo) {
  const PhaseTruth before = cp.truth(L1);
  change();
  check_exact(cp, what);
  BOOST_TEST(!same_bits(cp.truth(L1), before), what << ": the change shows in L1's truth");
  undo();
  check_exact(cp, what);
  BOOST_TEST(same_bits(cp.truth(L1), before), what << ": undone");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ground_truth)

BOOST_AUTO_TEST_CASE(fast_path_equals_the_closed_form_point_by_point) {
  World& w = world();
  check_exact(w.cp, "cp (sagged L2, lagging, leading and half-wave loads)");
  check_exact(w.cp_empty, "cp_empty");
  check_exact(w.cp_harm, "cp_harm (voltage harmonics)");
  check_exact(w.cp_solar, "cp_solar (PV)");
  check_exact(w.cp_it_three, "cp_it_three");
  check_exact(w.cp_it_ll, "cp_it_ll (line-to-line load)");
  check_exact(w.cp_it_sag, "cp_it_sag (IT, unequal levels, L1-L3-L2)");
  check_exact(w.cp_it_pv, "cp_it_pv (IT PV)");
  check_exact(w.cp_ev, "cp_ev (charger)");
  check_exact(w.chain.cp, "chain");
  check_exact(w.faults.cp_interrupt, "cp_interrupt");
}

BOOST_AUTO_TEST_CASE(follows_every_change_of_its_inputs) {
  World& w = world();
  // The inverter before its first block (its output then depends on the time: never memoised).
  check_exact(w.cp_truth, "cp_truth before any block");
  // Blocks move the car (plugged in, ramping to its setpoint) and the inverter's sensing.
  BlockTime time;
  time.dt_s = 1.0 / 6400;
  time.n = 64;
  const auto run_blocks = [&](int blocks) {
    for (int b = 0; b < blocks; ++b) {
      const MainsBlock& mains = w.mains_truth.block(time);
      CurrentBlock out{};
      w.truth_car.add_current(mains, out);
      w.truth_pv.add_current(mains, out);
      time.index += time.n;
      time.t0_s = static_cast<double>(time.index) * time.dt_s;
    }
  };
  run_blocks(10);
  check_exact(w.cp_truth, "cp_truth after 100 ms");
  run_blocks(500);
  check_exact(w.cp_truth, "cp_truth after 5 s");

  LoadConfig& lag = w.truth_lag.config();
  const LoadConfig lag0 = lag;
  check_after(
      w.cp_truth, "load current", [&] { lag.current_a = 12.5; }, [&] { lag = lag0; });
  check_after(
      w.cp_truth, "load power factor", [&] { lag.power_factor = 0.6; }, [&] { lag = lag0; });
  check_after(
      w.cp_truth, "load leading", [&] { lag.leading = true; }, [&] { lag = lag0; });
  check_after(
      w.cp_truth, "load harmonics",
      [&] {
        lag.harmonics.push_back(Harmonic{5, 20, 30});
      },
      [&] { lag = lag0; });
  check_after(
      w.cp_truth, "load waveform", [&] { lag.waveform = LoadWaveform::half_wave_rectified; },
      [&] { lag = lag0; });
  LoadConfig& three = w.truth_three.config();
  const LoadConfig three0 = three;
  check_after(
      w.cp_truth, "a load's harmonic", [&] { three.harmonics[1].phase_deg = 90; },
      [&] { three = three0; });
  MainsConfig& m = w.mains_truth.config();
  const MainsConfig m0 = m;
  check_after(
      w.cp_truth, "mains level", [&] { m.level[L1] = 0.7; }, [&] { m = m0; });
  check_after(
      w.cp_truth, "mains voltage", [&] { m.voltage_v = 240; }, [&] { m = m0; });
  check_after(
      w.cp_truth, "mains harmonic", [&] { m.harmonics[0].percent = 3; }, [&] { m = m0; });
  check_after(
      w.cp_truth, "phase lost", [&] { m.lost[L1] = true; }, [&] { m = m0; });
  check_after(
      w.cp_truth, "inverter's reactive power", [&] { w.truth_pv.config().reactive_var = 0; },
      [&] { w.truth_pv.config().reactive_var = 500; });

  // A new setpoint: the car steps down, then the inverter's next block changes its output.
  const double now_s = time.t0_s;
  const PhaseTruth before = w.cp_truth.truth(L2);
  w.truth_car.set_setpoint(6, now_s);
  w.truth_car.update(now_s + 10);
  check_exact(w.cp_truth, "car at its new setpoint");
  BOOST_TEST(!same_bits(w.cp_truth.truth(L2), before));
  w.truth_pv.config().power_w = 1000;
  run_blocks(1);
  check_exact(w.cp_truth, "inverter at its new power");

  // IT: the sequence moves a line-to-line load's reference and the next line's voltage.
  check_exact(w.cp_truth_it, "cp_truth_it");
  MainsConfig& it = w.mains_truth_it.config();
  const MainsConfig it0 = it;
  check_after(
      w.cp_truth_it, "IT sequence",
      [&] {
        it.sequence = {L1, L3, L2};
      },
      [&] { it = it0; });
  LoadConfig& ll = w.truth_ll.config();
  const LoadConfig ll0 = ll;
  check_after(
      w.cp_truth_it, "IT line-to-line load", [&] { ll.power_factor = 0.5; }, [&] { ll = ll0; });
}

BOOST_AUTO_TEST_SUITE_END()
