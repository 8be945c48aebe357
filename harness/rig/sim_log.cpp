#include "rig/sim_log.h"

#include <cstdio>
#include <map>
#include <systemc>

namespace amprig {
namespace {

LogLevel g_level = LogLevel::warning;
std::map<std::string, LogLevel> g_module_levels;
int g_problems = 0;

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warning: return "warning";
    case LogLevel::error: return "error";
    case LogLevel::quiet: return "";
  }
  return "";
}

void report_handler(const sc_core::sc_report& report, const sc_core::sc_actions& actions) {
  LogLevel level = LogLevel::info;
  switch (report.get_severity()) {
    case sc_core::SC_INFO: level = LogLevel::info; break;
    case sc_core::SC_WARNING: level = LogLevel::warning; ++g_problems; break;
    case sc_core::SC_ERROR:
    case sc_core::SC_FATAL: level = LogLevel::error; ++g_problems; break;
    default: break;
  }
  // Models report with their hierarchical name as the message type. The kernel's
  // own notes ("simulation stopped by user" ends every run) are debug chatter.
  const std::string type = report.get_msg_type();
  if (level == LogLevel::info && type.rfind("/OSCI/", 0) == 0) level = LogLevel::debug;
  log_line(level, type, report.get_msg());
  // Errors still stop the run the SystemC way (an exception the runner reports).
  if (actions & sc_core::SC_THROW) throw report;
  if (actions & sc_core::SC_ABORT) std::abort();
}

}  // namespace

void set_log_level(LogLevel level) { g_level = level; }
void set_log_level(const std::string& module, LogLevel level) { g_module_levels[module] = level; }
LogLevel log_level() { return g_level; }

LogLevel log_level(const std::string& module) {
  LogLevel level = g_level;
  std::size_t best = 0;
  for (const auto& [prefix, l] : g_module_levels) {
    const bool matches = module.compare(0, prefix.size(), prefix) == 0 &&
                         (module.size() == prefix.size() || module[prefix.size()] == '.');
    if (matches && prefix.size() >= best) {
      best = prefix.size();
      level = l;
    }
  }
  return level;
}

bool parse_log_level(const std::string& text, LogLevel* out) {
  static const std::map<std::string, LogLevel> kNames = {{"debug", LogLevel::debug},
                                                        {"info", LogLevel::info},
                                                        {"warning", LogLevel::warning},
                                                        {"error", LogLevel::error},
                                                        {"quiet", LogLevel::quiet}};
  const auto it = kNames.find(text);
  if (it == kNames.end()) return false;
  *out = it->second;
  return true;
}

void log_line(LogLevel level, const std::string& module, const std::string& message) {
  if (level < log_level(module)) return;
  const double t_s = sc_core::sc_is_running() || sc_core::sc_time_stamp() > sc_core::SC_ZERO_TIME
                         ? sc_core::sc_time_stamp().to_seconds()
                         : 0.0;
  std::fprintf(stderr, "[%.6f s] %s: %s%s%s\n", t_s, module.c_str(),
               level >= LogLevel::warning ? level_name(level) : "",
               level >= LogLevel::warning ? ": " : "", message.c_str());
}

void install_systemc_report_handler() {
  sc_core::sc_report_handler::set_handler(report_handler);
  sc_core::sc_report_handler::set_actions(sc_core::SC_ERROR, sc_core::SC_DISPLAY | sc_core::SC_THROW);
  sc_core::sc_report_handler::set_actions(sc_core::SC_FATAL, sc_core::SC_DISPLAY | sc_core::SC_THROW);
}

int systemc_problem_count() { return g_problems; }

}  // namespace amprig
