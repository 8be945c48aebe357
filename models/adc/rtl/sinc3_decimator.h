#pragma once
// The verilated decimation filter (sinc3_decimator.sv) behind a small C++ interface. This header
// keeps Verilator's own out of everything that includes it.
#include <cstddef>
#include <cstdint>
#include <memory>

class VerilatedContext;
class Vsinc3_decimator;

namespace amprig::models {

// What the decimator is set up with while it is held in reset.
struct Sinc3Settings {
  unsigned ratio = 160;     // modulator clocks per sample, 2..Sinc3Decimator::kMaxRatio
  unsigned code_bits = 16;  // 1..16
  std::uint32_t scale = 0;  // code = round(sinc3 sum * scale / 2^shift), clamped to max_code
  unsigned shift = 0;
  std::uint16_t max_code = 0;  // 2^code_bits - 1

  // For `ratio` and `code_bits`: scale = round(2^(shift + code_bits) / ratio^3), with the
  // shift that gives scale 32 significant bits (a code within 2^-16 LSB of the exact
  // sum * 2^code_bits / ratio^3). Both must be in range (checked by the caller).
  static Sinc3Settings for_ratio(unsigned ratio, unsigned code_bits);
};

class Sinc3Decimator {
 public:
  static constexpr std::size_t kChannels = 6;
  // 32-bit CIC registers hold 1 + 3 * log2(ratio) bits: ratio^3 <= 2^30.
  static constexpr unsigned kMaxRatio = 1024;

  Sinc3Decimator();
  ~Sinc3Decimator();
  Sinc3Decimator(const Sinc3Decimator&) = delete;
  Sinc3Decimator& operator=(const Sinc3Decimator&) = delete;

  // One clock edge with rst_n low, which also samples the settings: the filter is empty, and
  // the first sample completes on the ratio-th clock after this.
  void reset(const Sinc3Settings& settings);
  // One modulator clock; bit c of `bits` is channel c's modulator output. Returns data_ready
  // after the edge: this clock completed a sample.
  bool clock(std::uint8_t bits);
  // `clocks` modulator clocks (the fast path: no call per clock). Returns data_ready after the
  // last; a sample completed on an earlier clock of the run is overwritten by the next.
  bool run(const std::uint8_t* bits, std::size_t clocks);

  // The latest sample of `channel`, and whether each channel's was clamped (bit c).
  std::uint16_t code(std::size_t channel) const;
  std::uint8_t clipped() const;
  bool data_ready() const;

 private:
  std::unique_ptr<VerilatedContext> m_context;
  std::unique_ptr<Vsinc3_decimator> m_rtl;
};

}  // namespace amprig::models
