#include "embedded.h"

#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <pybind11/embed.h>
#include <pybind11/stl.h>

#include "core_module.h"

namespace py = pybind11;

extern char** environ;

PYBIND11_EMBEDDED_MODULE(_amprig_core, m) { amprig::bindings::define_core(m); }

namespace amprig::bindings {
namespace {

ScenarioResult::Outcome outcome_of(const std::string& text) {
  if (text == "passed") return ScenarioResult::Outcome::passed;
  if (text == "failed") return ScenarioResult::Outcome::failed;
  return ScenarioResult::Outcome::error;
}

}  // namespace

std::vector<ScenarioResult> run_python_file(const std::string& file) {
  py::scoped_interpreter interpreter;
  std::vector<ScenarioResult> results;
  try {
    // The package next to the build's extension module; ahead of any other `amprig` on the path.
    py::module_::import("sys").attr("path").attr("insert")(0, AMPRIG_PYTHON_DIR);
    const py::list got = py::module_::import("amprig._runner").attr("run_file")(file);
    for (const auto& item : got) {
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
      results.push_back(std::move(r));
    }
  } catch (const py::error_already_set& e) {
    ScenarioResult r;
    r.file = file;
    r.id = file;
    r.outcome = ScenarioResult::Outcome::error;
    r.error = file + ": " + e.what();
    results.push_back(std::move(r));
  }
  return results;
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
