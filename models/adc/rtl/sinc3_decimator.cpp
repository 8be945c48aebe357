#include "adc/rtl/sinc3_decimator.h"

#include "Vsinc3_decimator.h"
#include "verilated.h"

namespace amprig::models {
namespace {

// Bits needed to write x: bit_length(7) = 3, bit_length(8) = 4.
unsigned bit_length(std::uint64_t x) {
  unsigned n = 0;
  for (; x != 0; x >>= 1) ++n;
  return n;
}

}  // namespace

Sinc3Settings Sinc3Settings::for_ratio(unsigned ratio, unsigned code_bits) {
  const std::uint64_t cube = std::uint64_t{ratio} * ratio * ratio;  // <= 2^30
  // 2^e / cube in [2^31, 2^32) for e = 31 + bit_length(cube - 1).
  const unsigned e = 31 + bit_length(cube - 1);
  Sinc3Settings s;
  s.ratio = ratio;
  s.code_bits = code_bits;
  s.scale = static_cast<std::uint32_t>(((std::uint64_t{1} << e) + cube / 2) / cube);
  s.shift = e - code_bits;
  s.max_code = static_cast<std::uint16_t>((1u << code_bits) - 1);
  return s;
}

Sinc3Decimator::Sinc3Decimator()
    : m_context(std::make_unique<VerilatedContext>()),
      m_rtl(std::make_unique<Vsinc3_decimator>(m_context.get(), "sinc3_decimator")) {
  m_rtl->clk = 0;
  m_rtl->rst_n = 0;
  m_rtl->eval();
}

Sinc3Decimator::~Sinc3Decimator() { m_rtl->final(); }

void Sinc3Decimator::reset(const Sinc3Settings& settings) {
  m_rtl->ratio = static_cast<std::uint16_t>(settings.ratio);
  m_rtl->scale = settings.scale;
  m_rtl->shift = static_cast<std::uint8_t>(settings.shift);
  m_rtl->max_code = settings.max_code;
  m_rtl->mod_bit = 0;
  m_rtl->rst_n = 0;
  clock(0);
  m_rtl->rst_n = 1;
}

bool Sinc3Decimator::clock(std::uint8_t bits) {
  // Verilator finds an edge by comparing clk with its value at the previous evaluation, so
  // the falling edge is evaluated too (it does nothing in the design).
  m_rtl->mod_bit = bits;
  m_rtl->clk = 1;
  m_rtl->eval();
  m_rtl->clk = 0;
  m_rtl->eval();
  return m_rtl->data_ready;
}

bool Sinc3Decimator::run(const std::uint8_t* bits, std::size_t clocks) {
  Vsinc3_decimator& rtl = *m_rtl;
  for (std::size_t n = 0; n < clocks; ++n) {
    rtl.mod_bit = bits[n];
    rtl.clk = 1;
    rtl.eval();
    rtl.clk = 0;
    rtl.eval();
  }
  return rtl.data_ready;
}

std::uint16_t Sinc3Decimator::code(std::size_t channel) const { return m_rtl->code[channel]; }

std::uint8_t Sinc3Decimator::clipped() const { return m_rtl->clipped; }

bool Sinc3Decimator::data_ready() const { return m_rtl->data_ready; }

}  // namespace amprig::models
