#pragma once
// The `amprig` program's embedded interpreter: Python scenario files run in it, through pytest,
// with the same `amprig` module that /usr/bin/python3 imports.
#include <string>
#include <vector>

#include "report/result.h"

namespace amprig::bindings {

// Runs one Python scenario file; one result per scenario (test) in it. Starts the interpreter:
// once per process, which is how `amprig run` calls it (a process per file).
std::vector<ScenarioResult> run_python_file(const std::string& file);

// Runs `/usr/bin/python3 -m module args...` with this build's package first on its path and
// AMPRIG_PROGRAM naming this program, and waits for it: its exit code (127 when it cannot start).
int run_python_module(const std::string& module, const std::vector<std::string>& args);

}  // namespace amprig::bindings
