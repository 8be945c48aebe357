#include "sweep/results.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "report/json_text.h"
#include "scenario/read_file.h"

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
  if (t.empty()) return 0;
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (*end != '\0' || !std::isfinite(v)) {
    throw std::runtime_error(std::string("'") + key + "' is not a number: '" + t + "'");
  }
  return v;
}

// A count: a whole number from 0 to what an int holds.
int count_of(const YAML::Node& node, const char* key) {
  const double v = number_of(node, key);
  if (v < 0 || v > std::numeric_limits<int>::max() || v != std::floor(v)) {
    throw std::runtime_error(std::string("'") + key + "' is not a count: " + json_number(v));
  }
  return static_cast<int>(v);
}

// A list of objects, or nothing.
YAML::Node list_of(const YAML::Node& node, const char* key) {
  const YAML::Node v = node[key];
  if (v && !v.IsNull() && !v.IsSequence()) {
    throw std::runtime_error(std::string("'") + key + "' is not a list");
  }
  for (const auto& item : v) {
    if (!item.IsMap()) throw std::runtime_error(std::string("'") + key + "' holds a non-object");
  }
  return v;
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
  s << "], \"error\": " << quote(res.error) << ", \"signal\": " << quote(r.signal)
    << ", \"sim_s\": " << number(res.sim_s) << ", \"wall_s\": " << number(res.wall_s)
    << ", \"digest\": " << quote(r.digest) << ", \"sweep_file\": " << quote(r.sweep_file)
    << ", \"cwd\": " << quote(r.cwd) << ", \"host\": " << quote(r.host)
    << ", \"output\": " << quote(res.output) << "}";
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
  if (seed.find_first_not_of("0123456789") != std::string::npos) {
    throw std::runtime_error("'seed' is not a whole number: '" + seed + "'");
  }
  try {
    r.seed = seed.empty() ? 0 : std::stoull(seed);
  } catch (const std::out_of_range&) {
    throw std::runtime_error("'seed' is out of range: " + seed);
  }
  for (const auto& f : list_of(node, "faults")) {
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
  res.expectations = count_of(node, "expectations");
  res.failed = count_of(node, "failed");
  for (const auto& f : list_of(node, "failures")) {
    Failure failure;
    const std::string file = text_of(f, "file");
    const int line_no = count_of(f, "line");
    failure.where = line_no > 0 ? file + ":" + std::to_string(line_no) : file;
    failure.signal = text_of(f, "signal");
    failure.expected = text_of(f, "expected");
    failure.actual = text_of(f, "actual");
    failure.time_s = number_of(f, "time_s");
    failure.message = text_of(f, "message");
    res.failures.push_back(std::move(failure));
  }
  res.error = text_of(node, "error");
  r.signal = node["signal"] ? text_of(node, "signal") : crash_signal(res.error);
  res.output = text_of(node, "output");
  res.sim_s = number_of(node, "sim_s");
  res.wall_s = number_of(node, "wall_s");
  return r;
}

namespace {

// A record's prefix as to_json_line() writes it: a last line that starts so and has no newline
// is a record cut short by a kill.
constexpr const char* kRecordStart = "{\"id\": ";

// The deepest nesting of lists and objects a record has is 3 (a failure in the record's list);
// a line nested deeper is not one, and is refused before the YAML parser's recursion meets it.
constexpr int kMaxRecordDepth = 8;

int nesting_depth(const std::string& line) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (const char c : line) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

ResultsContent parse_results(const std::string& text, const std::string& path) {
  ResultsContent content;
  std::size_t start = 0, line_no = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    ++line_no;
    if (end == std::string::npos) {
      // A record is written whole with its newline: without one, the writer was killed.
      content.cut_last_line = true;
      content.cut_offset = start;
      break;
    }
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    ++content.lines;
    const auto damaged = [&](const std::string& why) {
      content.damaged.push_back(path + ":" + std::to_string(line_no) + ": " + why);
    };
    if (nesting_depth(line) > kMaxRecordDepth) {
      damaged("not a run's record (nested more than " + std::to_string(kMaxRecordDepth) + " deep)");
      continue;
    }
    try {
      content.records.push_back(from_json_line(line));
    } catch (const std::exception& e) {
      damaged(e.what());
    }
  }
  if (content.lines > 0 && content.records.empty()) {
    throw std::runtime_error(path + " is not a sweep's results file: not one of its " +
                             std::to_string(content.lines) + " lines is a run's record (" +
                             content.damaged.front() + ")");
  }
  return content;
}

std::string read_whole(int fd, const std::string& path) {
  std::string text;
  if (const int error = read_from_start(fd, text)) {
    throw std::runtime_error("cannot read " + path + ": " + std::strerror(error));
  }
  return text;
}

// What may hold results: a regular file, or a device such as /dev/null (written, never read).
// A FIFO would block the sweep until something reads it, a directory is no file.
void check_kind(const std::string& path, bool reading) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return;  // missing: created by a writer, empty to a reader
  if (S_ISREG(st.st_mode)) return;
  if (S_ISCHR(st.st_mode) && !reading) return;
  const char* kind = S_ISDIR(st.st_mode)    ? "a directory"
                     : S_ISFIFO(st.st_mode) ? "a named pipe"
                     : S_ISSOCK(st.st_mode) ? "a socket"
                                            : "a device";
  throw std::runtime_error(path + " is " + kind + ", not a results file (a regular file)");
}

// Who holds the lock on the open file `fd`: " (pid N: its command line)" from /proc/locks, or
// empty when it cannot be told.
std::string lock_holder(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return "";
  std::ifstream locks("/proc/locks");
  char device[64];
  std::snprintf(device, sizeof device, "%02x:%02x:%llu", major(st.st_dev), minor(st.st_dev),
                static_cast<unsigned long long>(st.st_ino));
  for (std::string line; std::getline(locks, line);) {
    // "1: FLOCK  ADVISORY  WRITE 4242 08:01:123456 0 EOF"; waiters have "->" after the number.
    std::istringstream fields(line);
    std::string number, kind, advisory, mode, pid, where;
    fields >> number >> kind;
    if (kind == "->") continue;
    fields >> advisory >> mode >> pid >> where;
    if (kind != "FLOCK" || where != device) continue;
    std::string command;
    std::ifstream cmdline("/proc/" + pid + "/cmdline", std::ios::binary);
    for (std::string arg; std::getline(cmdline, arg, '\0');) {
      command += (command.empty() ? "" : " ") + arg;
    }
    return " (pid " + pid + (command.empty() ? "" : ": " + command) + ")";
  }
  return "";
}

}  // namespace

std::string crash_signal(const std::string& error) {
  const std::string prefix = "crashed: ";
  if (error.compare(0, prefix.size(), prefix) != 0) return "";
  const std::string words = error.substr(prefix.size());
  for (int s = 1; s < NSIG; ++s) {
    const char* name = sigabbrev_np(s);
    const char* description = strsignal(s);
    if (name != nullptr && description != nullptr && words == description) {
      return std::string("SIG") + name;
    }
  }
  return "";
}

bool outside_signal(const std::string& signal) {
  return signal == "SIGKILL" || signal == "SIGTERM" || signal == "SIGINT" || signal == "SIGHUP";
}

ResultsContent read_results_content(const std::string& path) {
  check_kind(path, true);
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return {};
    throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
  }
  std::string text;
  try {
    text = read_whole(fd, path);
  } catch (...) {
    close(fd);
    throw;
  }
  close(fd);
  return parse_results(text, path);
}

void warn_damaged(const ResultsContent& content) {
  for (std::size_t i = 0; i < content.damaged.size() && i < kMaxDamagedWarnings; ++i) {
    std::cerr << "amprig: warning: " << content.damaged[i] << " (skipped)\n";
  }
  if (content.damaged.size() > kMaxDamagedWarnings) {
    std::cerr << "amprig: warning: and " << content.damaged.size() - kMaxDamagedWarnings
              << " more lines that are not a run's record (skipped)\n";
  }
}

std::vector<RunRecord> read_results(const std::string& path) {
  ResultsContent content = read_results_content(path);
  warn_damaged(content);
  return std::move(content.records);
}

ResultsWriter::ResultsWriter(const std::string& path) : m_path(path) {
  check_kind(path, false);
  const auto parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) throw std::runtime_error("cannot write " + path + ": " + ec.message());
  // A writer that removes the file it created (a sweep refused before it started) may do so just
  // after another opened it: the lock is then on a file no longer there, and the open is done
  // again.
  for (int attempt = 0;; ++attempt) {
    open_and_lock();
    struct stat held {};
    struct stat named {};
    if (!m_regular || attempt == 2 ||
        (fstat(m_fd, &held) == 0 && stat(path.c_str(), &named) == 0 &&
         held.st_dev == named.st_dev && held.st_ino == named.st_ino)) {
      break;
    }
    close(m_fd);
    m_fd = -1;
  }
  try {
    if (m_regular) m_existing = parse_results(read_whole(m_fd, path), path);
  } catch (...) {
    close(m_fd);
    m_fd = -1;
    throw;
  }
}

void ResultsWriter::open_and_lock() {
  // Without O_TRUNC: nothing of the file goes before its lock is held and start() says so.
  // O_EXCL first, to know whether this writer created it.
  const int flags = O_RDWR | O_APPEND | O_CLOEXEC | O_NONBLOCK;
  m_fd = open(m_path.c_str(), flags | O_CREAT | O_EXCL, 0644);
  m_created = m_fd >= 0;
  if (m_fd < 0 && errno == EEXIST) m_fd = open(m_path.c_str(), flags);
  if (m_fd < 0) throw std::runtime_error("cannot write " + m_path + ": " + std::strerror(errno));
  fcntl(m_fd, F_SETFL, O_APPEND);
  struct stat st {};
  m_regular = fstat(m_fd, &st) == 0 && S_ISREG(st.st_mode);
  // flock, not fcntl's record locks: those go when the process closes any descriptor of the
  // file (a reader's), and both kinds go when the process dies. A device (/dev/null) holds no
  // results to share.
  if (m_regular && flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    const std::string holder = error == EWOULDBLOCK ? lock_holder(m_fd) : "";
    close(m_fd);
    m_fd = -1;
    if (error == EWOULDBLOCK) {
      throw ResultsLocked(m_path + " is being written by another amprig" + holder +
                          ": one sweep (or replay --results) writes a results file at a time; wait "
                          "for it to end, or give another results file");
    }
    throw std::runtime_error("cannot lock " + m_path + ": " + std::strerror(error));
  }
}

ResultsWriter::~ResultsWriter() {
  if (m_fd < 0) return;
  // A sweep refused before it started leaves nothing behind; the lock still keeps others out.
  if (m_created && !m_started) unlink(m_path.c_str());
  close(m_fd);
}

void ResultsWriter::start(bool keep) {
  m_started = true;
  if (!m_regular) return;
  const auto fail = [&] {
    throw ResultsWriteError("cannot write " + m_path + ": " + std::strerror(errno));
  };
  if (!keep) {
    if (ftruncate(m_fd, 0) != 0) fail();
    m_existing = {};
    return;
  }
  if (!m_existing.cut_last_line) return;
  const std::string text = read_whole(m_fd, m_path);
  if (text.compare(m_existing.cut_offset, std::strlen(kRecordStart), kRecordStart) == 0) {
    // A record cut short by a kill: not a record, and in the way of the next one.
    if (ftruncate(m_fd, static_cast<off_t>(m_existing.cut_offset)) != 0) fail();
  } else {
    // Something else without its newline is kept, as a damaged line of its own.
    const ssize_t n = ::write(m_fd, "\n", 1);
    if (n != 1) fail();
  }
  m_existing.cut_last_line = false;
}

void ResultsWriter::write(const RunRecord& record) {
  const std::string line = to_json_line(record) + "\n";
  struct stat st {};
  const off_t before = m_regular && fstat(m_fd, &st) == 0 ? st.st_size : -1;
  std::size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = ::write(m_fd, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : ENOSPC;
      // The part of the line that went in is no record: the file keeps whole lines only (should
      // even that fail, the line is left cut short, which the next --resume cuts off).
      if (before >= 0 && written > 0) static_cast<void>(ftruncate(m_fd, before) == 0);
      throw ResultsWriteError("cannot write " + m_path + ": " + std::strerror(error));
    }
    written += static_cast<std::size_t>(n);
  }
  // A device that cannot be synced (EINVAL, EROFS) has nothing to lose by it.
  if (fdatasync(m_fd) != 0 && errno != EINVAL && errno != EROFS) {
    throw ResultsWriteError("cannot write " + m_path + " to the disk: " + std::strerror(errno));
  }
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
