#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <vector>

#include "measure.h"
#include "source_record.h"
#include "world.h"

using namespace amprig::models;
using namespace amprig::models::test;

namespace {

constexpr double kRateHz = 6400;  // 128 samples per 50 Hz period
constexpr double kVoltageV = 230;

// One second (50 whole periods) of a load's current and its phase voltage.
using Record = SourceRecord;

Record record(Mains& mains, Load& load) {
  // Each Mains here is shared by several tests and must see its blocks in
  // order, so the clocks live as long as the process.
  static BlockClock loads_clock(kRateHz, 128);
  static BlockClock lost_clock(kRateHz, 128);
  BlockClock& clock = &mains == &world().mains_loads ? loads_clock : lost_clock;
  Record r;
  r.t0_s = static_cast<double>(clock.next_index()) / kRateHz;
  for (int b = 0; b < 50; ++b) r.append(mains.block(clock.next()), load);
  return r;
}

// Uniform sampling of a waveform with a kink: where a derivative jumps by J the
// rectangle rule errs by at most J*h^2/8 per kink, i.e. J*h^2/(16*pi) of a
// period's mean, with h = 2*pi/128. For the half-wave loads here that is below
// 3e-4 of the power, hence this bound (exact waveforms are held to 1e-9).
constexpr double kKinkTolerance = 1e-3;

// One second of a load's currents on one of the IT mains, each of which has
// its own clock so that it sees its blocks in order.
Record record_it(Mains& mains, Load& load) {
  static BlockClock clocks[3] = {{kRateHz, 128}, {kRateHz, 128}, {kRateHz, 128}};
  Mains* const all[3] = {&world().mains_it_loads, &world().mains_it_loads_132,
                         &world().mains_it_loads_lost};
  BlockClock& clock = clocks[std::find(all, all + 3, &mains) - all];
  Record r;
  r.t0_s = static_cast<double>(clock.next_index()) / kRateHz;
  static CurrentBlock out;
  for (int b = 0; b < 50; ++b) {
    const MainsBlock& m = mains.block(clock.next());
    for (auto& phase : out.i) phase.fill(0);
    load.add_current(m, out);
    for (int p = 0; p < kPhases; ++p) {
      r.v[p].insert(r.v[p].end(), m.v[p].begin(), m.v[p].begin() + m.time.n);
      r.i[p].insert(r.i[p].end(), out.i[p].begin(), out.i[p].begin() + m.time.n);
    }
  }
  return r;
}

std::vector<double> difference(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> d(a.size());
  for (std::size_t k = 0; k < a.size(); ++k) d[k] = a[k] - b[k];
  return d;
}

double worst_sum(const std::vector<double>& a, const std::vector<double>& b) {
  double worst = 0;
  for (std::size_t k = 0; k < a.size(); ++k) worst = std::max(worst, std::abs(a[k] + b[k]));
  return worst;
}

constexpr double kLineV = 400;  // the IT mains, line-to-line
const double kStarV = kLineV / std::sqrt(3.0);
constexpr double kRadToDeg = 180 / kPi;

}  // namespace

BOOST_AUTO_TEST_SUITE(load)

BOOST_AUTO_TEST_CASE(lagging_single_phase) {
  const Record r = record(world().mains_loads, world().load_lag);  // 10 A, pf 0.8 lag, L1
  BOOST_TEST(relative_error(r.irms_a(L1), 10) < 1e-9, r.irms_a(L1));
  BOOST_TEST(relative_error(r.p_w(L1), kVoltageV * 10 * 0.8) < 1e-9, r.p_w(L1));
  BOOST_TEST(relative_error(r.q_var(L1), kVoltageV * 10 * 0.6) < 1e-9, r.q_var(L1));
  BOOST_TEST(rms(r.i[L2]) == 0.0);
  BOOST_TEST(rms(r.i[L3]) == 0.0);
}

BOOST_AUTO_TEST_CASE(leading_three_phase) {
  const Record r = record(world().mains_loads, world().load_lead3);  // 4 A, pf 0.9 lead
  const double sin_phi = std::sqrt(1 - 0.9 * 0.9);
  for (int p = 0; p < kPhases; ++p) {
    BOOST_TEST(relative_error(r.irms_a(p), 4) < 1e-9, "L" << p + 1 << " " << r.irms_a(p));
    BOOST_TEST(relative_error(r.p_w(p), kVoltageV * 4 * 0.9) < 1e-9, r.p_w(p));
    // Leading (capacitive): negative reactive power.
    BOOST_TEST(relative_error(r.q_var(p), -kVoltageV * 4 * sin_phi) < 1e-9, r.q_var(p));
  }
}

BOOST_AUTO_TEST_CASE(harmonics_keep_the_rms_and_their_phase) {
  // 8 A RMS with 30 % 3rd and 20 % 5th (at 45 deg): I1 = 8 / sqrt(1 + .09 + .04).
  const Record r = record(world().mains_loads, world().load_harm);
  const double i1 = 8 / std::sqrt(1 + 0.09 + 0.04);
  const double phi = std::acos(0.95);
  BOOST_TEST(relative_error(r.irms_a(L1), 8) < 1e-9, r.irms_a(L1));
  BOOST_TEST(relative_error(std::abs(r.ih(L1)), kSqrt2 * i1) < 1e-9);
  // Against a pure-sine voltage only the fundamental carries power.
  BOOST_TEST(relative_error(r.p_w(L1), kVoltageV * i1 * 0.95) < 1e-9, r.p_w(L1));
  const double v_angle = std::arg(r.v1(L1));
  const auto i3 = r.ih(L1, 3);
  const auto i5 = r.ih(L1, 5);
  BOOST_TEST(relative_error(std::abs(i3), kSqrt2 * i1 * 0.30) < 1e-9);
  BOOST_TEST(relative_error(std::abs(i5), kSqrt2 * i1 * 0.20) < 1e-9);
  // Harmonic h sits at h*(theta - phi) + psi_h.
  const double rad_to_deg = 180 / kPi;
  BOOST_TEST(std::abs(wrap_deg((std::arg(i3) - 3 * v_angle + 3 * phi) * rad_to_deg)) < 1e-7);
  BOOST_TEST(std::abs(wrap_deg((std::arg(i5) - 5 * v_angle + 5 * phi) * rad_to_deg - 45)) < 1e-7);
}

BOOST_AUTO_TEST_CASE(half_wave_rectified) {
  // i = Ipk*max(0, sin(theta - phi)) with Ipk = 2*I: RMS = Ipk/2 = I, mean
  // Ipk/pi. Power: (1/2pi) int_phi^{phi+pi} sqrt2*V*sin(t)*Ipk*sin(t - phi) dt
  //   = sqrt2*V*Ipk*cos(phi)/4 = sqrt2*V*I*cos(phi)/2.
  // The fundamental of max(0, sin x) is sin(x)/2, so its RMS is Ipk/(2*sqrt2)
  // and Q1 = V*I*sin(phi)/sqrt2.
  {
    const Record r = record(world().mains_loads, world().load_half);  // 5 A, pf 1
    BOOST_TEST(relative_error(r.irms_a(L1), 5) < kKinkTolerance, r.irms_a(L1));
    BOOST_TEST(relative_error(mean(r.i[L1]), 10 / kPi) < kKinkTolerance, mean(r.i[L1]));
    BOOST_TEST(relative_error(r.p_w(L1), kSqrt2 * kVoltageV * 5 / 2) < kKinkTolerance, r.p_w(L1));
    BOOST_TEST(std::abs(r.q_var(L1)) < kKinkTolerance * kVoltageV * 5, r.q_var(L1));
  }
  {
    const Record r = record(world().mains_loads, world().load_half_lag);  // 5 A, pf 0.8
    BOOST_TEST(relative_error(r.irms_a(L1), 5) < kKinkTolerance, r.irms_a(L1));
    BOOST_TEST(relative_error(r.p_w(L1), kSqrt2 * kVoltageV * 5 * 0.8 / 2) < kKinkTolerance,
               r.p_w(L1));
    BOOST_TEST(relative_error(r.q_var(L1), kVoltageV * 5 * 0.6 / kSqrt2) < kKinkTolerance,
               r.q_var(L1));
  }
}

BOOST_AUTO_TEST_CASE(no_current_on_a_lost_phase) {
  const Record r = record(world().mains_loads_lost, world().load_on_lost);  // 6 A on L1, L2
  BOOST_TEST(relative_error(r.irms_a(L1), 6) < 1e-9);
  BOOST_TEST(rms(r.i[L2]) == 0.0);
  BOOST_TEST(world().load_on_lost.current_at(L2, 1.0, world().mains_loads_lost) == 0.0);
  BOOST_TEST(world().load_on_lost.current_at(L1, kPi / 2, world().mains_loads_lost) == 6 * kSqrt2,
             boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(block_path_matches_closed_form) {
  // current_at (std::sin) is the second implementation; add_current's
  // oscillators must agree with it at every sample's angle.
  Mains& mains = world().mains_loads;
  for (Load* load : {&world().load_lag, &world().load_lead3, &world().load_harm, &world().load_half,
                     &world().load_half_lag}) {
    const Record r = record(mains, *load);
    double worst = 0;
    for (int p = 0; p < kPhases; ++p) {
      for (std::size_t k = 0; k < r.i[p].size(); ++k) {
        const double t = r.t0_s + static_cast<double>(k) / kRateHz;
        const double theta = 2 * kPi * 50 * t - p * 2 * kPi / 3;
        worst = std::max(
            worst, std::abs(r.i[p][k] - load->current_at(static_cast<Phase>(p), theta, mains)));
      }
    }
    BOOST_TEST(worst < 1e-9, load->name() << ": worst " << worst << " A");
    // And the closed form against its defining formula at one angle.
    const LoadConfig& c = load->config();
    if (c.harmonics.empty() && c.waveform == LoadWaveform::sine) {
      const double phi = (c.leading ? -1 : 1) * std::acos(c.power_factor);
      BOOST_TEST(load->current_at(L1, 0.4, mains) == kSqrt2 * c.current_a * std::sin(0.4 - phi),
                 boost::test_tools::tolerance(1e-12));
    }
  }
}

BOOST_AUTO_TEST_CASE(config_validation) {
  LoadConfig ok;
  ok.current_a = 3;
  BOOST_TEST(Load::check(ok).empty());
  LoadConfig bad = ok;
  bad.power_factor = 1.2;
  BOOST_TEST(!Load::check(bad).empty());
  bad = ok;
  bad.current_a = -1;
  BOOST_TEST(!Load::check(bad).empty());
  bad = ok;
  bad.harmonics = {{1, 10, 0}};
  BOOST_TEST(!Load::check(bad).empty());
}

// Line-to-line loads on IT (400 V): current_a flows in on the first line and
// out on the second, at power_factor against u_ab = v_a - v_b.
BOOST_AUTO_TEST_CASE(line_to_line_load) {
  const Record r = record_it(world().mains_it_loads, world().ll_lag);  // L1-L2, 10 A, pf 0.8 lag
  const double phi = std::acos(0.8);
  BOOST_TEST(worst_sum(r.i[L1], r.i[L2]) < 1e-12);
  BOOST_TEST(rms(r.i[L3]) == 0.0);
  BOOST_TEST(relative_error(r.irms_a(L1), 10) < 1e-9, r.irms_a(L1));
  const std::vector<double> u12 = difference(r.v[L1], r.v[L2]);
  const auto u = phasor(u12, 50, r.t0_s, 1 / kRateHz);
  BOOST_TEST(relative_error(std::abs(u), kSqrt2 * kLineV) < 1e-9);
  // The current lags u12 by phi; u12 leads v1 by 30 deg.
  BOOST_TEST(std::abs(wrap_deg((std::arg(r.ih(L1)) - std::arg(u) + phi) * kRadToDeg)) < 1e-7);
  BOOST_TEST(std::abs(wrap_deg((std::arg(u) - std::arg(r.v1(L1))) * kRadToDeg - 30)) < 1e-7);
  // Against the star voltages: P1 = Vs*I*cos(phi - 30 deg), P2 = Vs*I*cos(phi + 30 deg),
  // which sum to U*I*cos(phi); likewise Q.
  const double d30 = kPi / 6;
  BOOST_TEST(relative_error(r.p_w(L1), kStarV * 10 * std::cos(phi - d30)) < 1e-9, r.p_w(L1));
  BOOST_TEST(relative_error(r.p_w(L2), kStarV * 10 * std::cos(phi + d30)) < 1e-9, r.p_w(L2));
  BOOST_TEST(relative_error(r.p_w(L1) + r.p_w(L2), kLineV * 10 * 0.8) < 1e-9);
  BOOST_TEST(relative_error(r.q_var(L1) + r.q_var(L2), kLineV * 10 * 0.6) < 1e-9);
  BOOST_TEST(relative_error(mean_product(u12, r.i[L1]), kLineV * 10 * 0.8) < 1e-9);
}

BOOST_AUTO_TEST_CASE(line_to_line_harmonics_refer_to_the_line_voltage) {
  // L3-L1, 6 A, pf 0.9 leading, 20 % 3rd and 10 % 5th at 30 deg.
  const Record r = record_it(world().mains_it_loads, world().ll_harm);
  const double i1 = 6 / std::sqrt(1 + 0.04 + 0.01);
  const double phi = -std::acos(0.9);
  BOOST_TEST(worst_sum(r.i[L3], r.i[L1]) < 1e-12);
  BOOST_TEST(rms(r.i[L2]) == 0.0);
  BOOST_TEST(relative_error(r.irms_a(L3), 6) < 1e-9, r.irms_a(L3));
  const auto u = phasor(difference(r.v[L3], r.v[L1]), 50, r.t0_s, 1 / kRateHz);
  const auto f = r.ih(L3);
  BOOST_TEST(relative_error(std::abs(f), kSqrt2 * i1) < 1e-9);
  BOOST_TEST(std::abs(wrap_deg((std::arg(f) - std::arg(u) + phi) * kRadToDeg)) < 1e-7);
  const double psi = std::arg(u);
  const auto h3 = r.ih(L3, 3);
  const auto h5 = r.ih(L3, 5);
  BOOST_TEST(relative_error(std::abs(h3), kSqrt2 * i1 * 0.2) < 1e-9);
  BOOST_TEST(relative_error(std::abs(h5), kSqrt2 * i1 * 0.1) < 1e-9);
  BOOST_TEST(std::abs(wrap_deg((std::arg(h3) - 3 * (psi - phi)) * kRadToDeg)) < 1e-7);
  BOOST_TEST(std::abs(wrap_deg((std::arg(h5) - 5 * (psi - phi)) * kRadToDeg - 30)) < 1e-7);
  // Only the fundamental exchanges power with the sinusoidal line voltage.
  BOOST_TEST(relative_error(r.p_w(L3) + r.p_w(L1), kLineV * i1 * 0.9) < 1e-9);
}

BOOST_AUTO_TEST_CASE(line_to_line_half_wave) {
  // L2-L3, 5 A, pf 0.8: as a single-phase half-wave load against u23,
  // P = sqrt2*U*I*cos(phi)/2 (see half_wave_rectified).
  const Record r = record_it(world().mains_it_loads, world().ll_half);
  BOOST_TEST(worst_sum(r.i[L2], r.i[L3]) < 1e-12);
  BOOST_TEST(rms(r.i[L1]) == 0.0);
  BOOST_TEST(relative_error(r.irms_a(L2), 5) < kKinkTolerance, r.irms_a(L2));
  BOOST_TEST(relative_error(r.p_w(L2) + r.p_w(L3), kSqrt2 * kLineV * 5 * 0.8 / 2) < kKinkTolerance);
}

BOOST_AUTO_TEST_CASE(line_to_line_block_path_matches_closed_form) {
  for (Mains* mains : {&world().mains_it_loads, &world().mains_it_loads_132}) {
    for (Load* load : {&world().ll_lag, &world().ll_harm, &world().ll_half}) {
      const Record r = record_it(*mains, *load);
      double worst = 0;
      for (int p = 0; p < kPhases; ++p) {
        const Phase phase = static_cast<Phase>(p);
        for (std::size_t k = 0; k < r.i[p].size(); ++k) {
          const double t = r.t0_s + static_cast<double>(k) / kRateHz;
          const double theta = 2 * kPi * 50 * t + mains->initial_angle_rad(phase);
          worst = std::max(worst, std::abs(r.i[p][k] - load->current_at(phase, theta, *mains)));
        }
      }
      BOOST_TEST(worst < 1e-9, mains->name() << " " << load->name() << ": worst " << worst);
    }
  }
  // L1-L3-L2: u12 lags v1 by 30 deg, so at v1's angle theta the current is
  // sqrt2*I*sin(theta - 30 deg - phi).
  const double phi = std::acos(0.8);
  const double theta = 0.4;
  BOOST_TEST(world().ll_lag.current_at(L1, theta, world().mains_it_loads_132) ==
                 kSqrt2 * 10 * std::sin(theta - kPi / 6 - phi),
             boost::test_tools::tolerance(1e-12));
  BOOST_TEST(world().ll_lag.current_at(L1, theta, world().mains_it_loads) ==
                 kSqrt2 * 10 * std::sin(theta + kPi / 6 - phi),
             boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(line_to_line_lost_line) {
  Mains& mains = world().mains_it_loads_lost;         // L2 lost
  const Record r = record_it(mains, world().ll_lag);  // L1-L2: nothing flows
  for (int p = 0; p < kPhases; ++p) BOOST_TEST(rms(r.i[p]) == 0.0);
  for (double theta : {0.3, 1.9, 4.0}) {
    BOOST_TEST(world().ll_lag.current_at(L1, theta, mains) == 0.0);
    BOOST_TEST(world().ll_lag.current_at(L2, theta, mains) == 0.0);
  }
  const Record other = record_it(mains, world().ll_harm);  // L3-L1 still draws
  BOOST_TEST(relative_error(other.irms_a(L1), 6) < 1e-9);
  BOOST_TEST(rms(other.i[L2]) == 0.0);
}

BOOST_AUTO_TEST_CASE(line_to_line_validation) {
  LoadConfig ok;
  ok.current_a = 3;
  ok.line_to_line = true;
  ok.phases = {L1, L2};
  BOOST_TEST(Load::check(ok).empty());
  ok.harmonics = {{3, 10, 0}};
  BOOST_TEST(Load::check(ok).empty());
  for (std::vector<Phase> phases :
       std::vector<std::vector<Phase>>{{L1}, {L2, L2}, {L1, L2, L3}, {}}) {
    LoadConfig bad = ok;
    bad.phases = phases;
    const std::string problem = Load::check(bad);
    BOOST_TEST(problem.find("two distinct phases") != std::string::npos, problem);
  }
}

BOOST_AUTO_TEST_SUITE_END()
