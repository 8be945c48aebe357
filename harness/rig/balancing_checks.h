#pragma once
// The judgements the rig passes on the load balancer, as plain functions of what the rig
// observed; none of them asks the balancer, so a balancer bug cannot hide its own symptoms.
#include <array>
#include <cstddef>
#include <deque>
#include <vector>

namespace amprig::checks {

// Jain's fairness index (sum x)^2 / (n * sum x^2): 1 when every value is equal, 1/n when one
// takes everything. 1 for no values or all zero (nothing to share unfairly).
double jain_index(const std::vector<double>& values);

// Counts direction reversals of a stepwise signal (up then down, or down then up) inside a
// sliding window. Changes smaller than `deadband` are not a direction.
class ReversalCounter {
 public:
  explicit ReversalCounter(double window_s = 60, double deadband = 1e-6);
  void add(double t_s, double value);
  std::size_t reversals(double now_s);
  double per_minute(double now_s);

 private:
  double m_window_s;
  double m_deadband;
  bool m_have = false;
  double m_last = 0;
  int m_direction = 0;  // of the last change: -1, 0 (none yet), +1
  std::deque<double> m_times;
};

// One grid phase at one instant: what the group could have been given (capacity), what the
// cars that want current could take (demand: the sum of their maxima on the phase), and what
// they were given.
struct PhaseUse {
  double capacity_a = 0;
  double demand_a = 0;
  double given_a = 0;
};

// Share of the usable current min(capacity, demand) actually given, in %, on the phase that is
// best used (the binding one: a three-phase car limited by L1 leaves L2 idle by necessity).
// 100 when no phase has anything usable; above 100 when more was given than was there.
double utilisation_pct(const std::array<PhaseUse, 3>& phases);

}  // namespace amprig::checks
