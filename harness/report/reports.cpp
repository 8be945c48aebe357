#include "report/reports.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

namespace amprig {
namespace {

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default:
        // XML 1.0 has no place for most control characters.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
          out += '?';
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string fixed(double v, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

// Closes `out` and says whether every byte reached the file: a full disk shows only when the
// buffer is flushed.
std::string finish(std::ofstream& out) {
  out.close();
  if (!out.fail()) return "";
  return errno != 0 ? std::strerror(errno) : "write failed";
}

std::string open_for_writing(const std::string& path, std::ofstream& out) {
  if (std::string why = make_parent_folder(path); !why.empty()) return why;
  errno = 0;
  out.open(path);
  if (!out) return errno != 0 ? std::strerror(errno) : "cannot open";
  return "";
}

}  // namespace

std::string make_parent_folder(const std::string& path) {
  const auto parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return "";
  std::error_code error;
  std::filesystem::create_directories(parent, error);
  if (error) return "cannot make the folder " + parent.string() + ": " + error.message();
  return "";
}

void print_summary(std::ostream& out, const std::vector<ScenarioResult>& results, double wall_s) {
  std::size_t width = 8;
  std::size_t result_width = 6;
  for (const auto& r : results) {
    width = std::max(width, r.id.size());
    result_width = std::max(result_width, std::strlen(to_string(r.outcome)));
  }
  const std::size_t line_width = width + result_width + 36;
  out << "\n"
      << std::left << std::setw(static_cast<int>(width)) << "scenario"
      << "  " << std::setw(static_cast<int>(result_width)) << "result"
      << "  checks  failed   sim [s]  wall [s]\n"
      << std::string(line_width, '-') << "\n";
  int passed = 0, failed = 0, errors = 0, no_checks = 0;
  double sim_s = 0;
  for (const auto& r : results) {
    out << std::left << std::setw(static_cast<int>(width)) << r.id << "  "
        << std::setw(static_cast<int>(result_width)) << to_string(r.outcome) << std::right
        << std::setw(8) << r.expectations << std::setw(8) << r.failed << std::setw(10)
        << fixed(r.sim_s, 1) << std::setw(10) << fixed(r.wall_s, 3) << "\n";
    sim_s += r.sim_s;
    switch (r.outcome) {
      case ScenarioResult::Outcome::passed: ++passed; break;
      case ScenarioResult::Outcome::failed: ++failed; break;
      case ScenarioResult::Outcome::error: ++errors; break;
      case ScenarioResult::Outcome::no_checks: ++no_checks; break;
    }
  }
  out << std::string(line_width, '-') << "\n";
  bool any_problem = false;
  for (const auto& r : results) {
    if (r.outcome == ScenarioResult::Outcome::passed) continue;
    if (!any_problem) out << "\n";
    any_problem = true;
    out << to_string(r.outcome) << " " << r.id << " (" << r.file << ")\n";
    // Every line of a several-line message indented under its scenario.
    auto indented = [&](const std::string& text) {
      std::istringstream lines(text);
      std::string line;
      while (std::getline(lines, line)) out << "  " << line << "\n";
    };
    if (!r.error.empty()) indented(r.error);
    for (const auto& f : r.failures) indented(f.message);
    if (!r.rerun.empty()) indented("rerun: " + r.rerun);
    if (r.outcome == ScenarioResult::Outcome::error && !r.output.empty()) {
      out << "  output:\n";
      std::istringstream lines(r.output);
      std::string line;
      while (std::getline(lines, line)) out << "    " << line << "\n";
    }
  }
  out << "\n"
      << passed << " passed, " << failed + errors << " failed"
      << (errors ? " (" + std::to_string(errors) + " with errors)" : std::string())
      << (no_checks ? ", " + std::to_string(no_checks) + " with no checks" : std::string()) << "; "
      << fixed(sim_s, 1) << " s simulated in " << fixed(wall_s, 2) << " s\n";
}

std::string write_junit(const std::string& path, const std::vector<ScenarioResult>& results,
                        bool allow_no_checks) {
  std::ofstream out;
  if (std::string why = open_for_writing(path, out); !why.empty()) return why;
  int failures = 0, errors = 0, skipped = 0;
  double time_s = 0;
  for (const auto& r : results) {
    const bool no_checks = r.outcome == ScenarioResult::Outcome::no_checks;
    failures += r.outcome == ScenarioResult::Outcome::failed || (no_checks && !allow_no_checks);
    errors += r.outcome == ScenarioResult::Outcome::error;
    skipped += no_checks && allow_no_checks;
    time_s += r.wall_s;
  }
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites>\n<testsuite name=\"amprig\" tests=\"" << results.size() << "\" failures=\""
      << failures << "\" errors=\"" << errors << "\" skipped=\"" << skipped << "\" time=\""
      << fixed(time_s, 3) << "\">\n";
  for (const auto& r : results) {
    const auto dir = std::filesystem::path(r.file).parent_path().filename().string();
    out << "  <testcase classname=\"" << xml_escape(dir.empty() ? "scenarios" : dir) << "\" name=\""
        << xml_escape(r.id) << "\" file=\"" << xml_escape(r.file) << "\" time=\""
        << fixed(r.wall_s, 3) << "\">\n";
    const std::string rerun = r.rerun.empty() ? "" : "rerun: " + r.rerun + "\n";
    if (r.outcome == ScenarioResult::Outcome::failed) {
      std::string text;
      for (const auto& f : r.failures) text += f.message + "\n";
      out << "    <failure message=\""
          << xml_escape(r.failures.empty() ? "" : r.failures[0].message) << "\">"
          << xml_escape(text + rerun) << "</failure>\n";
    } else if (r.outcome == ScenarioResult::Outcome::error) {
      out << "    <error message=\"" << xml_escape(r.error) << "\">" << xml_escape(rerun + r.output)
          << "</error>\n";
    } else if (r.outcome == ScenarioResult::Outcome::no_checks) {
      out << "    <" << (allow_no_checks ? "skipped" : "failure")
          << " message=\"NO CHECKS: " << xml_escape(r.error) << "\"/>\n";
    }
    if (!r.output.empty()) out << "    <system-err>" << xml_escape(r.output) << "</system-err>\n";
    out << "  </testcase>\n";
  }
  out << "</testsuite>\n</testsuites>\n";
  return finish(out);
}

std::string write_markdown_report(const std::string& path,
                                  const std::vector<ScenarioResult>& results,
                                  const std::string& command) {
  std::ofstream out;
  if (std::string why = open_for_writing(path, out); !why.empty()) return why;
  int passed = 0;
  for (const auto& r : results) passed += r.outcome == ScenarioResult::Outcome::passed;
  out << "# AmpRig run report\n\n"
      << passed << " of " << results.size() << " scenarios passed.\n\n"
      << "| scenario | result | checks | failed | simulated [s] | wall [s] | description |\n"
      << "|---|---|---:|---:|---:|---:|---|\n";
  for (const auto& r : results) {
    out << "| " << r.id << " | " << to_string(r.outcome) << " | " << r.expectations << " | "
        << r.failed << " | " << fixed(r.sim_s, 1) << " | " << fixed(r.wall_s, 2) << " | "
        << r.description << " |\n";
  }
  for (const auto& r : results) {
    if (r.outcome == ScenarioResult::Outcome::passed) continue;
    out << "\n## " << to_string(r.outcome) << ": " << r.id << "\n\n"
        << "File: `" << r.file << "`\n\n";
    if (!r.error.empty()) out << "```\n" << r.error << "\n```\n";
    for (const auto& f : r.failures) out << "- `" << f.message << "`\n";
    const std::string replay = r.rerun.empty() ? command + " " + r.file : r.rerun;
    out << "\nReplay: `" << replay << " --vcd " << r.id << ".vcd`\n";
  }
  return finish(out);
}

}  // namespace amprig
