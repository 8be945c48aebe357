#pragma once
// Samples registry signals at a fixed period and streams them to a VCD file
// (GTKWave): numbers as reals, booleans as wires, choices as their index with
// the mapping in a comment. Dotted names become nested scopes.
#include <fstream>
#include <string>
#include <systemc>
#include <vector>

#include "signals/signal_registry.h"

namespace amprig {

class VcdTracer : public sc_core::sc_module {
 public:
  // `names` empty: every signal in the registry.
  VcdTracer(const sc_core::sc_module_name& name, const SignalRegistry& signals,
            const std::string& path, double period_s, const std::vector<std::string>& names);
  bool ok() const { return m_out.good(); }

 private:
  struct Traced {
    const Signal* signal;
    std::string id;
    std::string last;
  };
  void run();  // SC_THREAD
  void write_header();
  void sample(bool force);

  std::ofstream m_out;
  std::vector<Traced> m_traced;
  sc_core::sc_time m_period;
};

}  // namespace amprig
