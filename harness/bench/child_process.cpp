#include "bench/child_process.h"

#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <sstream>

namespace amprig {
namespace {

void write_all(int fd, const std::string& text) {
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

// The child writes "ok" and the work's lines, or "error" and the exception's message.
ChildOutcome run_text_in_child(const std::function<std::vector<std::string>()>& work) {
  ChildOutcome outcome;
  int fds[2];
  if (pipe(fds) != 0) {
    outcome.error = std::string("pipe: ") + std::strerror(errno);
    return outcome;
  }
  std::fflush(nullptr);  // nothing buffered here is printed twice
  const pid_t pid = fork();
  if (pid < 0) {
    outcome.error = std::string("fork: ") + std::strerror(errno);
    close(fds[0]);
    close(fds[1]);
    return outcome;
  }
  if (pid == 0) {
    close(fds[0]);
    std::string text = "ok\n";
    int code = 0;
    try {
      for (const std::string& line : work()) text += line + "\n";
    } catch (const std::exception& e) {
      text = std::string("error\n") + e.what() + "\n";
      code = 1;
    }
    write_all(fds[1], text);
    close(fds[1]);
    std::fflush(nullptr);
    _exit(code);
  }
  close(fds[1]);
  std::string all;
  char buffer[4096];
  for (ssize_t n; (n = read(fds[0], buffer, sizeof buffer)) > 0;) {
    all.append(buffer, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::istringstream in(all);
  std::string line;
  std::getline(in, line);
  if (line == "ok") {
    while (std::getline(in, line)) outcome.lines.push_back(line);
    outcome.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!outcome.ok) outcome.error = "the child did not exit cleanly";
  } else if (line == "error") {
    std::getline(in, outcome.error, '\0');
    while (!outcome.error.empty() && outcome.error.back() == '\n') outcome.error.pop_back();
  } else if (WIFSIGNALED(status)) {
    outcome.error = std::string("the child died: ") + strsignal(WTERMSIG(status));
  } else {
    outcome.error = "the child ended without a result";
  }
  return outcome;
}

}  // namespace

ChildOutcome run_lines_in_child(const std::function<std::vector<std::string>()>& work) {
  return run_text_in_child(work);
}

ChildOutcome run_in_child(const std::function<std::vector<double>()>& work) {
  ChildOutcome outcome = run_text_in_child([&] {
    // Hexadecimal floating point: every value comes back bit for bit.
    std::vector<std::string> lines;
    char number[64];
    for (double v : work()) {
      std::snprintf(number, sizeof number, "%a", v);
      lines.emplace_back(number);
    }
    return lines;
  });
  for (const std::string& line : outcome.lines) {
    outcome.values.push_back(std::strtod(line.c_str(), nullptr));
  }
  outcome.lines.clear();
  return outcome;
}

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace amprig
