#pragma once
// VCD (GTKWave) output of registry signals: numbers as reals, booleans as wires, choices as their
// index with the mapping in a comment. Dotted names become nested scopes. The writer takes samples
// from anyone (a Python trace); the tracer samples the whole registry at a fixed period.
#include <fstream>
#include <string>
#include <systemc>
#include <vector>

#include "signals/signal_registry.h"

namespace amprig {

// The signals named (empty: every non-text signal of the registry), checked; throws
// std::out_of_range for an unknown name, std::invalid_argument for a text signal.
std::vector<const Signal*> traceable_signals(const SignalRegistry& signals,
                                             const std::vector<std::string>& names);

class VcdWriter {
 public:
  VcdWriter(const std::string& path, std::vector<const Signal*> signals);
  bool ok() const { return m_out.good(); }
  // Writes the values that changed since the last sample (all of them when `force`).
  void sample(double time_s, bool force);
  void flush() { m_out.flush(); }
  // Closes the file; false if any of it could not be written (a full disk shows only here).
  bool finish() {
    m_out.close();
    return !m_out.fail();
  }

 private:
  struct Traced {
    const Signal* signal;
    std::string id;
    std::string last;
  };
  void write_header();

  std::ofstream m_out;
  std::vector<Traced> m_traced;
};

class VcdTracer : public sc_core::sc_module {
 public:
  // `names` empty: every signal in the registry.
  VcdTracer(const sc_core::sc_module_name& name, const SignalRegistry& signals,
            const std::string& path, double period_s, const std::vector<std::string>& names);
  bool ok() const { return m_writer.ok(); }
  bool finish() { return m_writer.finish(); }

 private:
  void run();  // SC_THREAD

  VcdWriter m_writer;
  sc_core::sc_time m_period;
};

}  // namespace amprig
