#pragma once
// What a run leaves for people and for CI: the summary table, JUnit XML and a
// Markdown report.
#include <ostream>
#include <string>
#include <vector>

#include "report/result.h"

namespace amprig {

void print_summary(std::ostream& out, const std::vector<ScenarioResult>& results, double wall_s);
// Returns false if the file cannot be written.
bool write_junit(const std::string& path, const std::vector<ScenarioResult>& results);
bool write_markdown_report(const std::string& path, const std::vector<ScenarioResult>& results,
                           const std::string& command);

}  // namespace amprig
