#pragma once
// What a run leaves for people and for CI: the summary table, JUnit XML and a
// Markdown report.
#include <ostream>
#include <string>
#include <vector>

#include "report/result.h"

namespace amprig {

void print_summary(std::ostream& out, const std::vector<ScenarioResult>& results, double wall_s);
// Each returns "" once the whole file is written (its folder made if missing), else why not.
// A no_checks result is a <failure>, or <skipped> when `allow_no_checks` (a smoke run).
std::string write_junit(const std::string& path, const std::vector<ScenarioResult>& results,
                        bool allow_no_checks = false);
std::string write_markdown_report(const std::string& path,
                                  const std::vector<ScenarioResult>& results,
                                  const std::string& command);
// Makes the folder that will hold `path` if it is missing; "" or why it cannot.
std::string make_parent_folder(const std::string& path);

}  // namespace amprig
