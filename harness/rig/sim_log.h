#pragma once
// Rig logging: every line is stamped with simulated time and the hierarchical
// name of the module that wrote it, e.g. "[2.340000 s] rig.ct2: saturated".
#include <string>

namespace amprig {

enum class LogLevel { debug = 0, info = 1, warning = 2, error = 3, quiet = 4 };

void set_log_level(LogLevel level);
// The level for one module and everything below it ("rig.ct2", "rig"); the
// longest matching prefix wins over the global level.
void set_log_level(const std::string& module, LogLevel level);
LogLevel log_level();
LogLevel log_level(const std::string& module);
// Parses "debug", "info", "warning", "error", "quiet"; false if unknown.
bool parse_log_level(const std::string& text, LogLevel* out);
void log_line(LogLevel level, const std::string& module, const std::string& message);
// Routes SystemC's own reports through log_line; warnings and errors are also
// counted so a run can fail on them.
void install_systemc_report_handler();
int systemc_problem_count();

}  // namespace amprig
