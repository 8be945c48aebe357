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
  for (std::size_t k = 0; k < time.n; ++k) pin_v[k] = v[k] * ratio;
}

}  // namespace amprig::models
