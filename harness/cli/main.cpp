// The `amprig` program: run scenarios, list signals and faults, benchmark.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <systemc>
#include <thread>

#include "balancer/balancer.h"
#include "cli/bench.h"
#include "cluster.h"
#include "embedded.h"
#include "report/reports.h"
#include "rig/rig.h"
#include "rig/sim_log.h"
#include "scenario/limits.h"
#include "scenario/run.h"
#include "sweep/runner.h"
#include "sweep/test_hooks.h"

namespace {

namespace fs = std::filesystem;
using namespace amprig;

constexpr const char* kUsage = R"(usage: amprig <command> [options]

commands:
  run FILE|DIR...     run YAML and Python scenarios (a directory: every *.yaml in it and its
                      subdirectories except base_*.yaml, and every test_*.py and scenario_*.py;
                      each test of a Python file is a scenario of its own)
      --junit FILE        write JUnit XML
      --report FILE       write a Markdown report (Python scenarios put their plots beside it:
                          $AMPRIG_REPORT_DIR is set to its folder)
      --vcd FILE          write a VCD trace of the signals (one file per scenario: FILE.<id>.vcd
                          when several run)
      --vcd-period DUR    trace sampling period (default 10ms)
      --trace A,B,...     trace only these signals
      -j N                scenarios in parallel (default: number of cores)
      --timeout DUR       wall-clock limit per scenario (default 10min)
      -v, --verbose       show the rig's log (info level) for each scenario
      --log MODULE=LEVEL  log level for one module and those below it, e.g. rig.ct2=debug
                          (levels: debug, info, warning, error, quiet)
      --adc behavioural|rtl
                          the virtual ADC of every scenario, whatever its device.adc says
                          (rtl: delta-sigma modulators into the verilated sinc3 decimator)
      --seed S            run each YAML scenario with seed S instead of its file's
      --seeds N           N seeds per YAML scenario: its seed s (or S), then s+1 ... s+N-1; each
                          seed's result is a row <id>@seed=<seed> (also whenever the seed is not
                          the file's), and a failure names the command that reruns it
      --seed-offset K     start at s+K (s: the file's seed or S): --seeds 3 --seed-offset 1 runs
                          s+1, s+2, s+3. Python scenarios choose their seeds in their code: a .py
                          file named with these options is a usage error, and one found in a
                          directory runs once
      --allow-no-checks   a scenario that evaluated no expectation (NO CHECKS) does not fail the
                          run: a deliberate smoke run
  sweep FILE          run a fault sweep (scenarios/sweeps/*.yaml): every run in a process of its
                      own, results appended to a JSON-lines file as each finishes
      -j N                runs in parallel (default: number of cores)
      --cluster tcp://HOST:PORT
                          run on that Dask scheduler's workers instead (README: Fault sweeps)
      --results FILE      the results file (default: build/reports/sweeps/<sweep>.jsonl of this
                          program's build; a directory: <sweep>.jsonl in it)
      --resume            skip the runs the results file already holds
      --timeout DUR       wall-clock limit per run (default: the sweep file's timeout, else 5min)
      --junit FILE        write JUnit XML
      --vcd DIR           write a VCD trace of every run: DIR/<run id>.vcd
      --vcd-period DUR, --trace A,B,...   as for run
      --list              print the runs (id, group, base, seed, simulated time), run nothing
      --emit RUN_ID       print that run as a standalone scenario file, run nothing
      --html DIR          write the HTML report (as `report`) when the sweep ends
      --worker            a cluster worker's side: run the runs named on stdin (ID<tab>DIGEST
                          lines), print their records on stdout
  replay RESULTS RUN_ID
                      replay one run of a sweep exactly, from its results file
      --vcd FILE          write a VCD trace of it
      -v, --verbose       show the rig's log
      --sweep FILE        the sweep file (default: the one the results name)
      --timeout DUR       wall-clock limit (default: the sweep file's)
      --results FILE      append the replay's record to this results file
  report RESULTS --html DIR
                      the HTML report of a sweep's results: pass/fail by fault and by base, and
                      each failed run with its replay command, failures and plots
      --max-plotted N     plots for the first N failed runs only (default 40)
  shrink RESULTS RUN_ID
                      the smallest run that fails the same way: faults left out one at a time,
                      then each one's duration halved while it still fails
      -o, --out FILE      the shrunk run as a standalone scenario (default: <its id>.yaml next
                          to RESULTS)
      --sweep FILE, --timeout DUR   as for replay
  signals [FILE]      list every signal (of FILE's rig, or of the default ag63 rig) with units
  faults [FILE]       list the settable fault-injection signals
  bench               the benchmark suite, each figure beside its target: sweep runs per minute,
                      the reference rig's real-time factor (scenarios/bench/reference.yaml) and
                      the plain loop's beside it, the 24-hour solar day, the RTL ADC's factor
      --duration DUR      simulated time of the reference rig and the plain loop (default 60s)
      --repeat N          runs of each, alternating, the fastest kept (default 3)
      --scale             also the factor with 1, 10 and 50 chargers and at 6.4, 12.8, 25.6 kHz
      --no-day            skip the 24-hour solar day (the longest figure)
      --sweep FILE        the sweep whose runs per minute are measured (default: this build's
                          scenarios/sweeps/smoke.yaml; none: skip it)
      -j N                its processes (default: number of cores)
      --json FILE         also write the figures as JSON
  help                this text
  help balancer       the load balancer's settings (unit, default, meaning) and the reasons
                      it gives for its decisions
  help limits         the sizes, counts and times a scenario, base or sweep file may use

The outputs of run (--junit, --report, --vcd) get their folder made if it is missing; one that
is an input of the run (a scenario or a base it uses) is refused before anything runs. An output
or standard output that cannot be written in full is an error (exit code 1); the other outputs
are still written.

Exit codes: 0 every scenario (run) passed; 1 a scenario failed, had an error or checked nothing
(NO CHECKS, unless --allow-no-checks), or an output could not be written; 2 bad usage.
)";

// Words of `text` in lines of at most `width` characters (a longer word gets a line of its own),
// each line after `indent` spaces; the first line's indent is the caller's.
std::string wrap(const std::string& text, std::size_t indent, std::size_t width) {
  std::string out, line;
  std::istringstream words(text);
  for (std::string word; words >> word;) {
    if (!line.empty() && indent + line.size() + 1 + word.size() > width) {
      out += line + "\n" + std::string(indent, ' ');
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  return out + line + "\n";
}

// `amprig help balancer`: straight from the balancer's own tables, so the help cannot drift.
int command_help_balancer() {
  namespace bal = fw::balancer;
  constexpr std::size_t kWidth = 80;
  constexpr std::size_t kMeaningIndent = 6;
  std::size_t name_w = std::strlen("setting"), unit_w = std::strlen("unit");
  for (const auto& info : bal::kSettingInfo) {
    name_w = std::max(name_w, std::strlen(info.name));
    unit_w = std::max(unit_w, std::strlen(info.unit));
  }
  std::ostringstream out;
  out << "Load balancer settings (one load-balancer group):\n\n"
      << "  " << std::left << std::setw(static_cast<int>(name_w) + 2) << "setting"
      << std::setw(static_cast<int>(unit_w) + 2) << "unit"
      << "default\n";
  for (const auto& info : bal::kSettingInfo) {
    out << "  " << std::left << std::setw(static_cast<int>(name_w) + 2) << info.name
        << std::setw(static_cast<int>(unit_w) + 2) << info.unit << info.default_value << "\n"
        << std::string(kMeaningIndent, ' ') << wrap(info.description, kMeaningIndent, kWidth);
  }
  std::size_t reason_w = std::strlen("reason");
  for (const auto& info : bal::kReasonInfo) reason_w = std::max(reason_w, std::strlen(info.name));
  const std::size_t meaning_indent = 2 + reason_w + 2;
  out << "\nDecision reasons (why a charger got its setpoint):\n\n"
      << "  " << std::left << std::setw(static_cast<int>(reason_w) + 2) << "reason"
      << "meaning\n";
  for (const auto& info : bal::kReasonInfo) {
    out << "  " << std::left << std::setw(static_cast<int>(reason_w) + 2) << info.name
        << wrap(info.meaning, meaning_indent, kWidth);
  }
  std::fputs(out.str().c_str(), stdout);
  return 0;
}

// `amprig help limits`: straight from kLimitInfo, the constants the checks read.
int command_help_limits() {
  std::size_t name_w = std::strlen("limit");
  for (const auto& info : kLimitInfo) name_w = std::max(name_w, std::strlen(info.name));
  std::ostringstream out;
  out << "Limits (a file or option beyond one is refused with the limit in the message):\n\n";
  for (const auto& info : kLimitInfo) {
    out << "  " << std::left << std::setw(static_cast<int>(name_w) + 2) << info.name << info.value
        << (info.unit[0] != '\0' ? " " : "") << info.unit
        << (info.value == static_cast<std::uint64_t>(kMaxSimTimeNs) ? " = " + max_sim_time_text()
                                                                    : "")
        << "  (" << info.applies_to << ")\n";
  }
  std::fputs(out.str().c_str(), stdout);
  return 0;
}

int usage_error(const std::string& message) {
  std::fprintf(stderr, "amprig: %s\n(try 'amprig help')\n", message.c_str());
  return 2;
}

double seconds(const std::string& text) {
  return static_cast<double>(parse_duration_ns(text)) * 1e-9;
}

// A duration option's value: its errors name the option (they are usage errors).
double option_seconds(const std::string& option, const std::string& text) {
  try {
    return seconds(text);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(option + ": " + e.what());
  }
}

// --timeout: positive, sub-second allowed, at most the simulator's range (the same limit as
// simulated time).
double timeout_seconds(const std::string& text) {
  const double s = option_seconds("--timeout", text);
  if (s <= 0) throw std::invalid_argument("--timeout must be positive, got '" + text + "'");
  return s;
}

// A whole number in [lo, hi], written in full (no sign, no fraction, no trailing text).
std::uint64_t whole_number(const std::string& option, const std::string& text, std::uint64_t lo,
                           std::uint64_t hi) {
  const std::string range = "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  const bool digits = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
  if (!digits) {
    throw std::invalid_argument(option + " takes a whole number in " + range + ", not '" + text +
                                "'");
  }
  errno = 0;
  const unsigned long long v = std::strtoull(text.c_str(), nullptr, 10);
  if (errno == ERANGE || v < lo || v > hi) {
    throw std::invalid_argument(option + " " + text + " is out of range " + range);
  }
  return v;
}

// --vcd-period: from the trace's timescale up.
double vcd_period_seconds(const std::string& text) {
  const double s = option_seconds("--vcd-period", text);
  if (s < static_cast<double>(kMinVcdPeriodNs) * 1e-9) {
    throw std::invalid_argument("--vcd-period must be at least " + std::to_string(kMinVcdPeriodNs) +
                                " ns (the trace's timescale), got '" + text + "'");
  }
  return s;
}

int jobs_option(const std::string& text) {
  return static_cast<int>(whole_number("-j", text, 1, kMaxJobs));
}

// Splits --trace's "a,b,c".
std::vector<std::string> name_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream list(text);
  std::string name;
  while (std::getline(list, name, ',')) out.push_back(name);
  if (out.size() > kMaxTraceSignals) {
    throw std::invalid_argument("--trace names " + std::to_string(out.size()) +
                                " signals; the limit is " + std::to_string(kMaxTraceSignals));
  }
  return out;
}

// Refuses an output path that is one of the run's inputs (a scenario or a base it merges), or
// the same as another output, before anything runs or is overwritten.
void check_outputs(const std::vector<std::pair<std::string, std::string>>& outputs,
                   const std::vector<std::string>& files) {
  std::vector<std::pair<std::string, std::string>> inputs;
  for (const auto& file : files) {
    for (const auto& path : scenario_files(file)) inputs.emplace_back(path, file);
  }
  std::vector<std::pair<std::string, std::string>> seen;
  for (const auto& [option, path] : outputs) {
    if (path.empty()) continue;
    const std::string canonical = fs::weakly_canonical(path).string();
    for (const auto& [input, scenario] : inputs) {
      if (input == canonical) {
        throw std::invalid_argument(option + " " + path + " is an input of the run" +
                                    (fs::weakly_canonical(scenario).string() == input
                                         ? ""
                                         : " (a base file of " + scenario + ")") +
                                    ": it would be overwritten");
      }
    }
    for (const auto& [other, other_path] : seen) {
      if (fs::weakly_canonical(other_path).string() == canonical) {
        throw std::invalid_argument(option + " and " + other + " name the same file " + path);
      }
    }
    if (fs::is_directory(path) || path.back() == '/') {
      throw std::invalid_argument(option + " " + path + " is a directory");
    }
    seen.emplace_back(option, path);
  }
}

std::vector<std::string> collect(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const auto& input : inputs) {
    if (fs::is_directory(input)) {
      std::vector<std::string> found;
      for (const auto& entry : fs::recursive_directory_iterator(input)) {
        const auto& p = entry.path();
        const std::string name = p.filename().string();
        const bool yaml = p.extension() == ".yaml" && name.rfind("base_", 0) != 0;
        // Python: scenario files are named like pytest's test files; conftest.py and helpers
        // are not scenarios.
        const bool python = p.extension() == ".py" && (name.rfind("test_", 0) == 0 ||
                                                       name.rfind("scenario_", 0) == 0);
        if ((yaml || python) && p.string().find("__pycache__") == std::string::npos) {
          found.push_back(p.string());
        }
      }
      std::sort(found.begin(), found.end());
      if (found.empty()) throw std::runtime_error(input + ": no scenario files (*.yaml, test_*.py) in it");
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(input)) {
      files.push_back(input);
    } else {
      throw std::runtime_error(input + ": no such file or directory");
    }
  }
  return files;
}

int command_run(const std::vector<std::string>& args) {
  RunOptions options;
  options.jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  options.prepare_rig = &sweep::add_test_hooks_if_enabled;
  std::string junit, report;
  std::vector<std::string> inputs;
  bool show_output = false;
  bool allow_no_checks = false;
  bool vcd_period_given = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) throw std::invalid_argument(a + " needs a value");
      return args[++i];
    };
    if (a == "--junit") {
      junit = value();
    } else if (a == "--report") {
      report = value();
    } else if (a == "--vcd") {
      options.vcd_path = value();
    } else if (a == "--vcd-period") {
      options.vcd_period_s = vcd_period_seconds(value());
      vcd_period_given = true;
    } else if (a == "--trace") {
      options.trace = name_list(value());
    } else if (a == "-j") {
      options.jobs = jobs_option(value());
    } else if (a == "--timeout") {
      options.timeout_s = timeout_seconds(value());
    } else if (a == "--seed") {
      options.seed = whole_number(a, value(), 0, kMaxSeed);
    } else if (a == "--seeds") {
      options.seeds = whole_number(a, value(), 1, kMaxSeedsPerScenario);
    } else if (a == "--seed-offset") {
      options.seed_offset = whole_number(a, value(), 0, kMaxSeed);
    } else if (a == "--allow-no-checks") {
      allow_no_checks = true;
    } else if (a == "-v" || a == "--verbose") {
      set_log_level(LogLevel::info);
    } else if (a == "--log") {
      const std::string spec = value();
      const auto eq = spec.find('=');
      LogLevel level;
      if (eq == std::string::npos || !parse_log_level(spec.substr(eq + 1), &level)) {
        throw std::invalid_argument("--log takes MODULE=LEVEL, e.g. rig.ct2=debug");
      }
      set_log_level(spec.substr(0, eq), level);
      show_output = true;
    } else if (a == "--adc") {
      const std::string variant = value();
      if (variant != "behavioural" && variant != "rtl") {
        throw std::invalid_argument("--adc takes behavioural or rtl, not '" + variant + "'");
      }
      // Each scenario is decoded in a child process, which inherits it.
      set_adc_override(variant);
    } else if (!a.empty() && a[0] == '-') {
      throw std::invalid_argument("unknown option " + a);
    } else {
      inputs.push_back(a);
    }
  }
  if (inputs.empty()) throw std::invalid_argument("run needs a scenario file or directory");
  // Without a trace they would do nothing: a forgotten --vcd must not look like a traced run.
  if (options.vcd_path.empty() && (!options.trace.empty() || vcd_period_given)) {
    throw std::invalid_argument("--trace and --vcd-period go with --vcd FILE");
  }
  const bool seeded = options.seed || options.seeds != 1 || options.seed_offset != 0;
  if (seeded) {
    for (const auto& input : inputs) {
      if (fs::path(input).extension() == ".py") {
        throw std::invalid_argument(
            input +
            ": --seed, --seeds and --seed-offset are for YAML scenarios; a Python "
            "scenario chooses its seeds in its code (the seed key of what it gives amprig.Rig)");
      }
    }
  }
  const auto files = collect(inputs);
  std::vector<std::pair<std::string, std::string>> outputs = {{"--junit", junit},
                                                              {"--report", report}};
  // With several runs, --vcd FILE stands for one trace per run: FILE.<run>.vcd.
  for (const auto& path : trace_paths(files, options)) outputs.emplace_back("--vcd", path);
  check_outputs(outputs, files);
  // The three outputs alike: a missing folder is made, before anything runs.
  for (const auto& path : {junit, report, options.vcd_path}) {
    if (std::string why = make_parent_folder(path); !why.empty()) {
      throw std::runtime_error(path + ": " + why);
    }
  }
  if (seeded) {
    const auto python = std::count_if(files.begin(), files.end(), [](const std::string& f) {
      return fs::path(f).extension() == ".py";
    });
    if (python > 0) {
      std::fprintf(stderr,
                   "amprig: note: %ld Python file(s) run once: their seeds are their code's\n",
                   static_cast<long>(python));
    }
  }
  // Python scenarios leave their plots and files beside the report.
  if (!report.empty() && std::getenv("AMPRIG_REPORT_DIR") == nullptr) {
    const fs::path folder = fs::absolute(report).parent_path();
    setenv("AMPRIG_REPORT_DIR", folder.c_str(), 1);
  }
  const auto started = std::chrono::steady_clock::now();
  const auto results = run_scenarios(
      files, options, [&](const ScenarioResult& r, std::size_t done, std::size_t total) {
        std::printf("[%3zu/%zu] %-5s %s (%.3f s)\n", done, total, to_string(r.outcome),
                    r.id.c_str(), r.wall_s);
        if ((show_output || log_level() <= LogLevel::info) && !r.output.empty()) {
          std::printf("%s", r.output.c_str());
        }
        std::fflush(stdout);
      });
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  print_summary(std::cout, results, wall_s);
  int code = 0;
  for (const auto& r : results) {
    const bool accepted = r.outcome == ScenarioResult::Outcome::passed ||
                          (allow_no_checks && r.outcome == ScenarioResult::Outcome::no_checks);
    if (!accepted) code = 1;
  }
  // Each output on its own: one that cannot be written does not keep the others from being.
  if (!junit.empty()) {
    if (const std::string why = write_junit(junit, results, allow_no_checks); why.empty()) {
      std::cout << "JUnit: " << junit << "\n";
    } else {
      std::fprintf(stderr, "amprig: cannot write %s: %s\n", junit.c_str(), why.c_str());
      code = 1;
    }
  }
  if (!report.empty()) {
    if (const std::string why = write_markdown_report(report, results, "amprig run"); why.empty()) {
      std::cout << "report: " << report << "\n";
    } else {
      std::fprintf(stderr, "amprig: cannot write %s: %s\n", report.c_str(), why.c_str());
      code = 1;
    }
  }
  return code;
}

int command_sweep(const std::vector<std::string>& args, const std::string& program) {
  sweep::SweepOptions options;
  options.jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  options.program = program;
  options.prepare_rig = &sweep::add_test_hooks_if_enabled;
  bool jobs_given = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) throw std::invalid_argument(a + " needs a value");
      return args[++i];
    };
    if (a == "-j") {
      options.jobs = jobs_option(value());
      jobs_given = true;
    } else if (a == "--cluster") {
      options.cluster = value();
      if (options.cluster.find("://") == std::string::npos) {
        throw std::invalid_argument("--cluster takes the scheduler's address, tcp://HOST:PORT");
      }
    } else if (a == "--worker") {
      options.worker = true;
    } else if (a == "--html") {
      options.html = value();
    } else if (a == "--results") {
      options.results = value();
    } else if (a == "--resume") {
      options.resume = true;
    } else if (a == "--timeout") {
      options.timeout_s = timeout_seconds(value());
    } else if (a == "--list") {
      options.list = true;
    } else if (a == "--emit") {
      options.emit_id = value();
    } else if (a == "--junit") {
      options.junit = value();
    } else if (a == "--vcd") {
      options.vcd_dir = value();
    } else if (a == "--vcd-period") {
      options.vcd_period_s = vcd_period_seconds(value());
    } else if (a == "--trace") {
      options.trace = name_list(value());
    } else if (!a.empty() && a[0] == '-') {
      throw std::invalid_argument("unknown option " + a);
    } else if (options.file.empty()) {
      options.file = a;
    } else {
      throw std::invalid_argument("sweep takes one sweep file");
    }
  }
  if (options.file.empty()) throw std::invalid_argument("sweep needs a sweep file");
  if (!fs::is_regular_file(options.file)) throw std::runtime_error(options.file + ": no such file");
  if (!options.cluster.empty()) {
    if (jobs_given) {
      throw std::invalid_argument("-j is for a local sweep: on a cluster, the workers' threads "
                                  "run the runs (dask-worker --nthreads)");
    }
    if (!options.vcd_dir.empty() || !options.trace.empty()) {
      throw std::invalid_argument("--vcd and --trace are for a local sweep: replay a run of the "
                                  "cluster's with --vcd to trace it");
    }
    options.cluster_backend = &bindings::run_on_cluster;
  }
  if (!options.html.empty()) {
    options.write_html = [](const std::string& results, const std::string& dir) {
      return bindings::run_python_module("amprig.sweep_report", {results, "--out", dir});
    };
  }
  if (options.worker) return sweep::worker_command(options);
  return sweep::sweep_command(options);
}

int command_replay(const std::vector<std::string>& args) {
  sweep::ReplayOptions options;
  options.prepare_rig = &sweep::add_test_hooks_if_enabled;
  std::vector<std::string> positional;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) throw std::invalid_argument(a + " needs a value");
      return args[++i];
    };
    if (a == "--vcd") {
      options.vcd = value();
    } else if (a == "--vcd-period") {
      options.vcd_period_s = vcd_period_seconds(value());
    } else if (a == "--trace") {
      options.trace = name_list(value());
    } else if (a == "-v" || a == "--verbose") {
      options.verbose = true;
    } else if (a == "--sweep") {
      options.sweep_file = value();
    } else if (a == "--timeout") {
      options.timeout_s = timeout_seconds(value());
    } else if (a == "--results") {
      options.results_out = value();
    } else if (!a.empty() && a[0] == '-') {
      throw std::invalid_argument("unknown option " + a);
    } else {
      positional.push_back(a);
    }
  }
  if (positional.size() != 2) {
    throw std::invalid_argument("replay takes a results file and a run id");
  }
  options.results = positional[0];
  options.id = positional[1];
  if (!fs::is_regular_file(options.results)) {
    throw std::runtime_error(options.results + ": no such file");
  }
  return sweep::replay_command(options);
}

int command_shrink(const std::vector<std::string>& args, const std::string& program) {
  sweep::ShrinkOptions options;
  options.program = program;
  options.prepare_rig = &sweep::add_test_hooks_if_enabled;
  std::vector<std::string> positional;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) throw std::invalid_argument(a + " needs a value");
      return args[++i];
    };
    if (a == "--out" || a == "-o") {
      options.out = value();
    } else if (a == "--sweep") {
      options.sweep_file = value();
    } else if (a == "--timeout") {
      options.timeout_s = timeout_seconds(value());
    } else if (!a.empty() && a[0] == '-') {
      throw std::invalid_argument("unknown option " + a);
    } else {
      positional.push_back(a);
    }
  }
  if (positional.size() != 2) throw std::invalid_argument("shrink takes a results file and a run id");
  options.results = positional[0];
  options.id = positional[1];
  if (!fs::is_regular_file(options.results)) {
    throw std::runtime_error(options.results + ": no such file");
  }
  return sweep::shrink_command(options);
}

// `amprig report RESULTS --html DIR`: bindings/amprig/sweep_report.py, with this build.
int command_report(const std::vector<std::string>& args) {
  std::string results, dir, max_plotted;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) throw std::invalid_argument(a + " needs a value");
      return args[++i];
    };
    if (a == "--html") {
      dir = value();
    } else if (a == "--max-plotted") {
      max_plotted = value();
    } else if (!a.empty() && a[0] == '-') {
      throw std::invalid_argument("unknown option " + a);
    } else if (results.empty()) {
      results = a;
    } else {
      throw std::invalid_argument("report takes one results file");
    }
  }
  if (results.empty() || dir.empty()) {
    throw std::invalid_argument("report takes a results file and --html DIR");
  }
  std::vector<std::string> python_args = {results, "--out", dir};
  if (!max_plotted.empty()) {
    python_args.insert(python_args.end(), {"--max-plotted", max_plotted});
  }
  const int code = bindings::run_python_module("amprig.sweep_report", python_args);
  if (code == 127) throw std::runtime_error("cannot start /usr/bin/python3 for the report");
  return code;
}

int command_signals(const std::vector<std::string>& args, bool faults_only) {
  if (args.size() > 1) throw std::invalid_argument("signals takes at most one scenario file");
  const Scenario scenario = args.empty() ? default_scenario(fw::Variant::ag63) : load_scenario(args[0]);
  install_systemc_report_handler();
  Rig rig("rig", scenario);
  std::size_t width = 0, type_width = 0;
  for (const auto* s : rig.signals().all()) {
    width = std::max(width, s->name.size());
    type_width = std::max(type_width, describe_type(*s).size());
  }
  if (!faults_only) {
    for (const auto* s : rig.signals().all()) {
      std::cout << std::left << std::setw(static_cast<int>(width) + 2) << s->name
                << std::setw(static_cast<int>(type_width) + 2) << describe_type(*s)
                << std::setw(10) << (s->settable() ? "settable" : "read") << s->description
                << "\n";
    }
    return 0;
  }
  // The catalogue: by group, each fault with its value type and unit, what it accepts, and
  // what it does (wrapped under it).
  constexpr std::size_t kWidth = 100;
  constexpr std::size_t kIndent = 6;
  std::vector<const Signal*> faults;
  std::size_t name_w = 0, type_w = 0;
  for (const auto* s : rig.signals().all()) {
    if (!s->fault) continue;
    faults.push_back(s);
    name_w = std::max(name_w, s->name.size());
  }
  const auto value_type = [](const Signal& s) {
    switch (s.type) {
      case SignalType::number:
        return s.unit.empty() ? std::string("number") : "number [" + s.unit + "]";
      case SignalType::boolean:
        return std::string("bool");
      case SignalType::choice:
        return std::string("choice");
      case SignalType::text:
        return std::string("text");
    }
    return std::string();
  };
  for (const auto* s : faults) type_w = std::max(type_w, value_type(*s).size());
  // Numbers in names in their numeric order: mains.h2_pct before mains.h10_pct.
  const auto natural_less = [](const std::string& a, const std::string& b) {
    std::size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
      if (std::isdigit(static_cast<unsigned char>(a[i])) &&
          std::isdigit(static_cast<unsigned char>(b[j]))) {
        std::size_t ie = i, je = j;
        while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie]))) ++ie;
        while (je < b.size() && std::isdigit(static_cast<unsigned char>(b[je]))) ++je;
        // Whole numbers without leading zeros: the shorter is the smaller.
        const std::string x = a.substr(i, ie - i), y = b.substr(j, je - j);
        if (x.size() != y.size()) return x.size() < y.size();
        if (x != y) return x < y;
        i = ie;
        j = je;
      } else {
        if (a[i] != b[j]) return a[i] < b[j];
        ++i;
        ++j;
      }
    }
    return a.size() - i < b.size() - j;
  };
  std::sort(faults.begin(), faults.end(),
            [&](const Signal* x, const Signal* y) { return natural_less(x->name, y->name); });
  std::cout << faults.size() << " faults" << (args.empty() ? "" : " in " + args[0] + "'s rig")
            << ". Set one in a step (set: { name: value }) or for a while (faults: [{ name, value, "
               "at, duration }]).\n";
  for (const char* group : kFaultGroups) {
    std::size_t count = 0;
    for (const auto* s : faults) count += s->group == group ? 1 : 0;
    if (count == 0) continue;
    std::cout << "\n" << group << " (" << count << ")\n";
    for (const auto* s : faults) {
      if (s->group != group) continue;
      std::cout << "  " << std::left << std::setw(static_cast<int>(name_w) + 2) << s->name
                << std::setw(static_cast<int>(type_w) + 2) << value_type(*s) << describe_range(*s)
                << "\n"
                << std::string(kIndent, ' ') << wrap(s->description, kIndent, kWidth);
    }
  }
  return 0;
}

int run_command(int argc, char* argv[]);

// Every command's output is its result: one that could not reach standard output in full (a
// full disk, a closed file) fails the command, whatever the command itself decided.
int dispatch(int argc, char* argv[]) {
  int code = run_command(argc, argv);
  std::cout.flush();
  errno = 0;
  if (std::fflush(stdout) != 0 || std::ferror(stdout) || !std::cout) {
    const std::string why = errno != 0 ? std::string(": ") + std::strerror(errno) : "";
    std::fprintf(stderr, "amprig: cannot write to standard output%s; what it shows is incomplete\n",
                 why.c_str());
    code = std::max(code, 1);
  }
  return code;
}

int run_command(int argc, char* argv[]) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string command = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  try {
    if (command == "run") return command_run(args);
    if (command == "sweep") return command_sweep(args, argv[0]);
    if (command == "replay") return command_replay(args);
    if (command == "shrink") return command_shrink(args, argv[0]);
    if (command == "report") return command_report(args);
    if (command == "signals") return command_signals(args, false);
    if (command == "faults") return command_signals(args, true);
    if (command == "bench") {
      BenchOptions options;
      options.source_dir = AMPRIG_SOURCE_DIR;
      // The smoke sweep of this build's source tree: 30 s runs of every base family.
      options.sweep_file = AMPRIG_SOURCE_DIR "/scenarios/sweeps/smoke.yaml";
      if (!fs::is_regular_file(options.sweep_file)) options.sweep_file.clear();
      options.jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
      for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--duration" && i + 1 < args.size()) {
          options.duration_s = seconds(args[++i]);
        } else if (args[i] == "--json" && i + 1 < args.size()) {
          options.json_path = args[++i];
        } else if (args[i] == "--sweep" && i + 1 < args.size()) {
          options.sweep_file = args[++i];
          if (options.sweep_file != "none" && !fs::is_regular_file(options.sweep_file)) {
            throw std::runtime_error(options.sweep_file + ": no such file");
          }
          if (options.sweep_file == "none") options.sweep_file.clear();
        } else if (args[i] == "-j" && i + 1 < args.size()) {
          options.jobs = jobs_option(args[++i]);
        } else if (args[i] == "--repeat" && i + 1 < args.size()) {
          options.repeat = std::atoi(args[++i].c_str());
          if (options.repeat < 1) return usage_error("bench: --repeat takes a positive number");
        } else if (args[i] == "--scale") {
          options.scale = true;
        } else if (args[i] == "--no-day") {
          options.solar_day = false;
        } else {
          return usage_error("bench: unknown option " + args[i]);
        }
      }
      if (options.duration_s <= 0) return usage_error("bench: --duration must be positive");
      return run_bench(options);
    }
    if (command == "help" || command == "--help" || command == "-h") {
      if (args.empty()) {
        std::fputs(kUsage, stdout);
        return 0;
      }
      if (args.size() == 1 && args[0] == "balancer") return command_help_balancer();
      if (args.size() == 1 && args[0] == "limits") return command_help_limits();
      return usage_error("help: unknown topic '" + args[0] + "' (topics: balancer, limits)");
    }
    return usage_error("unknown command '" + command + "'");
  } catch (const ScenarioError& e) {
    std::fprintf(stderr, "amprig: %s\n", e.what());
    return 1;
  } catch (const std::invalid_argument& e) {
    return usage_error(e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "amprig: %s\n", e.what());
    return 1;
  }
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  set_python_runner(&bindings::run_python_file);
  return dispatch(argc, argv);
}

// Our own main only to silence SystemC's banner, which the library decides on
// before sc_main runs; it would otherwise land in every scenario's output.
int main(int argc, char* argv[]) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}
