#include "sweep/runner.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "rig/rig.h"
#include "rig/sim_log.h"
#include "scenario/decoder.h"
#include "scenario/expectation_check.h"
#include "scenario/run.h"
#include "scenario/scenario_config.h"

namespace amprig::sweep {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Set by SIGINT, SIGTERM and SIGHUP while a sweep runs: start nothing more, keep what finished.
volatile std::sig_atomic_t g_stop = 0;

void on_stop_signal(int) { g_stop = 1; }

// Installs the handlers for the life of a sweep, without SA_RESTART so that the wait for the
// children returns at once. A file size limit (SIGXFSZ) is ignored: the write that meets it
// fails, and the sweep stops as on a full disk instead of dying.
class StopSignals {
 public:
  StopSignals() {
    g_stop = 0;
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    for (std::size_t i = 0; i < kStopping.size(); ++i) {
      sigaction(kStopping[i], &action, &m_old[i]);
    }
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGXFSZ, &ignore, &m_old_xfsz);
  }
  ~StopSignals() {
    for (std::size_t i = 0; i < kStopping.size(); ++i) sigaction(kStopping[i], &m_old[i], nullptr);
    sigaction(SIGXFSZ, &m_old_xfsz, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  static constexpr std::array<int, 3> kStopping = {SIGINT, SIGTERM, SIGHUP};
  std::array<struct sigaction, 3> m_old{};
  struct sigaction m_old_xfsz {};
};

std::string fixed(double v, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

std::string clock_text(double seconds) {
  const long total = static_cast<long>(seconds + 0.5);
  char text[32];
  if (total >= 3600) {
    std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", total / 3600, (total / 60) % 60,
                  total % 60);
  } else {
    std::snprintf(text, sizeof text, "%ld:%02ld", total / 60, total % 60);
  }
  return text;
}

// Shell-safe: ids are made of safe characters, but paths may hold anything.
std::string shell_quote(const std::string& text) {
  const bool plain = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string("/._-+=@,:").find(c) != std::string::npos;
  });
  if (plain) return text;
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' ? '?' : c;
    }
  }
  return out;
}

// The progress line on stderr: redrawn in place on a terminal, a plain line now and then
// otherwise (every tenth of the runs, at most every 10 s, and at the end).
class Progress {
 public:
  Progress(std::string name, std::size_t total)
      : m_name(std::move(name)),
        m_total(total),
        m_tty(isatty(STDERR_FILENO) == 1),
        m_started(Clock::now()),
        m_last_line(m_started) {}

  void update(std::size_t done, std::size_t failed) {
    m_done = done;
    m_failed = failed;
    const auto now = Clock::now();
    if (m_tty) {
      std::fprintf(stderr, "\r\033[K%s", text(now).c_str());
      std::fflush(stderr);
      m_drawn = true;
      return;
    }
    const std::size_t step = std::max<std::size_t>(1, m_total / 10);
    const bool due = done == m_total || done / step != m_last_done / step ||
                     now - m_last_line >= std::chrono::seconds(10);
    if (!due) return;
    std::fprintf(stderr, "%s\n", text(now).c_str());
    m_last_line = now;
    m_last_done = done;
  }
  // Before other output on a terminal: the line goes, and comes back at the next update.
  void clear() {
    if (m_tty && m_drawn) std::fprintf(stderr, "\r\033[K");
    m_drawn = false;
  }
  void finish() {
    if (m_tty && m_drawn) std::fprintf(stderr, "\n");
    m_drawn = false;
  }

 private:
  std::string text(Clock::time_point now) const {
    const double elapsed_s = std::chrono::duration<double>(now - m_started).count();
    const double rate = elapsed_s > 0 ? static_cast<double>(m_done) / elapsed_s * 60 : 0;
    std::string eta = "-";
    if (m_done > 0 && m_done < m_total) {
      eta = clock_text(elapsed_s / static_cast<double>(m_done) *
                       static_cast<double>(m_total - m_done));
    } else if (m_done == m_total) {
      eta = "0:00";
    }
    char line[256];
    std::snprintf(line, sizeof line, "%s: %zu/%zu runs, %zu failed, %.0f runs/min, ETA %s",
                  m_name.c_str(), m_done, m_total, m_failed, rate, eta.c_str());
    return line;
  }

  std::string m_name;
  std::size_t m_total;
  bool m_tty;
  Clock::time_point m_started;
  Clock::time_point m_last_line;
  std::size_t m_done = 0, m_failed = 0, m_last_done = 0;
  bool m_drawn = false;
};

struct Tally {
  std::size_t runs = 0, passed = 0, failed = 0, errors = 0;
  void add(ScenarioResult::Outcome outcome) {
    ++runs;
    switch (outcome) {
      case ScenarioResult::Outcome::passed:
        ++passed;
        break;
      case ScenarioResult::Outcome::failed:
        ++failed;
        break;
      case ScenarioResult::Outcome::error:
      case ScenarioResult::Outcome::no_checks:
        ++errors;
        break;
    }
  }
};

void print_tally_table(std::ostream& out, const std::string& title,
                       const std::vector<std::pair<std::string, Tally>>& rows) {
  std::size_t width = title.size();
  for (const auto& [name, t] : rows) width = std::max(width, name.size());
  out << "  " << std::left << std::setw(static_cast<int>(width)) << title
      << "    runs  passed  failed  errors\n";
  for (const auto& [name, t] : rows) {
    out << "  " << std::left << std::setw(static_cast<int>(width)) << name << std::right
        << std::setw(8) << t.runs << std::setw(8) << t.passed << std::setw(8) << t.failed
        << std::setw(8) << t.errors << "\n";
  }
}

// Empty when written, else why not.
std::string write_junit(const std::string& path, const std::string& sweep_name,
                        const std::vector<const RunRecord*>& records) {
  const auto parent = fs::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) fs::create_directories(parent, ec);
  if (ec) return ec.message();
  std::ofstream out(path);
  if (!out) return std::strerror(errno);
  std::size_t failures = 0, errors = 0;
  double time_s = 0;
  for (const auto* r : records) {
    failures += r->result.outcome == ScenarioResult::Outcome::failed;
    errors += r->result.outcome == ScenarioResult::Outcome::error;
    time_s += r->result.wall_s;
  }
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n<testsuite name=\"sweep."
      << xml_escape(sweep_name) << "\" tests=\"" << records.size() << "\" failures=\"" << failures
      << "\" errors=\"" << errors << "\" time=\"" << fixed(time_s, 3) << "\">\n";
  for (const auto* r : records) {
    const ScenarioResult& res = r->result;
    out << "  <testcase classname=\"sweep." << xml_escape(sweep_name) << "." << xml_escape(r->group)
        << "\" name=\"" << xml_escape(r->id) << "\" file=\"" << xml_escape(r->base) << "\" time=\""
        << fixed(res.wall_s, 3) << "\">\n";
    if (res.outcome == ScenarioResult::Outcome::failed) {
      std::string text;
      for (const auto& f : res.failures) text += f.message + "\n";
      out << "    <failure message=\""
          << xml_escape(res.failures.empty() ? "" : res.failures[0].message) << "\">"
          << xml_escape(text) << "</failure>\n";
    } else if (res.outcome == ScenarioResult::Outcome::error) {
      out << "    <error message=\"" << xml_escape(res.error) << "\">" << xml_escape(res.output)
          << "</error>\n";
    }
    out << "  </testcase>\n";
  }
  out << "</testsuite>\n</testsuites>\n";
  // A full disk shows when the buffer goes out, not before.
  out.close();
  if (out.fail()) return errno != 0 ? std::strerror(errno) : "write failed";
  return "";
}

// The first line of what went wrong with a run.
std::string first_problem(const ScenarioResult& r) {
  if (!r.error.empty()) return r.error.substr(0, r.error.find('\n'));
  if (!r.failures.empty()) return r.failures.front().message;
  return "";
}

// The runs a dimension's base patterns pick must exist: a pattern that matches nothing is
// most likely misspelt.
void check_patterns(const Sweep& sweep) {
  // The sweep's own dimensions are in every group: one of them may well leave a group out.
  std::map<std::string, std::pair<const Dimension*, bool>> used;
  for (const auto& g : sweep.groups) {
    for (const auto& d : g.dimensions) {
      auto& [dimension, any] = used.emplace(d.key, std::make_pair(&d, false)).first->second;
      (void)dimension;
      any = any || std::any_of(g.bases.begin(), g.bases.end(),
                               [&](std::size_t b) { return g.applies(d, sweep.bases[b]); });
    }
  }
  for (const auto& [key, entry] : used) {
    if (!entry.second) {
      throw ScenarioError(entry.first->where, key + ".bases", "matches no base of the sweep");
    }
  }
}

const Run* find_run(const std::vector<Run>& runs, const std::string& id) {
  for (const auto& r : runs) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

ScenarioResult run_here(const Sweep& sweep, const Run& run, const RunOptions& options) {
  try {
    return run_scenario_here(run_scenario(sweep, run), options);
  } catch (const ScenarioError& e) {
    ScenarioResult r;
    r.id = run.id;
    r.file = sweep.bases[run.base].path;
    r.outcome = ScenarioResult::Outcome::error;
    r.error = e.what();
    return r;
  }
}

// A crashed or timed-out run's result comes back without its names.
void name_result(const Sweep& sweep, const Run& run, ScenarioResult& r) {
  r.id = run.id;
  if (r.file.empty()) r.file = sweep.bases[run.base].path;
  // The log of a run is for its failures; a long one keeps its end.
  constexpr std::size_t kMaxOutput = 8000;
  if (r.outcome == ScenarioResult::Outcome::passed) r.output.clear();
  if (r.output.size() > kMaxOutput) {
    r.output = "..." + r.output.substr(r.output.size() - kMaxOutput);
  }
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

// Hands the runs to the cluster backend and takes their records back as they finish. A record
// must be one of the runs asked, of the same scenario: anything else stops the sweep.
void run_on_cluster(const Sweep& sweep, const std::vector<Run>& runs,
                    const std::vector<std::size_t>& todo, const SweepOptions& options,
                    double timeout_s,
                    const std::function<void(std::size_t, RunRecord)>& finished_run,
                    const std::function<bool()>& stopping) {
  if (!options.cluster_backend) throw std::runtime_error("this program cannot reach a cluster");
  ClusterJob job;
  job.address = options.cluster;
  job.sweep_name = sweep.name;
  job.sweep_file = sweep.file;
  std::error_code ec;
  job.cwd = fs::current_path(ec).string();
  job.program = fs::read_symlink("/proc/self/exe", ec).string();
  job.timeout_s = timeout_s;
  std::map<std::string, std::size_t> position;  // a run's index in `todo`, by id
  for (std::size_t i = 0; i < todo.size(); ++i) {
    const Run& run = runs[todo[i]];
    job.runs.emplace_back(run.id, run_digest(sweep, run));
    position[run.id] = i;
  }
  std::vector<bool> seen(todo.size(), false);
  std::string problem;
  options.cluster_backend(
      job,
      [&](const std::string& line) {
        if (!problem.empty()) return;
        RunRecord record;
        try {
          record = from_json_line(line);
        } catch (const std::exception& e) {
          problem = std::string("a worker sent a record that is not one: ") + e.what();
          return;
        }
        const auto it = position.find(record.id);
        if (it == position.end()) {
          problem = "a worker sent the record of '" + record.id + "', a run not asked for";
          return;
        }
        if (record.digest != job.runs[it->second].second) {
          problem = "the worker on " + record.host + " ran another scenario as '" + record.id +
                    "' (its sweep or base files differ from these)";
          return;
        }
        if (seen[it->second]) return;  // a task the cluster ran twice
        seen[it->second] = true;
        finished_run(it->second, std::move(record));
      },
      [&] { return stopping() || !problem.empty(); });
  if (!problem.empty()) throw std::runtime_error(problem);
}

// A file the sweep reads is never one it writes: a results file or a shrunk run's file that
// names the sweep file or a base scenario (or a file of its base: chain) would overwrite it.
void refuse_input(const Sweep& sweep, const std::string& path, const std::string& what) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return;
  const auto same = [&](const std::string& input) { return fs::equivalent(path, input, ec); };
  std::string input;
  if (same(sweep.file)) input = "the sweep file";
  for (const auto& b : sweep.bases) {
    for (std::size_t i = 0; i < b.files.size() && input.empty(); ++i) {
      if (!same(b.files[i])) continue;
      input = i == 0 ? "the base scenario " + b.path : "a base: file of " + b.path;
    }
  }
  if (!input.empty()) {
    throw std::runtime_error(what + " " + path + " is " + input +
                             " of the sweep, which it would overwrite: give another file");
  }
}

// A results file holds the runs of one sweep: appending those of another would mix them.
void check_same_sweep(const ResultsContent& content, const std::string& path,
                      const std::string& sweep_name) {
  for (const auto& r : content.records) {
    if (r.sweep == sweep_name) continue;
    throw std::runtime_error(path + " holds runs of the sweep '" + r.sweep + "' (" + r.sweep_file +
                             "), not of '" + sweep_name + "': give another results file");
  }
}

// The command that runs what a stopped sweep did not: the same sweep, results file and timeout.
std::string resume_command(const SweepOptions& options) {
  std::string command = shell_quote(options.program) + " sweep " + shell_quote(options.file);
  if (!options.results.empty()) command += " --results " + shell_quote(options.results);
  if (options.timeout_s) {
    command += " --timeout " + format_duration(std::llround(*options.timeout_s * 1e9));
  }
  if (!options.cluster.empty()) command += " --cluster " + shell_quote(options.cluster);
  return command + " --resume";
}

}  // namespace

std::string default_results_path(const std::string& sweep_name) {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  fs::path folder = "build";
  if (!ec && exe.parent_path().filename() == "bin") folder = exe.parent_path().parent_path();
  return (folder / "reports" / "sweeps" / (sweep_name + ".jsonl")).string();
}

RunRecord make_record(const Sweep& sweep, const Run& run, const ScenarioResult& result) {
  RunRecord r;
  r.id = run.id;
  r.sweep = sweep.name;
  r.sweep_file = sweep.file;
  std::error_code ec;
  r.cwd = fs::current_path(ec).string();
  r.host = host_name();
  const Base& base = sweep.bases[run.base];
  r.group = sweep.groups[base.group].name;
  r.base = base.relative;
  for (const auto& f : run.faults) {
    RecordedFault rf;
    rf.name = f.name;
    rf.value = f.value;
    rf.at_s = static_cast<double>(f.at_ns) * 1e-9;
    if (f.duration_ns) rf.duration_s = static_cast<double>(*f.duration_ns) * 1e-9;
    r.faults.push_back(std::move(rf));
  }
  r.seed = run.seed;
  r.digest = run_digest(sweep, run);
  r.signal = crash_signal(result.error);
  r.result = result;
  return r;
}

void check_dimensions(const Sweep& sweep, int jobs, const std::function<void(Rig&)>& prepare_rig) {
  check_patterns(sweep);
  std::vector<std::string> problems(sweep.bases.size());
  run_in_processes(
      sweep.bases.size(), jobs, 120,
      [&](std::size_t b) {
        const Base& base = sweep.bases[b];
        const Group& g = sweep.groups[base.group];
        ScenarioResult r;
        r.outcome = ScenarioResult::Outcome::passed;
        r.file = base.path;
        try {
          const Scenario scenario = scenario_from_merged(base.tree, base.path, base.name);
          install_systemc_report_handler();
          Rig rig("rig", scenario);
          if (prepare_rig) prepare_rig(rig);
          for (const auto& d : g.dimensions) {
            if (!g.applies(d, base)) continue;
            const Signal* s = rig.signals().find(d.fault);
            if (s == nullptr) {
              std::string why;
              try {
                rig.signals().at(d.fault);
              } catch (const std::out_of_range& e) {
                why = e.what();
              }
              throw ScenarioError(d.where, d.key + ".fault",
                                  why + " in the rig of " + base.path + " (amprig faults " +
                                      base.path + " lists its faults)");
            }
            if (!s->fault || !s->settable()) {
              throw ScenarioError(d.where, d.key + ".fault",
                                  d.fault + " is not a fault (amprig faults lists them)");
            }
            for (const auto& [value, where] : d.values) {
              try {
                parse_value(*s, value);
              } catch (const std::invalid_argument& e) {
                throw ScenarioError(where, d.key + ".values", e.what());
              }
            }
          }
          // The invariants' and the recovery's signals, here rather than in every run.
          std::vector<std::pair<std::string, const ConfigNode*>> expects;
          for (const auto& inv : g.invariants) {
            // A list entry's map is under its `expect:`; the map form is the invariants' own.
            expects.emplace_back(inv.key.back() == ']' ? inv.key + ".expect" : inv.key,
                                 &inv.expect);
          }
          if (g.recovery) expects.emplace_back(g.recovery->key + ".expect", &g.recovery->expect);
          for (const auto& [key, expect] : expects) {
            for (std::size_t k = 0; k < expect->fields.size(); ++k) {
              const auto& [name, value] = expect->fields[k];
              const Expectation e =
                  decode_expectation(name, value, expect->key_refs[k], key + "." + name);
              if (const auto problem = expectation_problem(rig.signals(), e)) {
                // Its words, under the sweep file's key.
                const std::string text = problem->what();
                const std::string prefix = e.where.str() + ": key '" + problem->key() + "': ";
                throw ScenarioError(
                    e.where, key + "." + name,
                    (text.compare(0, prefix.size(), prefix) == 0 ? text.substr(prefix.size())
                                                                 : text) +
                        " in the rig of " + base.path);
              }
            }
          }
        } catch (const ScenarioError& e) {
          r.outcome = ScenarioResult::Outcome::error;
          r.error = e.what();
        } catch (const std::exception& e) {
          r.outcome = ScenarioResult::Outcome::error;
          r.error = base.path + ": " + e.what();
        }
        return std::vector<ScenarioResult>{r};
      },
      [&](std::size_t b, std::vector<ScenarioResult>& got, double) {
        if (got.front().outcome != ScenarioResult::Outcome::passed) {
          problems[b] = got.front().error.empty()
                            ? "the rig of " + sweep.bases[b].path + " could not be built"
                            : got.front().error;
        }
      });
  for (const auto& p : problems) {
    if (!p.empty()) throw ScenarioError(p);
  }
}

int sweep_command(const SweepOptions& options) {
  const Sweep sweep = load_sweep(options.file);
  const std::vector<Run> runs = expand(sweep);
  if (!options.emit_id.empty()) {
    const Run* run = find_run(runs, options.emit_id);
    if (run == nullptr) {
      throw std::runtime_error("no run '" + options.emit_id + "' in " + options.file + " (" +
                               std::to_string(runs.size()) + " runs; --list lists them)");
    }
    std::cout << run_yaml(sweep, *run);
    return 0;
  }
  const int jobs = std::max(1, options.jobs);
  if (options.list) {
    check_dimensions(sweep, jobs, options.prepare_rig);
    std::size_t sampled = 0;
    std::set<std::string> dimensions;
    for (const auto& r : runs) sampled += r.sampled;
    for (const auto& g : sweep.groups) {
      for (const auto& d : g.dimensions) dimensions.insert(d.key);
    }
    std::cout << "# sweep " << sweep.name << " (" << sweep.file << "): " << runs.size()
              << " runs (grid " << runs.size() - sampled << ", sample " << sampled << "), "
              << sweep.bases.size() << " bases in " << sweep.groups.size() << " groups, "
              << dimensions.size() << " dimensions, seed " << sweep.seed << "\n"
              << "# id\tgroup\tbase\tseed\tsimulated\n";
    for (const auto& r : runs) {
      const Base& base = sweep.bases[r.base];
      std::cout << r.id << "\t" << sweep.groups[base.group].name << "\t" << base.relative << "\t"
                << r.seed << "\t" << format_duration(run_end_ns(sweep, r)) << "\n";
    }
    return 0;
  }

  std::string results_path =
      options.results.empty() ? default_results_path(sweep.name) : options.results;
  if (fs::is_directory(results_path)) {
    results_path = (fs::path(results_path) / (sweep.name + ".jsonl")).string();
  }
  refuse_input(sweep, results_path, "the results file");
  // Taken before anything runs: a second sweep on the file stops here, at once. Nothing of the
  // file changes before the sweep is known to be runnable.
  ResultsWriter writer(results_path);
  const ResultsContent& existing = writer.existing();
  check_dimensions(sweep, jobs, options.prepare_rig);

  // What a previous sweep left: a run is done when its record's digest is this run's (an edited
  // sweep or base file makes a different scenario of the same id, which runs again), unless a
  // signal from outside ended it: it has no result of its own.
  std::vector<std::optional<RunRecord>> records(runs.size());
  std::size_t resumed = 0;
  std::map<std::string, std::size_t> rerun_signals;  // signal -> runs it ended, run again
  if (options.resume) {
    warn_damaged(existing);
    check_same_sweep(existing, results_path, sweep.name);
    std::map<std::string, const RunRecord*> found;
    for (const auto& r : existing.records) found[r.id] = &r;
    for (std::size_t i = 0; i < runs.size(); ++i) {
      const auto it = found.find(runs[i].id);
      if (it == found.end() || it->second->digest != run_digest(sweep, runs[i])) continue;
      if (outside_signal(it->second->signal)) {
        ++rerun_signals[it->second->signal];
        continue;
      }
      records[i] = *it->second;
      ++resumed;
    }
  }
  writer.start(options.resume);
  std::vector<std::size_t> todo;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (!records[i]) todo.push_back(i);
  }
  const double timeout_s = options.timeout_s.value_or(sweep.timeout_s);
  std::cout << "sweep " << sweep.name << " (" << sweep.file << "): " << runs.size() << " runs";
  if (options.resume) {
    std::cout << ", " << resumed << " already in the results file, " << todo.size() << " to run";
    if (!existing.damaged.empty()) {
      std::cout << " (" << existing.damaged.size() << " damaged lines skipped)";
    }
  }
  if (options.cluster.empty()) {
    std::cout << "; " << jobs << " at a time";
  } else {
    std::cout << "; on the cluster " << options.cluster;
  }
  std::cout << ", each within " << format_number(timeout_s) << " s\n";
  if (!rerun_signals.empty()) {
    std::size_t count = 0;
    std::string names;
    for (const auto& [signal, n] : rerun_signals) {
      count += n;
      names += (names.empty() ? "" : ", ") + signal;
    }
    std::cout << count << " runs ended by a signal from outside (" << names
              << ": the sweep stopped or killed, the out-of-memory killer) run again\n";
  }
  std::cout << "results: " << results_path << "\n";
  std::cout.flush();
  if (!options.vcd_dir.empty()) fs::create_directories(options.vcd_dir);

  Progress progress(sweep.name, todo.size());
  std::size_t done = 0, failed_now = 0;
  double sim_s = 0;
  std::string cluster_problem, write_problem;
  const auto started = Clock::now();
  // Every finished run, wherever it ran: appended to the results file, kept, counted. A record
  // that cannot be written stops the sweep: a run whose result is not in the file is not done.
  auto finished_run = [&](std::size_t i, RunRecord record) {
    if (!write_problem.empty()) return;
    try {
      writer.write(record);
    } catch (const ResultsWriteError& e) {
      write_problem = e.what();
      return;
    }
    records[todo[i]] = std::move(record);
    const RunRecord& r = *records[todo[i]];
    ++done;
    sim_s += r.result.sim_s;
    if (r.result.outcome != ScenarioResult::Outcome::passed) {
      ++failed_now;
      progress.clear();
      std::cout << to_string(r.result.outcome) << " " << r.id << ": " << first_problem(r.result)
                << "\n";
      std::cout.flush();
    }
    progress.update(done, failed_now);
  };
  const auto stopping = [&] { return g_stop != 0 || !write_problem.empty(); };
  {
    StopSignals stop_signals;
    progress.update(0, 0);
    if (todo.empty()) {
      // Nothing to run: neither processes nor a cluster are needed.
    } else if (!options.cluster.empty()) {
      try {
        run_on_cluster(sweep, runs, todo, options, timeout_s, finished_run, stopping);
      } catch (const std::exception& e) {
        cluster_problem = e.what();
      }
    } else {
      run_in_processes(
          todo.size(), jobs, timeout_s,
          [&](std::size_t i) {
            const Run& run = runs[todo[i]];
            RunOptions run_options;
            run_options.prepare_rig = options.prepare_rig;
            run_options.vcd_period_s = options.vcd_period_s;
            run_options.trace = options.trace;
            if (!options.vcd_dir.empty()) {
              run_options.vcd_path = (fs::path(options.vcd_dir) / (run.id + ".vcd")).string();
            }
            return std::vector<ScenarioResult>{run_here(sweep, run, run_options)};
          },
          [&](std::size_t i, std::vector<ScenarioResult>& got, double) {
            const Run& run = runs[todo[i]];
            name_result(sweep, run, got.front());
            finished_run(i, make_record(sweep, run, got.front()));
          },
          stopping);
    }
  }
  progress.finish();
  const double wall_s = std::chrono::duration<double>(Clock::now() - started).count();

  // The summary: every run of the sweep, whether it ran now or before.
  Tally all;
  std::map<std::string, Tally> by_fault, by_base;
  std::vector<const RunRecord*> finished;
  std::size_t missing = 0;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (!records[i]) {
      ++missing;
      continue;
    }
    const RunRecord& r = *records[i];
    finished.push_back(&r);
    const auto outcome = r.result.outcome;
    all.add(outcome);
    by_base[sweep.bases[runs[i].base].name].add(outcome);
    std::set<std::string> names;
    for (const auto& f : runs[i].faults) names.insert(f.name);
    if (names.empty()) names.insert("(no fault)");
    for (const auto& n : names) by_fault[n].add(outcome);
  }
  std::cout << "\nsweep " << sweep.name << ": " << all.runs << " runs, " << all.passed
            << " passed, " << all.failed << " failed, " << all.errors << " with errors";
  if (missing) std::cout << ", " << missing << " not run";
  std::cout << "\n\n";
  print_tally_table(std::cout, "by fault", {by_fault.begin(), by_fault.end()});
  std::cout << "\n";
  print_tally_table(std::cout, "by base scenario", {by_base.begin(), by_base.end()});
  bool any_failed = false;
  for (const auto* r : finished) {
    if (r->result.outcome == ScenarioResult::Outcome::passed) continue;
    if (!any_failed) std::cout << "\nfailed runs, each with the command that replays it:\n";
    any_failed = true;
    std::cout << to_string(r->result.outcome) << " " << r->id << "\n";
    if (!r->result.error.empty()) std::cout << "  " << first_problem(r->result) << "\n";
    for (const auto& f : r->result.failures) std::cout << "  " << f.message << "\n";
    std::cout << "  " << shell_quote(options.program) << " replay " << shell_quote(results_path)
              << " " << shell_quote(r->id) << "\n";
  }
  int code = all.runs == all.passed && missing == 0 ? 0 : 1;
  if (!options.junit.empty()) {
    errno = 0;
    const std::string problem = write_junit(options.junit, sweep.name, finished);
    if (problem.empty()) {
      std::cout << "\nJUnit: " << options.junit << "\n";
    } else {
      std::cerr << "amprig: cannot write " << options.junit << ": " << problem << "\n";
      code = 1;
    }
  }
  std::cout << "\nresults: " << results_path << "\n";
  if (!options.html.empty() && options.write_html) {
    std::cout.flush();
    if (options.write_html(results_path, options.html) != 0) {
      std::cerr << "amprig: the HTML report was not written to " << options.html << "\n";
      code = 1;
    }
  }
  if (!write_problem.empty()) {
    std::cerr << "amprig: the sweep stopped: " << write_problem << "\n";
    std::cout << "stopped by a write error: " << missing << " runs not run (the " << done
              << " runs above are in the results file); `" << resume_command(options)
              << "` runs them\n";
    code = 1;
  } else if (!cluster_problem.empty()) {
    std::cerr << "amprig: the cluster " << options.cluster << " stopped the sweep: "
              << cluster_problem << "\n";
    std::cout << "stopped: " << missing << " runs not run; `" << resume_command(options)
              << "` runs them\n";
    code = 1;
  } else if (g_stop != 0) {
    std::cout << "interrupted: " << missing << " runs not run; `" << resume_command(options)
              << "` runs them\n";
  }
  // The throughput of the runs made now (those from the results file took no time here).
  const double rate = wall_s > 0 ? static_cast<double>(done) / wall_s * 60 : 0;
  std::cout << done << " runs in " << fixed(wall_s, 2) << " s "
            << (options.cluster.empty() ? "on " + std::to_string(jobs) + " processes"
                                        : "on the cluster")
            << ": " << fixed(rate, 0) << " runs/min ("
            << fixed(done ? sim_s / static_cast<double>(done) : 0, 1) << " s simulated per run)\n";
  return code;
}

namespace {

// A recorded run found again: its record, and its sweep expanded as it is now, opened from the
// folder the sweep ran in (so that every path the record names reads as it did) unless
// `sweep_file` names another sweep file.
struct RecordedRun {
  RunRecord record;
  Sweep sweep;
  std::vector<Run> runs;
  std::size_t run = 0;  // index into runs
};

RecordedRun find_recorded_run(const std::string& results, const std::string& id,
                              const std::string& sweep_file_given) {
  RecordedRun found;
  const auto records = read_results(results);
  const RunRecord* recorded = nullptr;
  for (const auto& r : records) {
    if (r.id == id) recorded = &r;
  }
  if (recorded == nullptr) {
    throw std::runtime_error("no run '" + id + "' in " + results + " (" +
                             std::to_string(records.size()) + " records)");
  }
  found.record = *recorded;
  std::string sweep_file = sweep_file_given;
  if (sweep_file.empty()) {
    sweep_file = recorded->sweep_file;
    std::error_code ec;
    if (!recorded->cwd.empty() && fs::is_directory(recorded->cwd, ec)) {
      fs::current_path(recorded->cwd);
    }
  }
  found.sweep = load_sweep(sweep_file);
  found.runs = expand(found.sweep);
  const Run* run = find_run(found.runs, id);
  if (run == nullptr) {
    throw std::runtime_error("the sweep " + sweep_file + " has no run '" + id +
                             "' any more (it was edited since)");
  }
  found.run = static_cast<std::size_t>(run - found.runs.data());
  if (run_digest(found.sweep, *run) != recorded->digest) {
    std::cerr
        << "amprig: warning: the run's scenario changed since it was recorded (the sweep or a "
           "base file was edited); using the scenario as it is now\n";
  }
  return found;
}

// Plays one run in a child process, as a sweep does (its log output all there: name_result()
// trims it for a record).
ScenarioResult play_in_process(const Sweep& sweep, const Run& run, const RunOptions& run_options,
                               double timeout_s) {
  ScenarioResult result;
  run_in_processes(
      1, 1, timeout_s,
      [&](std::size_t) { return std::vector<ScenarioResult>{run_here(sweep, run, run_options)}; },
      [&](std::size_t, std::vector<ScenarioResult>& got, double) { result = got.front(); });
  return result;
}

}  // namespace

int replay_command(const ReplayOptions& options) {
  // Paths given here are taken from here, before the sweep's folder becomes the current one.
  const std::string vcd = options.vcd.empty() ? "" : fs::absolute(options.vcd).string();
  const std::string results_out =
      options.results_out.empty() ? "" : fs::absolute(options.results_out).string();
  const RecordedRun found = find_recorded_run(options.results, options.id, options.sweep_file);
  const Sweep& sweep = found.sweep;
  const Run* run = &found.runs[found.run];
  const RunRecord* recorded = &found.record;
  const std::string sweep_file = options.sweep_file.empty() ? recorded->sweep_file
                                                            : options.sweep_file;
  // The file the record goes to is taken before the run plays: one in use refuses at once.
  std::unique_ptr<ResultsWriter> writer;
  if (!results_out.empty()) {
    refuse_input(sweep, results_out, "the results file");
    writer = std::make_unique<ResultsWriter>(results_out);
    check_same_sweep(writer->existing(), results_out, sweep.name);
    writer->start(true);
  }
  std::cout << "replay " << run->id << " (seed " << run->seed << ") of the sweep " << sweep.name
            << " (" << sweep_file << ")\n";
  if (options.verbose) set_log_level(LogLevel::info);
  RunOptions run_options;
  run_options.prepare_rig = options.prepare_rig;
  run_options.vcd_path = vcd;
  run_options.vcd_period_s = options.vcd_period_s;
  run_options.trace = options.trace;
  ScenarioResult result = play_in_process(sweep, *run, run_options,
                                          options.timeout_s.value_or(sweep.timeout_s));
  if (options.verbose && !result.output.empty()) std::cout << result.output;
  name_result(sweep, *run, result);
  std::cout << to_string(result.outcome) << " " << run->id << " (" << fixed(result.sim_s, 1)
            << " s simulated, " << fixed(result.wall_s, 3) << " s)\n";
  if (!result.error.empty()) std::cout << "  " << result.error << "\n";
  for (const auto& f : result.failures) std::cout << "  " << f.message << "\n";
  if (!vcd.empty()) std::cout << "VCD: " << vcd << "\n";
  const RunRecord replayed = make_record(sweep, *run, result);
  std::string why;
  if (same_result(*recorded, replayed, &why)) {
    std::cout << "same result as recorded\n";
  } else {
    std::cout << "differs from the recorded result: " << why << "\n";
  }
  if (writer) {
    try {
      writer->write(replayed);
    } catch (const ResultsWriteError& e) {
      std::cerr << "amprig: " << e.what() << "\n";
      return 1;
    }
    std::cout << "record appended to " << results_out << "\n";
  }
  return result.outcome == ScenarioResult::Outcome::passed ? 0 : 1;
}

Throughput measure_throughput(const std::string& file, int jobs) {
  const Sweep sweep = load_sweep(file);
  const std::vector<Run> runs = expand(sweep);
  Throughput t;
  const auto started = Clock::now();
  run_in_processes(
      runs.size(), std::max(1, jobs), sweep.timeout_s,
      [&](std::size_t i) { return std::vector<ScenarioResult>{run_here(sweep, runs[i], {})}; },
      [&](std::size_t, std::vector<ScenarioResult>& got, double) {
        ++t.runs;
        t.passed += got.front().outcome == ScenarioResult::Outcome::passed;
        t.sim_s += got.front().sim_s;
      });
  t.wall_s = std::chrono::duration<double>(Clock::now() - started).count();
  return t;
}

int worker_command(const SweepOptions& options) {
  const Sweep sweep = load_sweep(options.file);
  const std::vector<Run> runs = expand(sweep);
  std::error_code ec;
  const std::string where = host_name() + ":" + fs::current_path(ec).string();
  std::vector<const Run*> asked;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    const auto tab = line.find('\t');
    const std::string id = line.substr(0, tab);
    const std::string digest = tab == std::string::npos ? "" : line.substr(tab + 1);
    const Run* run = find_run(runs, id);
    if (run == nullptr) {
      std::cerr << "amprig: on " << where << ", " << options.file << " has no run '" << id
                << "': the worker's copy of the sweep is not the client's\n";
      return 3;
    }
    if (!digest.empty() && run_digest(sweep, *run) != digest) {
      std::cerr << "amprig: on " << where << ", the run '" << id << "' of " << options.file
                << " is another scenario than the client's: the worker's sweep or base files "
                   "differ (give the workers the client's files at the same path)\n";
      return 3;
    }
    asked.push_back(run);
  }
  // One run at a time: a worker's threads are the cluster's parallelism.
  run_in_processes(
      asked.size(), 1, options.timeout_s.value_or(sweep.timeout_s),
      [&](std::size_t i) {
        RunOptions run_options;
        run_options.prepare_rig = options.prepare_rig;
        return std::vector<ScenarioResult>{run_here(sweep, *asked[i], run_options)};
      },
      [&](std::size_t i, std::vector<ScenarioResult>& got, double) {
        name_result(sweep, *asked[i], got.front());
        std::cout << to_json_line(make_record(sweep, *asked[i], got.front())) << "\n";
        std::cout.flush();
      });
  return 0;
}

namespace {

// How a run fails, for telling whether a smaller run fails the same way: the outcome and the
// first failed expectation's signal, or the first line of the error.
std::string failure_kind(const ScenarioResult& r) {
  switch (r.outcome) {
    case ScenarioResult::Outcome::passed:
      return "";
    case ScenarioResult::Outcome::failed:
      return "failed " + (r.failures.empty() ? std::string() : r.failures.front().signal);
    case ScenarioResult::Outcome::error:
    case ScenarioResult::Outcome::no_checks:
      break;
  }
  return "error " + r.error.substr(0, r.error.find('\n'));
}

std::string fault_list(const std::vector<FaultPoint>& faults) {
  if (faults.empty()) return "(no fault)";
  std::string out;
  for (const auto& f : faults) out += (out.empty() ? "" : ", ") + f.token();
  return out;
}

}  // namespace

int shrink_command(const ShrinkOptions& options) {
  std::string out = options.out.empty() ? "" : fs::absolute(options.out).string();
  const std::string results = fs::absolute(options.results).string();
  const std::string results_dir = fs::path(results).parent_path().string();
  const RecordedRun found = find_recorded_run(options.results, options.id, options.sweep_file);
  const Sweep& sweep = found.sweep;
  const Run& original = found.runs[found.run];
  // The shrunk run's file replaces whatever is there: never an input of the shrink.
  const auto check_out = [&](const std::string& path) {
    std::error_code ec;
    if (fs::equivalent(path, results, ec)) {
      throw std::runtime_error("the shrunk run's file " + path +
                               " is the results file, which it would overwrite: give another "
                               "file (-o)");
    }
    refuse_input(sweep, path, "the shrunk run's file");
  };
  if (!out.empty()) check_out(out);
  const double timeout_s = options.timeout_s.value_or(sweep.timeout_s);
  RunOptions run_options;
  run_options.prepare_rig = options.prepare_rig;

  // The run again: shrinking a failure needs one that reproduces.
  std::size_t tried = 0;
  auto play = [&](const Run& run) {
    ++tried;
    ScenarioResult r = play_in_process(sweep, run, run_options, timeout_s);
    name_result(sweep, run, r);
    return r;
  };
  const ScenarioResult first = play(original);
  const std::string kind = failure_kind(first);
  std::cout << "shrink " << original.id << " of the sweep " << sweep.name << ": " << kind;
  if (!first.failures.empty()) std::cout << " (" << first.failures.front().message << ")";
  std::cout << "\n";
  if (kind.empty()) {
    std::cout << "the run passes: there is no failure to shrink\n";
    return 1;
  }
  if (kind != failure_kind(found.record.result)) {
    std::cout << "the run does not fail as recorded (" << failure_kind(found.record.result)
              << "): not shrunk\n";
    return 1;
  }

  // A smaller run: the same base and seed (the seed belongs to the failure), fewer or shorter
  // faults, its id from its content.
  auto candidate = [&](std::vector<FaultPoint> faults) {
    Run run;
    run.base = original.base;
    run.seed = original.seed;
    run.faults = std::move(faults);
    run.id = run_id(sweep.bases[original.base].name, run.faults);
    return run;
  };
  std::map<std::string, std::string> kinds;  // by run id: each candidate plays once
  auto fails_alike = [&](const Run& run, const std::string& what) {
    auto it = kinds.find(run.id);
    if (it == kinds.end()) {
      it = kinds.emplace(run.id, failure_kind(play(run))).first;
      std::cout << "  " << what << ": "
                << (it->second == kind ? "fails the same way"
                                       : it->second.empty() ? "passes" : it->second)
                << "\n";
    }
    return it->second == kind;
  };

  // Faults left out one at a time, from the start again after each success: no single fault
  // of the result can go.
  std::vector<FaultPoint> faults = original.faults;
  for (std::size_t i = 0; i < faults.size();) {
    std::vector<FaultPoint> fewer = faults;
    fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(i));
    if (fails_alike(candidate(fewer), "without " + faults[i].token())) {
      faults = std::move(fewer);
      i = 0;
    } else {
      ++i;
    }
  }
  // Each remaining fault's duration halved while the run still fails, down to 1 ms.
  constexpr SimTimeNs kShortest = 1'000'000;
  for (std::size_t i = 0; i < faults.size(); ++i) {
    while (faults[i].duration_ns && *faults[i].duration_ns / 2 >= kShortest) {
      std::vector<FaultPoint> shorter = faults;
      *shorter[i].duration_ns /= 2;
      if (!fails_alike(candidate(shorter), shorter[i].token())) break;
      faults = std::move(shorter);
    }
  }

  const Run shrunk = candidate(faults);
  if (out.empty()) {
    out = (fs::path(results_dir) / (shrunk.id + ".yaml")).string();
    check_out(out);
  }
  {
    errno = 0;
    std::ofstream file(out);
    file << run_yaml(sweep, shrunk);
    // A full disk shows when the buffer goes out, not before.
    file.close();
    if (file.fail()) {
      throw std::runtime_error("cannot write " + out + ": " +
                               (errno != 0 ? std::strerror(errno) : "write failed"));
    }
  }
  std::cout << "\nshrunk in " << tried << " runs: " << fault_list(original.faults) << "\n"
            << "                 to: " << fault_list(faults) << "\n"
            << "a standalone scenario of it: " << out << "\n"
            << "  " << shell_quote(options.program) << " run " << shell_quote(out) << "\n";
  return 0;
}

}  // namespace amprig::sweep
