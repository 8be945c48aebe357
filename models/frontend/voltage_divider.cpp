#include "frontend/voltage_divider.h"

#include <algorithm>

namespace amprig::models {

VoltageDivider::VoltageDivider(const sc_core::sc_module_name& name, const DividerConfig& config)
    : sc_core::sc_module(name), line("line"), out("out"), m_config(config) {
  out.bind(*this);
}

void VoltageDivider::sample(const BlockTime& time, double* pin_v) {
  if (!m_config.connected) {
    // Nothing wired: the pin sits at the bias, which is 0 relative to it.
    std::fill(pin_v, pin_v + time.n, 0.0);
    return;
  }
  const double* v = line->voltages(time).v[m_config.phase].data();
  const double ratio = this->ratio();
  if (!m_config.star_reference) {
    for (std::size_t k = 0; k < time.n; ++k) pin_v[k] = v[k] * ratio;
    return;
  }

  // Without a neutral the dividers' bottom ends meet in a star point of equal
  // resistors, which settles at the mean of the wired lines' voltages. The
  // three dividers ask for the same block; recomputing the mean in each costs
  // less than caching it would save.
  const double* wired[3] = {nullptr, nullptr, nullptr};
  int count = 0;
  bool self_linked = false;
  for (VoltageDivider* d : m_terminal) {
    if (d == nullptr) continue;
    self_linked = self_linked || d == this;
    if (d->m_config.connected) wired[count++] = d->line->voltages(time).v[d->m_config.phase].data();
  }
  if (!self_linked) {
    SC_REPORT_ERROR(name(), "star_reference needs link_terminal() with this divider in it");
    std::fill(pin_v, pin_v + time.n, 0.0);
    return;
  }
  const double weight = 1.0 / count;
  for (std::size_t k = 0; k < time.n; ++k) {
    double sum_v = 0;
    for (int j = 0; j < count; ++j) sum_v += wired[j][k];
    pin_v[k] = ratio * (v[k] - weight * sum_v);
  }
}

}  // namespace amprig::models
