#pragma once
// What a current source drew over a run of blocks, with the phase voltages it
// saw: the raw material of the load, solar and charger tests.
#include <complex>
#include <vector>

#include "common/interfaces.h"
#include "measure.h"

namespace amprig::models::test {

struct SourceRecord {
  std::vector<double> v[kPhases];
  std::vector<double> i[kPhases];
  double t0_s = 0;
  double rate_hz = 6400;

  double p_w(int p) const { return mean_product(v[p], i[p]); }
  double irms_a(int p) const { return rms(i[p]); }
  std::complex<double> v1(int p) const { return phasor(v[p], 50, t0_s, 1 / rate_hz); }
  std::complex<double> ih(int p, int order = 1) const {
    return phasor(i[p], 50, t0_s, 1 / rate_hz, order);
  }
  // Fundamental reactive power from the peak phasors: Im(V conj(I)) / 2,
  // + when the current lags.
  double q_var(int p) const { return (v1(p) * std::conj(ih(p))).imag() / 2; }

  // Appends one block: the mains' voltages and what `source` adds to zero currents.
  void append(const MainsBlock& mains, current_source_if& source) {
    static CurrentBlock out;  // 24 KiB: not on the stack
    for (auto& phase : out.i) phase.fill(0);
    source.add_current(mains, out);
    for (int p = 0; p < kPhases; ++p) {
      v[p].insert(v[p].end(), mains.v[p].begin(), mains.v[p].begin() + mains.time.n);
      i[p].insert(i[p].end(), out.i[p].begin(), out.i[p].begin() + mains.time.n);
    }
  }
};

}  // namespace amprig::models::test
