#include "report/result.h"

#include <cstdlib>
#include <sstream>

namespace amprig {
namespace {

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += c;
    }
  }
  return out;
}

std::string unescape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      const char n = s[++i];
      out += n == 'n' ? '\n' : n == 't' ? '\t' : n;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

const char* to_string(ScenarioResult::Outcome outcome) {
  switch (outcome) {
    case ScenarioResult::Outcome::passed: return "PASS";
    case ScenarioResult::Outcome::failed: return "FAIL";
    case ScenarioResult::Outcome::error: return "ERROR";
    case ScenarioResult::Outcome::no_checks: return "NO CHECKS";
  }
  return "?";
}

void mark_no_checks(ScenarioResult& result) {
  if (result.outcome != ScenarioResult::Outcome::passed || result.expectations > 0) return;
  result.outcome = ScenarioResult::Outcome::no_checks;
  result.error = result.file +
                 ": no expectation was checked (add an 'expect:' to a step; "
                 "--allow-no-checks accepts this for a smoke run)";
}

std::string serialise(const ScenarioResult& r) {
  std::ostringstream s;
  s.precision(17);
  s << "id\t" << escape(r.id) << "\n"
    << "file\t" << escape(r.file) << "\n"
    << "description\t" << escape(r.description) << "\n"
    << "outcome\t" << static_cast<int>(r.outcome) << "\n"
    << "expectations\t" << r.expectations << "\n"
    << "failed\t" << r.failed << "\n"
    << "error\t" << escape(r.error) << "\n"
    << "sim_s\t" << r.sim_s << "\n"
    << "wall_s\t" << r.wall_s << "\n"
    << "output\t" << escape(r.output) << "\n";
  for (const auto& f : r.failures) {
    s << "failure\t" << escape(f.where) << "\t" << escape(f.signal) << "\t" << escape(f.expected)
      << "\t" << escape(f.actual) << "\t" << f.time_s << "\t" << escape(f.message) << "\n";
  }
  s << "end\n";
  return s.str();
}

bool deserialise(const std::string& text, ScenarioResult* r) {
  std::istringstream in(text);
  std::string line;
  bool complete = false;
  while (std::getline(in, line)) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
      const auto tab = line.find('\t', start);
      parts.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    const std::string& key = parts[0];
    const std::string value = parts.size() > 1 ? unescape(parts[1]) : "";
    if (key == "id") r->id = value;
    else if (key == "file") r->file = value;
    else if (key == "description") r->description = value;
    else if (key == "outcome") r->outcome = static_cast<ScenarioResult::Outcome>(std::atoi(value.c_str()));
    else if (key == "expectations") r->expectations = std::atoi(value.c_str());
    else if (key == "failed") r->failed = std::atoi(value.c_str());
    else if (key == "error") r->error = value;
    else if (key == "sim_s") r->sim_s = std::atof(value.c_str());
    else if (key == "wall_s") r->wall_s = std::atof(value.c_str());
    else if (key == "output") r->output = value;
    else if (key == "failure" && parts.size() == 7) {
      r->failures.push_back(Failure{unescape(parts[1]), unescape(parts[2]), unescape(parts[3]),
                                    unescape(parts[4]), std::atof(parts[5].c_str()),
                                    unescape(parts[6])});
    } else if (key == "end") {
      complete = true;
    }
  }
  return complete;
}

}  // namespace amprig
