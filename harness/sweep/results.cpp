#include "sweep/results.h"

#include "report/json_text.h"

#include <fcntl.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace amprig::sweep {
namespace {

std::string quote(const std::string& s) { return json_quote(s); }
std::string number(double v) { return json_number(v); }

const char* outcome_name(ScenarioResult::Outcome outcome) {
  switch (outcome) {
    case ScenarioResult::Outcome::passed:
      return "passed";
    case ScenarioResult::Outcome::failed:
      return "failed";
    case ScenarioResult::Outcome::error:
      return "error";
    case ScenarioResult::Outcome::no_checks:
      return "no_checks";
  }
  return "error";
}

// "file:line" -> file and line (0 when there is none).
std::pair<std::string, int> split_where(const std::string& where) {
  const auto colon = where.rfind(':');
  if (colon == std::string::npos || colon + 1 == where.size()) return {where, 0};
  for (std::size_t i = colon + 1; i < where.size(); ++i) {
    if (where[i] < '0' || where[i] > '9') return {where, 0};
  }
  return {where.substr(0, colon), std::stoi(where.substr(colon + 1))};
}

std::string text_of(const YAML::Node& node, const char* key) {
  const YAML::Node v = node[key];
  if (!v || v.IsNull()) return "";
  if (!v.IsScalar()) throw std::runtime_error(std::string("'") + key + "' is not a value");
  return v.Scalar();
}

double number_of(const YAML::Node& node, const char* key) {
  const std::string t = text_of(node, key);
  return t.empty() ? 0 : std::stod(t);
}

}  // namespace

std::string to_json_line(const RunRecord& r) {
  std::ostringstream s;
  s << "{\"id\": " << quote(r.id) << ", \"sweep\": " << quote(r.sweep)
    << ", \"group\": " << quote(r.group) << ", \"base\": " << quote(r.base) << ", \"faults\": [";
  for (std::size_t i = 0; i < r.faults.size(); ++i) {
    const auto& f = r.faults[i];
    s << (i ? ", " : "") << "{\"name\": " << quote(f.name) << ", \"value\": " << quote(f.value)
      << ", \"at_s\": " << number(f.at_s)
      << ", \"duration_s\": " << (f.duration_s ? number(*f.duration_s) : "null") << "}";
  }
  const ScenarioResult& res = r.result;
  s << "], \"seed\": " << r.seed << ", \"outcome\": " << quote(outcome_name(res.outcome))
    << ", \"expectations\": " << res.expectations << ", \"failed\": " << res.failed
    << ", \"failures\": [";
  for (std::size_t i = 0; i < res.failures.size(); ++i) {
    const auto& f = res.failures[i];
    const auto [file, line] = split_where(f.where);
    s << (i ? ", " : "") << "{\"file\": " << quote(file) << ", \"line\": " << line
      << ", \"signal\": " << quote(f.signal) << ", \"expected\": " << quote(f.expected)
      << ", \"actual\": " << quote(f.actual) << ", \"time_s\": " << number(f.time_s)
      << ", \"message\": " << quote(f.message) << "}";
  }
  s << "], \"error\": " << quote(res.error) << ", \"sim_s\": " << number(res.sim_s)
    << ", \"wall_s\": " << number(res.wall_s) << ", \"digest\": " << quote(r.digest)
    << ", \"sweep_file\": " << quote(r.sweep_file) << ", \"cwd\": " << quote(r.cwd)
    << ", \"host\": " << quote(r.host) << ", \"output\": " << quote(res.output) << "}";
  return s.str();
}

RunRecord from_json_line(const std::string& line) {
  YAML::Node node;
  try {
    node = YAML::Load(line);
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(std::string("not JSON: ") + e.what());
  }
  if (!node.IsMap() || !node["id"]) throw std::runtime_error("not a run's record");
  RunRecord r;
  r.id = text_of(node, "id");
  r.sweep = text_of(node, "sweep");
  r.group = text_of(node, "group");
  r.base = text_of(node, "base");
  r.sweep_file = text_of(node, "sweep_file");
  r.cwd = text_of(node, "cwd");
  r.host = text_of(node, "host");
  r.digest = text_of(node, "digest");
  const std::string seed = text_of(node, "seed");
  r.seed = seed.empty() ? 0 : std::stoull(seed);
  for (const auto& f : node["faults"]) {
    RecordedFault fault;
    fault.name = text_of(f, "name");
    fault.value = text_of(f, "value");
    fault.at_s = number_of(f, "at_s");
    if (!text_of(f, "duration_s").empty()) fault.duration_s = number_of(f, "duration_s");
    r.faults.push_back(std::move(fault));
  }
  ScenarioResult& res = r.result;
  res.id = r.id;
  const std::string outcome = text_of(node, "outcome");
  if (outcome == "passed") {
    res.outcome = ScenarioResult::Outcome::passed;
  } else if (outcome == "failed") {
    res.outcome = ScenarioResult::Outcome::failed;
  } else if (outcome == "error") {
    res.outcome = ScenarioResult::Outcome::error;
  } else {
    throw std::runtime_error("unknown outcome '" + outcome + "'");
  }
  res.expectations = static_cast<int>(number_of(node, "expectations"));
  res.failed = static_cast<int>(number_of(node, "failed"));
  for (const auto& f : node["failures"]) {
    Failure failure;
    const std::string file = text_of(f, "file");
    const int line_no = static_cast<int>(number_of(f, "line"));
    failure.where = line_no > 0 ? file + ":" + std::to_string(line_no) : file;
    failure.signal = text_of(f, "signal");
    failure.expected = text_of(f, "expected");
    failure.actual = text_of(f, "actual");
    failure.time_s = number_of(f, "time_s");
    failure.message = text_of(f, "message");
    res.failures.push_back(std::move(failure));
  }
  res.error = text_of(node, "error");
  res.output = text_of(node, "output");
  res.sim_s = number_of(node, "sim_s");
  res.wall_s = number_of(node, "wall_s");
  return r;
}

std::vector<RunRecord> read_results(const std::string& path, bool repair) {
  std::vector<RunRecord> out;
  std::ifstream in(path, std::ios::binary);
  if (!in) return out;
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  in.close();
  std::size_t start = 0, line_no = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    ++line_no;
    if (end == std::string::npos) {
      // A record is written whole with its newline: without one, the writer was killed.
      if (repair) std::filesystem::resize_file(path, start);
      break;
    }
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    try {
      out.push_back(from_json_line(line));
    } catch (const std::exception& e) {
      throw std::runtime_error(path + ":" + std::to_string(line_no) + ": " + e.what());
    }
  }
  return out;
}

ResultsWriter::ResultsWriter(const std::string& path, bool append) : m_path(path) {
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  m_fd =
      open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (append ? 0 : O_TRUNC), 0644);
  if (m_fd < 0) throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
}

ResultsWriter::~ResultsWriter() {
  if (m_fd >= 0) close(m_fd);
}

void ResultsWriter::write(const RunRecord& record) {
  const std::string line = to_json_line(record) + "\n";
  std::size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = ::write(m_fd, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("cannot write " + m_path + ": " + std::strerror(errno));
    written += static_cast<std::size_t>(n);
  }
  fdatasync(m_fd);
}

bool same_result(const RunRecord& a, const RunRecord& b, std::string* why) {
  const auto differ = [&](const std::string& what, const std::string& x, const std::string& y) {
    if (why) *why = what + ": '" + x + "' against '" + y + "'";
    return false;
  };
  const ScenarioResult& x = a.result;
  const ScenarioResult& y = b.result;
  if (a.id != b.id) return differ("id", a.id, b.id);
  if (a.seed != b.seed) return differ("seed", std::to_string(a.seed), std::to_string(b.seed));
  if (a.digest != b.digest) return differ("scenario digest", a.digest, b.digest);
  if (x.outcome != y.outcome) return differ("outcome", to_string(x.outcome), to_string(y.outcome));
  if (x.error != y.error) return differ("error", x.error, y.error);
  if (x.expectations != y.expectations) {
    return differ("expectations", std::to_string(x.expectations), std::to_string(y.expectations));
  }
  if (x.failed != y.failed) {
    return differ("failed", std::to_string(x.failed), std::to_string(y.failed));
  }
  if (x.failures.size() != y.failures.size()) {
    return differ("failures", std::to_string(x.failures.size()), std::to_string(y.failures.size()));
  }
  for (std::size_t i = 0; i < x.failures.size(); ++i) {
    if (x.failures[i].message != y.failures[i].message) {
      return differ("failure", x.failures[i].message, y.failures[i].message);
    }
    if (x.failures[i].actual != y.failures[i].actual ||
        x.failures[i].time_s != y.failures[i].time_s) {
      return differ("failure value", x.failures[i].actual, y.failures[i].actual);
    }
  }
  if (x.sim_s != y.sim_s) return differ("simulated time", number(x.sim_s), number(y.sim_s));
  return true;
}

}  // namespace amprig::sweep
