#pragma once
// What the sweep tests share: a folder of their own with small base scenarios, and the amprig
// program run as a child process, as CI runs it.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "temp_file.h"

namespace sweep_test {

namespace fs = std::filesystem;

using ::slurp;

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

// A folder removed when the test ends, with two base scenarios in it: b1 (20 s, three 10 A
// loads, expectations and a set at 5 s) and b2 (12 s, one 6 A load).
class SweepFolder {
 public:
  explicit SweepFolder(const std::string& name)
      : m_dir(fs::temp_directory_path() /
              ("amprig-sweep-test-" + std::to_string(getpid()) + "-" + name)) {
    fs::remove_all(m_dir);
    fs::create_directories(m_dir / "bases");
    write("bases/b1.yaml", R"(scenario: b1
description: three 10 A loads
seed: 4
plant:
  loads:
    - { name: heater, phases: [L1, L2, L3], current_a: 10 }
steps:
  - at: 3s
    expect: { led.current: green, meter.L1.current_a: { value: plant.L1.current_a, tolerance_pct: 2 } }
  - at: 5s
    set: { loads.heater.current_a: 8 }
  - at: 20s
    expect: { led.voltage: green }
)");
    write("bases/b2.yaml", R"(description: one 6 A load on L2
plant:
  loads:
    - { name: kettle, phases: [L2], current_a: 6 }
steps:
  - at: 12s
    expect: { led.logo: on }
)");
  }
  ~SweepFolder() { fs::remove_all(m_dir); }
  SweepFolder(const SweepFolder&) = delete;
  SweepFolder& operator=(const SweepFolder&) = delete;

  std::string write(const std::string& name, const std::string& text) const {
    const fs::path p = m_dir / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  std::string path(const std::string& name) const { return (m_dir / name).string(); }

 private:
  fs::path m_dir;
};

struct ProgramResult {
  int code = -1;
  std::string output;  // stdout and stderr together
};

// Starts `amprig args...` with its output into `output_path`; returns its pid.
inline pid_t start_program(const std::vector<std::string>& args, const std::string& output_path,
                           const std::vector<std::string>& env = {}) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open(output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    // Only what the test asks for: the hooks, say, never come from the caller's environment.
    unsetenv("AMPRIG_TEST_HOOKS");
    for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> argv;
    std::string program = AMPRIG_PROGRAM;
    argv.push_back(program.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(program.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

inline ProgramResult run_program(const std::vector<std::string>& args,
                                 const std::vector<std::string>& env = {}) {
  char name[] = "/tmp/amprig-sweep-out-XXXXXX";
  const int fd = mkstemp(name);
  close(fd);
  const pid_t pid = start_program(args, name, env);
  int status = 0;
  waitpid(pid, &status, 0);
  ProgramResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.output = slurp(name);
  std::remove(name);
  return r;
}

}  // namespace sweep_test
