#include "scenario/run.h"

#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>

#include "report/vcd_tracer.h"
#include "rig/rig.h"
#include "rig/sim_log.h"
#include "scenario/limits.h"
#include "scenario/read_file.h"
#include "scenario/step_runner.h"

namespace amprig {
namespace {

// What a child left in its anonymous file (as much as could be read: a failed read leaves the
// result incomplete, which its parser reports).
std::string read_all(int fd) {
  std::string out;
  read_from_start(fd, out);
  return out;
}

int anonymous_file() {
  char name[] = "/tmp/amprig-XXXXXX";
  const int fd = mkstemp(name);
  if (fd >= 0) unlink(name);
  return fd;
}

std::string vcd_path_for(const RunOptions& options, const std::string& id, std::size_t total) {
  if (options.vcd_path.empty() || total <= 1) return options.vcd_path;
  std::filesystem::path p(options.vcd_path);
  return (p.parent_path() / (p.stem().string() + "." + id + p.extension().string())).string();
}

PythonRunner& python_runner() {
  static PythonRunner runner;
  return runner;
}

ScenarioResult error_result(const std::string& file, const std::string& error) {
  ScenarioResult r;
  r.file = file;
  r.id = std::filesystem::path(file).stem().string();
  r.outcome = ScenarioResult::Outcome::error;
  r.error = error;
  return r;
}

bool is_python(const std::string& file) { return std::filesystem::path(file).extension() == ".py"; }

// "0.25", "600", "18446744.07": a timeout as the messages give it.
std::string seconds_text(double s) {
  std::ostringstream out;
  out.precision(s < 1e9 ? 10 : 17);
  out << s;
  return out.str();
}

// SIGALRM after `timeout_s` of wall time, to the microsecond (alarm() counts whole seconds in
// an unsigned int: it cut short a sub-second timeout and wrapped a long one).
void arm_timeout(double timeout_s) {
  constexpr double kUsPerS = 1e6;
  const double us = std::max(1.0, std::ceil(timeout_s * kUsPerS));
  itimerval timer{};
  timer.it_value.tv_sec = static_cast<time_t>(us / kUsPerS);
  timer.it_value.tv_usec =
      static_cast<suseconds_t>(us - static_cast<double>(timer.it_value.tv_sec) * kUsPerS);
  setitimer(ITIMER_REAL, &timer, nullptr);
}

// One run of `amprig run`: a file, and the seed it runs with (none: its own).
struct RunJob {
  std::string file;
  std::optional<std::uint64_t> seed;
  bool seed_in_id = false;
};

// Each YAML file once per seed; a Python file once (its seeds are its own code's). Throws
// std::invalid_argument when a seed would pass kMaxSeed.
std::vector<RunJob> expand_seeds(const std::vector<std::string>& files, const RunOptions& options) {
  std::vector<RunJob> jobs;
  const bool seeded = options.seed || options.seeds != 1 || options.seed_offset != 0;
  for (const auto& file : files) {
    if (!seeded || is_python(file)) {
      jobs.push_back(RunJob{file, std::nullopt, false});
      continue;
    }
    std::uint64_t own = 0;
    try {
      own = load_scenario(file).seed;
    } catch (const std::exception&) {
      // Its process reports the error, once.
      jobs.push_back(RunJob{file, std::nullopt, false});
      continue;
    }
    const std::uint64_t first = options.seed.value_or(own) + options.seed_offset;
    // Each seed must be one `--seed S` accepts, so that its rerun command works.
    if (first + options.seeds - 1 > kMaxSeed) {
      throw std::invalid_argument(file + ": its seeds would run to " +
                                  std::to_string(first + options.seeds - 1) +
                                  ", past the largest seed, " + std::to_string(kMaxSeed));
    }
    for (std::uint64_t k = 0; k < options.seeds; ++k) {
      const std::uint64_t seed = first + k;
      jobs.push_back(RunJob{file, seed, options.seeds > 1 || seed != own});
    }
  }
  return jobs;
}

// A run's name in file names: its file's stem, with the seed when its id has one.
std::string run_name(const RunJob& job) {
  const std::string stem = std::filesystem::path(job.file).stem().string();
  return job.seed_in_id ? seeded_id(stem, *job.seed) : stem;
}

}  // namespace

std::string seeded_id(const std::string& id, std::uint64_t seed) {
  return id + "@seed=" + std::to_string(seed);
}

void set_python_runner(PythonRunner runner) { python_runner() = std::move(runner); }

std::vector<ScenarioResult> run_file_here(const std::string& file, const RunOptions& options) {
  if (std::filesystem::path(file).extension() != ".py") return {run_scenario_here(file, options)};
  if (!python_runner()) return {error_result(file, file + ": this program cannot run Python scenarios")};
  const auto started = std::chrono::steady_clock::now();
  try {
    auto results = python_runner()(file);
    if (results.empty()) results.push_back(error_result(file, file + ": no scenario in it"));
    return results;
  } catch (const std::exception& e) {
    ScenarioResult r = error_result(file, file + ": " + e.what());
    r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return {r};
  }
}

ScenarioResult run_scenario_here(const std::string& file, const RunOptions& options,
                                 std::optional<std::uint64_t> seed, bool seed_in_id) {
  const auto started = std::chrono::steady_clock::now();
  ScenarioResult result;
  try {
    Scenario scenario = load_scenario(file);
    if (seed) reseed(scenario, *seed);
    if (seed_in_id) scenario.id = seeded_id(scenario.id, scenario.seed);
    result = run_scenario_here(scenario, options);
    mark_no_checks(result);
  } catch (const ScenarioError& e) {
    result = error_result(file, e.what());
  } catch (const std::exception& e) {
    result = error_result(file, file + ": " + e.what());
  }
  if (seed_in_id && seed && result.id == std::filesystem::path(file).stem().string()) {
    result.id = seeded_id(result.id, *seed);
  }
  result.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

ScenarioResult run_scenario_here(const Scenario& scenario, const RunOptions& options) {
  ScenarioResult result;
  result.file = scenario.file;
  result.id = scenario.id;
  result.description = scenario.description;
  const auto started = std::chrono::steady_clock::now();
  try {
    install_systemc_report_handler();
    Rig rig("rig", scenario);
    if (options.prepare_rig) options.prepare_rig(rig);
    StepRunner runner("steps", rig, result);
    std::unique_ptr<VcdTracer> tracer;
    if (!options.vcd_path.empty()) {
      tracer = std::make_unique<VcdTracer>("vcd", rig.signals(), options.vcd_path,
                                           options.vcd_period_s, options.trace);
      if (!tracer->ok()) throw std::runtime_error("cannot write the trace " + options.vcd_path);
    }
    sc_core::sc_start();
    if (systemc_problem_count() > 0 && result.outcome == ScenarioResult::Outcome::passed) {
      result.outcome = ScenarioResult::Outcome::error;
      result.error = "SystemC reported warnings or errors (see the output)";
    }
    if (tracer && !tracer->finish()) {
      // The checks' counts stay; the run is not a pass without the trace it was asked for.
      result.error = options.vcd_path + ": the trace could not be written in full (" +
                     to_string(result.outcome) + " otherwise)" +
                     (result.error.empty() ? "" : "\n" + result.error);
      result.outcome = ScenarioResult::Outcome::error;
    }
  } catch (const ScenarioError& e) {
    result.outcome = ScenarioResult::Outcome::error;
    result.error = e.what();
  } catch (const sc_core::sc_report& e) {
    result.outcome = ScenarioResult::Outcome::error;
    result.error = std::string("SystemC: ") + e.what();
  } catch (const std::exception& e) {
    result.outcome = ScenarioResult::Outcome::error;
    result.error = scenario.file + ": " + e.what();
  }
  result.wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

void run_in_processes(std::size_t count, int jobs, double timeout_s, const ChildWork& work,
                      const ChildDone& done, const std::function<bool()>& stopping) {
  struct Child {
    std::size_t index;
    int result_fd;
    int output_fd;
    std::chrono::steady_clock::time_point started;
  };
  std::map<pid_t, Child> running;
  std::size_t next = 0;
  jobs = std::max(1, jobs);
  const pid_t parent = getpid();
  std::fflush(nullptr);
  const auto stop_requested = [&] { return stopping && stopping(); };
  while (next < count || !running.empty()) {
    while (next < count && static_cast<int>(running.size()) < jobs && !stop_requested()) {
      const std::size_t index = next++;
      const int result_fd = anonymous_file();
      const int output_fd = anonymous_file();
      const pid_t pid = fork();
      if (pid == 0) {
        // An orphan would run on unseen: it dies with the process that waits for it.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(1);
        dup2(output_fd, STDOUT_FILENO);
        dup2(output_fd, STDERR_FILENO);
        arm_timeout(timeout_s);
        // Nothing may leave this function but _exit: an exception would run the parent's loop.
        std::vector<ScenarioResult> results;
        try {
          results = work(index);
        } catch (const std::exception& e) {
          ScenarioResult r;
          r.outcome = ScenarioResult::Outcome::error;
          r.error = e.what();
          results.push_back(std::move(r));
        }
        std::string text;
        for (const auto& r : results) text += serialise(r);
        std::fflush(nullptr);
        std::size_t written = 0;
        while (written < text.size()) {
          const ssize_t n = write(result_fd, text.data() + written, text.size() - written);
          if (n <= 0) break;
          written += static_cast<std::size_t>(n);
        }
        _exit(0);
      }
      running[pid] = Child{index, result_fd, output_fd, std::chrono::steady_clock::now()};
    }
    if (running.empty()) break;  // stopping before the rest started
    int status = 0;
    const pid_t pid = stop_requested() ? -1 : waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR && !stop_requested()) continue;
      // Stopping (or nothing left to wait for): the unfinished runs have no result.
      for (const auto& [child_pid, child] : running) {
        kill(child_pid, SIGKILL);
        waitpid(child_pid, nullptr, 0);
        close(child.result_fd);
        close(child.output_fd);
      }
      break;
    }
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    const Child child = it->second;
    running.erase(it);
    const double wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - child.started).count();
    std::vector<ScenarioResult> got;
    const std::string text = read_all(child.result_fd);
    // One record per scenario, each ending with its "end" line.
    for (std::size_t start = 0; start < text.size();) {
      std::size_t stop = text.find("\nend\n", start);
      if (stop == std::string::npos) break;
      stop += 5;
      ScenarioResult r;
      if (deserialise(text.substr(start, stop - start), &r)) got.push_back(std::move(r));
      start = stop;
    }
    const bool killed_by_stop = got.empty() && WIFSIGNALED(status) && stop_requested();
    if (got.empty()) {
      ScenarioResult r;
      r.outcome = ScenarioResult::Outcome::error;
      if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
        r.error = "timed out after " + seconds_text(timeout_s) + " s";
      } else if (WIFSIGNALED(status)) {
        r.error = std::string("crashed: ") + strsignal(WTERMSIG(status));
      } else {
        r.error = "the scenario's process ended without a result (exit code " +
                  std::to_string(WEXITSTATUS(status)) + ")";
      }
      r.wall_s = wall_s;
      got.push_back(std::move(r));
    }
    // The child's output goes with its first result.
    got.front().output = read_all(child.output_fd) + got.front().output;
    close(child.result_fd);
    close(child.output_fd);
    // A run the interrupt itself ended has no result of its own.
    if (!killed_by_stop && done) done(child.index, got, wall_s);
  }
}

std::vector<std::string> trace_paths(const std::vector<std::string>& files,
                                     const RunOptions& options) {
  if (options.vcd_path.empty()) return {};
  const std::vector<RunJob> jobs = expand_seeds(files, options);
  std::vector<std::string> out;
  for (const auto& job : jobs) out.push_back(vcd_path_for(options, run_name(job), jobs.size()));
  return out;
}

std::vector<ScenarioResult> run_scenarios(
    const std::vector<std::string>& files, const RunOptions& options,
    const std::function<void(const ScenarioResult&, std::size_t, std::size_t)>& on_done) {
  const std::vector<RunJob> jobs = expand_seeds(files, options);
  std::vector<std::vector<ScenarioResult>> results(jobs.size());
  std::size_t done = 0;
  run_in_processes(
      jobs.size(), options.jobs, options.timeout_s,
      [&](std::size_t index) {
        const RunJob& job = jobs[index];
        RunOptions child_options = options;
        child_options.vcd_path = vcd_path_for(options, run_name(job), jobs.size());
        if (is_python(job.file)) return run_file_here(job.file, child_options);
        return std::vector<ScenarioResult>{
            run_scenario_here(job.file, child_options, job.seed, job.seed_in_id)};
      },
      [&](std::size_t index, std::vector<ScenarioResult>& got, double) {
        const RunJob& job = jobs[index];
        // A process that died without a result is named after its file.
        if (got.size() == 1 && got.front().file.empty()) {
          got.front().file = job.file;
          got.front().id = run_name(job);
        }
        ++done;
        for (auto& r : got) {
          if (job.seed) r.rerun = "amprig run " + job.file + " --seed " + std::to_string(*job.seed);
          if (on_done) on_done(r, done, jobs.size());
          results[index].push_back(std::move(r));
        }
      });
  std::vector<ScenarioResult> flat;
  for (auto& rs : results) {
    for (auto& r : rs) flat.push_back(std::move(r));
  }
  return flat;
}

}  // namespace amprig
