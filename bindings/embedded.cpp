#include "embedded.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <pybind11/embed.h>
#include <pybind11/stl.h>

#include "core_module.h"

namespace py = pybind11;

extern char** environ;

PYBIND11_EMBEDDED_MODULE(_amprig_core, m) { amprig::bindings::define_core(m); }

namespace amprig::bindings {
namespace {

// A Python file runs in a process of its own (the tests' process) while this one watches it:
// the tests' process sends each test's result as it ends, so that whatever ends it (a timeout,
// a crash, os._exit) the results of the tests that finished are kept and the ones that did not
// are reported as such. The tests' process leads a process group of its own, so that the
// processes its tests start (subprocess.Popen, a Rig's process) end with it.

// Frames on the pipe from the tests' process: a kind, a length, the text. `done` comes last, once
// pytest has returned: without it the process ended early, whatever its exit code (os._exit(0)).
enum class Frame : char { planned = 'P', started = 'S', result = 'R', done = 'D' };

// How often the watcher looks whether the tests' process has ended, while no frame comes (a test
// may have forked a process that keeps the pipe open after the tests' process is gone).
constexpr int kWatchPeriodMs = 50;

bool write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

void send_frame(int fd, Frame kind, const std::string& text) {
  const auto n = static_cast<std::uint64_t>(text.size());
  std::string frame(1, static_cast<char>(kind));
  frame.append(reinterpret_cast<const char*>(&n), sizeof n);
  frame += text;
  write_all(fd, frame);
}

ScenarioResult::Outcome outcome_of(const std::string& text) {
  if (text == "passed") return ScenarioResult::Outcome::passed;
  if (text == "failed") return ScenarioResult::Outcome::failed;
  return ScenarioResult::Outcome::error;
}

ScenarioResult result_of(const py::handle& item) {
  const auto d = item.cast<py::dict>();
  ScenarioResult r;
  r.id = d["id"].cast<std::string>();
  r.file = d["file"].cast<std::string>();
  r.description = d["description"].cast<std::string>();
  r.outcome = outcome_of(d["outcome"].cast<std::string>());
  r.expectations = d["expectations"].cast<int>();
  r.error = d["error"].cast<std::string>();
  r.output = d["output"].cast<std::string>();
  r.sim_s = d["sim_s"].cast<double>();
  r.wall_s = d["wall_s"].cast<double>();
  for (const auto& f : d["failures"].cast<py::list>()) {
    const auto fd = f.cast<py::dict>();
    r.failures.push_back(Failure{fd["where"].cast<std::string>(), fd["signal"].cast<std::string>(),
                                 fd["expected"].cast<std::string>(), fd["actual"].cast<std::string>(),
                                 fd["time_s"].cast<double>(), fd["message"].cast<std::string>()});
  }
  r.failed = static_cast<int>(r.failures.size());
  return r;
}

ScenarioResult file_error(const std::string& file, const std::string& error) {
  ScenarioResult r;
  std::error_code ec;
  r.file = std::filesystem::absolute(file, ec).string();  // as the results from pytest name it
  r.id = std::filesystem::path(file).stem().string();
  r.outcome = ScenarioResult::Outcome::error;
  r.error = error;
  return r;
}

// The watcher's parent may kill it (a Ctrl-C, its own timeout) before it can end the tests'
// process group; the tests' process learns of it by this signal and takes its group down.
const int kWatcherGoneSignal = SIGRTMIN + 3;

void on_watcher_gone(int) { kill(0, SIGKILL); }

// The tests' process: runs the file through pytest and sends each event to `fd`. Never returns.
[[noreturn]] void run_tests(const std::string& file, int fd) {
  const pid_t self = getpid();
  {
    py::scoped_interpreter interpreter;
    try {
      // The package next to the build's extension module; ahead of any other `amprig` on the path.
      py::module_::import("sys").attr("path").attr("insert")(0, AMPRIG_PYTHON_DIR);
      // A test may fork (os.fork, multiprocessing): only this process reports.
      const py::cpp_function emit([fd, self](const std::string& kind, const py::object& payload) {
        if (getpid() != self) return;
        if (kind == "planned") {
          for (const auto& id : payload) send_frame(fd, Frame::planned, id.cast<std::string>());
        } else if (kind == "started") {
          send_frame(fd, Frame::started, payload.cast<std::string>());
        } else {
          send_frame(fd, Frame::result, serialise(result_of(payload)));
        }
      });
      py::module_::import("amprig._runner").attr("run_file")(file, emit);
    } catch (const py::error_already_set& e) {
      if (getpid() == self) {
        send_frame(fd, Frame::result, serialise(file_error(file, file + ": " + e.what())));
      }
    }
    // A process a test forked that returned into pytest ends here, having reported nothing.
    if (getpid() != self) _exit(0);
    send_frame(fd, Frame::done, "");
    try {
      py::module_::import("sys").attr("stdout").attr("flush")();
      py::module_::import("sys").attr("stderr").attr("flush")();
    } catch (const py::error_already_set&) {
    }
    std::fflush(nullptr);
    // Straight out, without the interpreter's teardown: a thread a test left running would keep
    // it waiting, and every result has been sent.
    _exit(0);
  }
}

volatile sig_atomic_t g_alarm = 0;
void on_alarm(int) { g_alarm = 1; }

struct Watched {
  std::vector<std::string> planned;
  std::string running;  // started and not yet finished
  std::chrono::steady_clock::time_point running_since;
  std::vector<ScenarioResult> results;
  bool done = false;
};

// Takes the complete frames at the front of `buffer`.
void take_frames(std::string& buffer, Watched& w) {
  constexpr std::size_t kHead = 1 + sizeof(std::uint64_t);
  std::size_t pos = 0;
  while (buffer.size() - pos >= kHead) {
    std::uint64_t n = 0;
    std::memcpy(&n, buffer.data() + pos + 1, sizeof n);
    if (buffer.size() - pos - kHead < n) break;
    const auto kind = static_cast<Frame>(buffer[pos]);
    std::string text = buffer.substr(pos + kHead, n);
    pos += kHead + n;
    if (kind == Frame::planned) {
      w.planned.push_back(std::move(text));
    } else if (kind == Frame::done) {
      w.done = true;
    } else if (kind == Frame::started) {
      w.running = std::move(text);
      w.running_since = std::chrono::steady_clock::now();
    } else {
      ScenarioResult r;
      if (deserialise(text, &r)) {
        if (r.id == w.running) w.running.clear();
        w.results.push_back(std::move(r));
      }
    }
  }
  buffer.erase(0, pos);
}

// The wall-clock limit the caller set with alarm() (run_in_processes does), in whole seconds;
// 0 if none.
int alarm_limit_s() {
  itimerval t{};
  getitimer(ITIMER_REAL, &t);
  const double left_s = static_cast<double>(t.it_value.tv_sec) + t.it_value.tv_usec * 1e-6;
  return static_cast<int>(std::ceil(left_s));
}

std::string ended_how(const siginfo_t& info) {
  if (info.si_code == CLD_EXITED) return "exit code " + std::to_string(info.si_status);
  return strsignal(info.si_status);
}

}  // namespace

std::vector<ScenarioResult> run_python_file(const std::string& file) {
  const int limit_s = alarm_limit_s();
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return {file_error(file, file + ": cannot make a pipe: " + std::strerror(errno))};
  }
  const pid_t watcher = getpid();
  std::fflush(nullptr);
  const pid_t tests = fork();
  if (tests < 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return {file_error(file, file + ": cannot start a process: " + std::strerror(errno))};
  }
  if (tests == 0) {
    setpgid(0, 0);
    // The caller's handlers (a test framework's crash handler, the watcher's alarm) are not the
    // tests': a crash must end this process with its signal, for the watcher to name.
    for (const int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGALRM, SIGTERM, SIGINT}) {
      signal(sig, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(kWatcherGoneSignal, on_watcher_gone);
    prctl(PR_SET_PDEATHSIG, kWatcherGoneSignal);
    if (getppid() != watcher) on_watcher_gone(0);
    // A test that reads standard input gets an end of file, not the terminal of a process group
    // that is not in the foreground.
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    ::close(pipe_fds[0]);
    run_tests(file, pipe_fds[1]);
  }
  // Both sides set the group, so that it exists before either relies on it.
  setpgid(tests, tests);
  ::close(pipe_fds[1]);
  struct sigaction alarm_action {};
  struct sigaction previous_alarm {};
  alarm_action.sa_handler = on_alarm;  // no SA_RESTART: the wait below wakes
  g_alarm = 0;
  sigaction(SIGALRM, &alarm_action, &previous_alarm);

  Watched w;
  std::string buffer;
  bool timed_out = false;
  bool open = true;
  siginfo_t ended{};
  for (;;) {
    if (g_alarm) {
      timed_out = true;
      break;
    }
    if (open) {
      pollfd p{pipe_fds[0], POLLIN, 0};
      const int ready = poll(&p, 1, kWatchPeriodMs);
      if (ready > 0) {
        char chunk[65536];
        const ssize_t n = ::read(pipe_fds[0], chunk, sizeof chunk);
        if (n > 0) {
          buffer.append(chunk, static_cast<std::size_t>(n));
          take_frames(buffer, w);
          continue;
        }
        if (n == 0) open = false;
      }
    } else {
      poll(nullptr, 0, kWatchPeriodMs);
    }
    // Ended (kept a zombie, so that its process group's number stays its own until it is reaped).
    siginfo_t info{};
    if (waitid(P_PID, static_cast<id_t>(tests), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        info.si_pid == tests) {
      ended = info;
      // What it wrote before it ended.
      for (;;) {
        char chunk[65536];
        pollfd p{pipe_fds[0], POLLIN, 0};
        if (!open || poll(&p, 1, 0) <= 0) break;
        const ssize_t n = ::read(pipe_fds[0], chunk, sizeof chunk);
        if (n <= 0) break;
        buffer.append(chunk, static_cast<std::size_t>(n));
      }
      take_frames(buffer, w);
      break;
    }
  }
  // Whatever the tests left running ends with them.
  kill(-tests, SIGKILL);
  while (waitpid(tests, nullptr, 0) < 0 && errno == EINTR) {
  }
  ::close(pipe_fds[0]);
  sigaction(SIGALRM, &previous_alarm, nullptr);

  const bool clean = w.done && !timed_out && ended.si_code == CLD_EXITED && ended.si_status == 0;
  if (clean) {
    if (w.results.empty()) w.results.push_back(file_error(file, file + ": no scenario in it"));
    return w.results;
  }
  std::string how = "crashed: " + ended_how(ended);
  if (timed_out) {
    how = "timed out after " + std::to_string(limit_s) + " s";
  } else if (ended.si_code == CLD_EXITED) {
    how = "the file's process ended (" + ended_how(ended) + ")";
  }
  std::vector<ScenarioResult> out = std::move(w.results);
  if (!w.running.empty()) {
    ScenarioResult r = file_error(file, how + " in this test");
    r.id = w.running;
    const auto since = std::chrono::steady_clock::now() - w.running_since;
    r.wall_s = std::chrono::duration<double>(since).count();
    out.push_back(std::move(r));
  } else if (w.planned.empty()) {
    out.push_back(file_error(file, file + ": " + how + " while loading the file"));
  } else if (out.size() >= w.planned.size()) {
    out.push_back(file_error(file, file + ": " + how + " after its tests"));
  }
  // The tests it had not reached.
  for (const auto& id : w.planned) {
    const bool reported =
        std::any_of(out.begin(), out.end(), [&](const ScenarioResult& r) { return r.id == id; });
    if (reported) continue;
    ScenarioResult r =
        file_error(file, "not run: " + how + (w.running.empty() ? "" : " in " + w.running));
    r.id = id;
    out.push_back(std::move(r));
  }
  return out;
}

int run_python_module(const std::string& module, const std::vector<std::string>& args) {
  std::vector<std::string> env_text;
  std::string pythonpath = AMPRIG_PYTHON_DIR;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    if (entry.rfind("PYTHONPATH=", 0) == 0) {
      pythonpath += ":" + entry.substr(11);
    } else if (entry.rfind("AMPRIG_PROGRAM=", 0) != 0) {
      env_text.push_back(entry);
    }
  }
  std::error_code ec;
  env_text.push_back("PYTHONPATH=" + pythonpath);
  env_text.push_back("AMPRIG_PROGRAM=" +
                     std::filesystem::read_symlink("/proc/self/exe", ec).string());
  std::vector<std::string> argv_text = {"/usr/bin/python3", "-m", module};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv, envp;
  for (auto& a : argv_text) argv.push_back(a.data());
  for (auto& e : env_text) envp.push_back(e.data());
  argv.push_back(nullptr);
  envp.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), envp.data()) != 0) return 127;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 127;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace amprig::bindings
