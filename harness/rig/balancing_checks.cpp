#include "rig/balancing_checks.h"

#include <algorithm>
#include <cmath>

namespace amprig::checks {

double jain_index(const std::vector<double>& values) {
  double sum = 0;
  double sum_sq = 0;
  for (double x : values) {
    sum += x;
    sum_sq += x * x;
  }
  if (values.empty() || sum_sq <= 0) return 1;
  return sum * sum / (static_cast<double>(values.size()) * sum_sq);
}

ReversalCounter::ReversalCounter(double window_s, double deadband)
    : m_window_s(window_s), m_deadband(deadband) {}

void ReversalCounter::add(double t_s, double value) {
  if (!m_have) {
    m_have = true;
    m_last = value;
    return;
  }
  const double change = value - m_last;
  if (std::abs(change) <= m_deadband) return;
  const int direction = change > 0 ? 1 : -1;
  if (m_direction != 0 && direction != m_direction) m_times.push_back(t_s);
  m_direction = direction;
  m_last = value;
}

std::size_t ReversalCounter::reversals(double now_s) {
  while (!m_times.empty() && m_times.front() <= now_s - m_window_s) m_times.pop_front();
  return m_times.size();
}

double ReversalCounter::per_minute(double now_s) {
  return static_cast<double>(reversals(now_s)) * 60 / m_window_s;
}

double utilisation_pct(const std::array<PhaseUse, 3>& phases) {
  double best = -1;
  for (const auto& p : phases) {
    const double usable_a = std::min(std::max(p.capacity_a, 0.0), p.demand_a);
    if (usable_a <= 0.01) continue;
    best = std::max(best, 100 * p.given_a / usable_a);  // above 100: more than was there
  }
  return best < 0 ? 100 : best;
}

}  // namespace amprig::checks
