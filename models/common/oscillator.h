#pragma once
// Sines without sin() per sample: a rotation oscillator z_k = z_0 * w^k, whose
// imaginary part is the sine. Models use it for harmonics, which would
// otherwise cost one sin() per sample each.
#include <cstddef>

namespace amprig::models {

// Calls emit(k, re_k, im_k) for the unit phasor z_k = (c0, s0) * (cr, sr)^k,
// k = 0..n-1. Four interleaved oscillators each step by w^4: one oscillator is
// a chain of dependent multiplies (its latency bounds the loop), four
// independent ones let the CPU overlap them. Callers restart from an exact
// (c0, s0) every block, so rounding drift stays within a block.
template <typename Emit>
inline void rotate_phasor(std::size_t n, double c0, double s0, double cr, double sr, Emit emit) {
  double re[4], im[4];
  re[0] = c0;
  im[0] = s0;
  for (int j = 1; j < 4; ++j) {
    re[j] = re[j - 1] * cr - im[j - 1] * sr;
    im[j] = im[j - 1] * cr + re[j - 1] * sr;
  }
  const double cr2 = cr * cr - sr * sr, sr2 = 2 * cr * sr;
  const double cr4 = cr2 * cr2 - sr2 * sr2, sr4 = 2 * cr2 * sr2;
  std::size_t k = 0;
  for (; k + 4 <= n; k += 4) {
    for (int j = 0; j < 4; ++j) {
      emit(k + j, re[j], im[j]);
      const double re_next = re[j] * cr4 - im[j] * sr4;
      im[j] = im[j] * cr4 + re[j] * sr4;
      re[j] = re_next;
    }
  }
  for (int j = 0; k < n; ++k, ++j) emit(k, re[j], im[j]);
}

// out[k] += amplitude * Im(z_k).
inline void add_rotating_sine(double* out, std::size_t n, double amplitude, double c0, double s0,
                              double cr, double sr) {
  rotate_phasor(n, c0, s0, cr, sr,
                [=](std::size_t k, double, double im) { out[k] += amplitude * im; });
}

}  // namespace amprig::models
