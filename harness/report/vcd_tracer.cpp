#include "report/vcd_tracer.h"

#include "rig/sim_order.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace amprig {
namespace {

std::string vcd_id(std::size_t index) {
  std::string id;
  do {
    id += static_cast<char>('!' + index % 94);
    index /= 94;
  } while (index > 0);
  return id;
}

std::vector<std::string> split(const std::string& name) {
  std::vector<std::string> parts;
  std::stringstream s(name);
  std::string part;
  while (std::getline(s, part, '.')) parts.push_back(part);
  return parts;
}

}  // namespace

std::vector<const Signal*> traceable_signals(const SignalRegistry& signals,
                                             const std::vector<std::string>& names) {
  std::vector<const Signal*> chosen;
  // Free text has no VCD representation; such signals stay out of traces.
  if (names.empty()) {
    for (const Signal* s : signals.all()) {
      if (s->type != SignalType::text) chosen.push_back(s);
    }
  } else {
    for (const auto& n : names) {
      const Signal& s = signals.at(n);
      if (s.type == SignalType::text) throw std::invalid_argument(n + " is text and cannot be traced");
      chosen.push_back(&s);
    }
  }
  return chosen;
}

VcdWriter::VcdWriter(const std::string& path, std::vector<const Signal*> chosen) : m_out(path) {
  std::sort(chosen.begin(), chosen.end(),
            [](const Signal* a, const Signal* b) { return a->name < b->name; });
  for (std::size_t i = 0; i < chosen.size(); ++i) m_traced.push_back(Traced{chosen[i], vcd_id(i), ""});
  write_header();
}

VcdTracer::VcdTracer(const sc_core::sc_module_name& name, const SignalRegistry& signals,
                     const std::string& path, double period_s,
                     const std::vector<std::string>& names)
    : sc_core::sc_module(name),
      m_writer(path, traceable_signals(signals, names)),
      m_period(period_s, sc_core::SC_SEC) {
  SC_HAS_PROCESS(VcdTracer);
  SC_THREAD(run);
}

void VcdWriter::write_header() {
  m_out << "$date simulated $end\n$version AmpRig $end\n$timescale 1 us $end\n";
  std::vector<std::string> open;
  for (const auto& t : m_traced) {
    auto parts = split(t.signal->name);
    const std::string leaf = parts.back();
    parts.pop_back();
    std::size_t common = 0;
    while (common < open.size() && common < parts.size() && open[common] == parts[common]) ++common;
    while (open.size() > common) {
      m_out << "$upscope $end\n";
      open.pop_back();
    }
    for (std::size_t i = common; i < parts.size(); ++i) {
      m_out << "$scope module " << parts[i] << " $end\n";
      open.push_back(parts[i]);
    }
    switch (t.signal->type) {
      case SignalType::number:
        m_out << "$var real 64 " << t.id << " " << leaf << " $end\n";
        break;
      case SignalType::boolean:
        m_out << "$var wire 1 " << t.id << " " << leaf << " $end\n";
        break;
      case SignalType::text:
        break;
      case SignalType::choice:
        m_out << "$comment " << t.signal->name << ":";
        for (std::size_t i = 0; i < t.signal->choices.size(); ++i) {
          m_out << " " << i << "=" << t.signal->choices[i];
        }
        m_out << " $end\n$var integer 8 " << t.id << " " << leaf << " $end\n";
        break;
    }
  }
  while (!open.empty()) {
    m_out << "$upscope $end\n";
    open.pop_back();
  }
  m_out << "$enddefinitions $end\n";
}

void VcdWriter::sample(double time_s, bool force) {
  const auto t_us = static_cast<unsigned long long>(time_s * 1e6 + 0.5);
  bool stamped = false;
  for (auto& t : m_traced) {
    const Value v = t.signal->get();
    std::string text;
    switch (t.signal->type) {
      case SignalType::number: {
        std::ostringstream s;
        s.precision(9);
        s << "r" << std::get<double>(v) << " " << t.id;
        text = s.str();
        break;
      }
      case SignalType::boolean:
        text = (std::get<bool>(v) ? "1" : "0") + t.id;
        break;
      case SignalType::text:
        break;
      case SignalType::choice: {
        const auto& c = t.signal->choices;
        const auto index = static_cast<unsigned>(
            std::find(c.begin(), c.end(), std::get<std::string>(v)) - c.begin());
        std::string bits;
        for (int b = 7; b >= 0; --b) bits += ((index >> b) & 1) ? '1' : '0';
        text = "b" + bits + " " + t.id;
        break;
      }
    }
    if (!force && text == t.last) continue;
    if (!stamped) {
      m_out << "#" << t_us << "\n";
      stamped = true;
    }
    m_out << text << "\n";
    t.last = text;
  }
}

void VcdTracer::run() {
  settle_for_observers();
  m_writer.sample(sc_core::sc_time_stamp().to_seconds(), true);
  for (;;) {
    wait(m_period);
    settle_for_observers();
    m_writer.sample(sc_core::sc_time_stamp().to_seconds(), false);
    m_writer.flush();
  }
}

}  // namespace amprig
