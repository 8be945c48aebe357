#include "cluster.h"

#include <pybind11/embed.h>
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <stdexcept>

namespace py = pybind11;

namespace amprig::bindings {

void run_on_cluster(const sweep::ClusterJob& job, const std::function<void(const std::string&)>& done,
                    const std::function<bool()>& stopping) {
  // Without Python's signal handlers: Ctrl-C reaches the sweep's own handler, which `stopping`
  // reports, so that the sweep ends the way a local one does.
  py::scoped_interpreter interpreter(false);
  std::string problem;
  try {
    py::module_::import("sys").attr("path").attr("insert")(0, AMPRIG_PYTHON_DIR);
    py::list runs;
    for (const auto& [id, digest] : job.runs) runs.append(py::make_tuple(id, digest));
    py::module_::import("amprig._cluster")
        .attr("run_sweep")(job.address, job.sweep_name, job.sweep_file, job.cwd, job.program,
                           job.timeout_s, runs, py::cpp_function(done), py::cpp_function(stopping));
  } catch (const py::error_already_set& e) {
    // A ClusterError says what went wrong in words; anything else keeps Python's own text.
    const bool worded = py::str(e.type().attr("__name__")).cast<std::string>() == "ClusterError";
    problem = worded ? py::str(e.value()).cast<std::string>() : std::string(e.what());
  }
  if (!problem.empty()) throw std::runtime_error(problem);
}

}  // namespace amprig::bindings
