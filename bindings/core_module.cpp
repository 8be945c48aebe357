#include "core_module.h"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <utility>
#include <vector>

#include "scenario/limits.h"
#include "scenario/scenario_config.h"
#include "session/rig_process.h"
#include "sweep/results.h"

namespace py = pybind11;

namespace amprig::bindings {
namespace {

// A numpy scalar (np.int64, np.float32, np.bool_, np.str_ ...) as the Python value it holds.
py::object native(const py::handle& obj) {
  if (py::hasattr(obj, "dtype") && py::hasattr(obj, "item") && !py::hasattr(obj, "__len__")) {
    return obj.attr("item")();
  }
  return py::reinterpret_borrow<py::object>(obj);
}

std::string type_name(const py::handle& obj) {
  return py::str(obj.get_type().attr("__name__"));
}

// A Python value (dict, list, scalar) as a scenario tree; every node is placed at `where`, the
// Python line that gave it, so that errors name that line and the key. A dict or list that
// contains itself, or nests deeper than kMaxConfigDepth, is a ScenarioError.
class ConfigConverter {
 public:
  explicit ConfigConverter(SourceRef where) : m_where(std::move(where)) {}

  ConfigNode convert(const py::handle& raw, const std::string& path) {
    const py::object obj = native(raw);
    ConfigNode node;
    node.where = m_where;
    if (obj.is_none()) return node;
    const bool map = py::isinstance<py::dict>(obj);
    if (map || py::isinstance<py::list>(obj) || py::isinstance<py::tuple>(obj)) {
      enter(obj, path);
      if (map) {
        node.type = ConfigNode::Type::map;
        for (const auto& [key, value] : py::reinterpret_borrow<py::dict>(obj)) {
          if (!py::isinstance<py::str>(key)) {
            throw ScenarioError(m_where, path,
                                "keys must be strings, not " + std::string(py::str(py::repr(key))));
          }
          const std::string name = key.cast<std::string>();
          node.fields.emplace_back(name, convert(value, path.empty() ? name : path + "." + name));
          node.key_refs.push_back(m_where);
        }
      } else {
        node.type = ConfigNode::Type::sequence;
        std::size_t i = 0;
        for (const auto& item : obj) {
          node.items.push_back(convert(item, path + "[" + std::to_string(i++) + "]"));
        }
      }
      m_open.pop_back();
      return node;
    }
    node.type = ConfigNode::Type::scalar;
    if (py::isinstance<py::bool_>(obj)) {
      node.scalar = obj.cast<bool>() ? "true" : "false";
    } else if (py::isinstance<py::int_>(obj) || py::isinstance<py::float_>(obj)) {
      // Python's int has no bound; one beyond a double's range (or too long to print) is no
      // quantity a rig has.
      const double v = PyFloat_AsDouble(obj.ptr());
      if (PyErr_Occurred()) {
        PyErr_Clear();
        throw ScenarioError(m_where, path, "the number is too large (beyond a double's range)");
      }
      if (!std::isfinite(v)) {
        throw ScenarioError(m_where, path,
                            "expected a finite number, not " + std::string(py::str(py::repr(obj))));
      }
      node.scalar = py::str(py::repr(obj));
    } else if (py::isinstance<py::str>(obj)) {
      node.scalar = obj.cast<std::string>();
    } else {
      throw ScenarioError(m_where, path,
                          "expected a dict, list, string, number or bool, not " + type_name(obj));
    }
    return node;
  }

 private:
  void enter(const py::object& container, const std::string& path) {
    for (const auto& [open, open_path] : m_open) {
      if (open == container.ptr()) {
        const std::string first = open_path.empty() ? "the whole configuration" : "'" + open_path + "'";
        throw ScenarioError(m_where, path,
                            "the configuration contains itself: this " + type_name(container) +
                                " is " + first + " again");
      }
    }
    // The same nesting limit as a YAML file's: following a runaway structure down would
    // exhaust the stack.
    if (m_open.size() >= kMaxConfigDepth) {
      throw ScenarioError(m_where, path,
                          "the configuration nests deeper than " + std::to_string(kMaxConfigDepth) +
                              " levels of dicts and lists");
    }
    m_open.emplace_back(container.ptr(), path);
  }

  SourceRef m_where;
  // The dicts and lists being converted, outermost first, with their paths.
  std::vector<std::pair<const PyObject*, std::string>> m_open;
};

ConfigNode to_config(const py::handle& raw, const SourceRef& where, const std::string& path) {
  return ConfigConverter(where).convert(raw, path);
}

py::object to_python(const Value& v) {
  if (const auto* d = std::get_if<double>(&v)) return py::float_(*d);
  if (const auto* b = std::get_if<bool>(&v)) return py::bool_(*b);
  return py::str(std::get<std::string>(v));
}

Value from_python(const py::handle& raw, const std::string& name) {
  const py::object obj = native(raw);
  if (py::isinstance<py::bool_>(obj)) return obj.cast<bool>();
  if (py::isinstance<py::int_>(obj) || py::isinstance<py::float_>(obj)) {
    const double v = PyFloat_AsDouble(obj.ptr());
    if (PyErr_Occurred()) {
      PyErr_Clear();
      throw std::invalid_argument(name + " takes a number, not an integer beyond a double's range");
    }
    return v;
  }
  if (py::isinstance<py::str>(obj)) return obj.cast<std::string>();
  throw std::invalid_argument(name + " takes a number, a bool or a string, not " +
                              std::string(py::str(obj.get_type().attr("__name__"))));
}

py::dict failure_dict(const Failure& f) {
  py::dict d;
  d["where"] = f.where;
  d["signal"] = f.signal;
  d["expected"] = f.expected;
  d["actual"] = f.actual;
  d["time_s"] = f.time_s;
  d["message"] = f.message;
  return d;
}

// A long wait for the rig without the GIL, so that other Python threads run; a signal whose
// Python handler raises (Ctrl-C) stops the wait: the rig is closed and the handler's exception
// goes up. Python runs signal handlers on the main thread only.
class InterruptibleWait {
 public:
  InterruptibleWait() : m_check([] {
      py::gil_scoped_acquire gil;
      return PyErr_CheckSignals() != 0;
    }) {
    RigProcess::set_interrupt_check(&m_check);
  }
  ~InterruptibleWait() { RigProcess::set_interrupt_check(nullptr); }
  InterruptibleWait(const InterruptibleWait&) = delete;
  InterruptibleWait& operator=(const InterruptibleWait&) = delete;

 private:
  std::function<bool()> m_check;
  py::gil_scoped_release m_release;
};

Step::Kind step_kind(const std::string& kind) {
  if (kind == "at") return Step::Kind::at;
  if (kind == "within") return Step::Kind::within;
  if (kind == "during") return Step::Kind::during;
  throw std::invalid_argument("kind is at, within or during, not '" + kind + "'");
}

std::unique_ptr<RigProcess> open_config(const py::object& config, const std::string& file,
                                        int line, const std::string& base_dir) {
  const ConfigNode root = to_config(config, SourceRef{file, line}, "");
  if (!root.is_map()) throw ScenarioError(SourceRef{file, line}, "", "the rig's configuration must be a dict");
  const Scenario scenario = scenario_from_config(root, file, base_dir);
  const py::gil_scoped_release release;  // while the rig's process starts and builds the rig
  return std::make_unique<RigProcess>(scenario);
}

std::unique_ptr<RigProcess> open_yaml(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) throw ScenarioError(SourceRef{path, 0}, "", "no such file");
  const Scenario scenario = load_scenario(path);
  const py::gil_scoped_release release;
  return std::make_unique<RigProcess>(scenario);
}

// Every call that waits for the rig's process does so without the GIL: another thread may hold
// the rig's lock (in a long run) and needs the GIL to finish its own call.
template <typename F>
auto without_gil(F&& work) {
  const py::gil_scoped_release release;
  return work();
}

}  // namespace

void define_core(py::module_& m) {
  m.doc() = "AmpRig's rig behind Python: each RigProcess is a rig in a process of its own.";

  static py::exception<ScenarioError> scenario_error(m, "ScenarioError", PyExc_ValueError);
  static py::exception<RigProcessError> rig_error(m, "RigProcessError", PyExc_RuntimeError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ScenarioError& e) {
      scenario_error(e.what());
    } catch (const RigProcessError& e) {
      rig_error(e.what());
    } catch (const std::out_of_range& e) {
      PyErr_SetString(PyExc_KeyError, e.what());
    }
  });

  py::class_<RigProcess>(m, "RigProcess")
      .def_static("open_yaml", &open_yaml, py::arg("path"))
      .def_static("open_config", &open_config, py::arg("config"), py::arg("file"), py::arg("line"),
                  py::arg("base_dir"))
      .def("run",
           [](RigProcess& r, double seconds) {
             std::vector<Failure> failed;
             bool interrupted = false;
             {
               InterruptibleWait wait;
               try {
                 r.run(seconds);
               } catch (const ExpectationFailed& e) {
                 failed = e.failures();
               } catch (const RigInterrupted&) {
                 interrupted = true;
               }
             }
             if (interrupted) throw py::error_already_set();  // the signal handler's exception
             py::list out;
             for (const auto& f : failed) out.append(failure_dict(f));
             return out;
           },
           "Advances time; returns the failures of the scenario file's own steps in that span.")
      .def("time_s", [](RigProcess& r) { return without_gil([&] { return r.time_s(); }); })
      .def("get", [](RigProcess& r, const std::string& name) {
        return to_python(without_gil([&] { return r.get(name); }));
      })
      .def("set", [](RigProcess& r, const std::string& name, const py::object& value) {
        const Value v = from_python(value, name);
        without_gil([&] {
          r.set(name, v);
          return 0;
        });
      })
      .def("signals",
           [](RigProcess& r) {
             py::list out;
             for (const auto& s : without_gil([&] { return r.signals(); })) {
               py::dict d;
               d["name"] = s.name;
               d["type"] = s.type;
               d["kind"] = s.kind == SignalType::number    ? "number"
                           : s.kind == SignalType::boolean ? "bool"
                           : s.kind == SignalType::choice  ? "choice"
                                                           : "text";
               d["unit"] = s.unit;
               d["choices"] = s.choices;
               d["settable"] = s.settable;
               d["fault"] = s.fault;
               d["description"] = s.description;
               out.append(d);
             }
             return out;
           })
      .def("start_trace",
           [](RigProcess& r, const std::vector<std::string>& names, double period_s,
              const std::string& vcd_path) {
             return without_gil([&] { return r.start_trace(names, period_s, vcd_path); });
           },
           py::arg("names"), py::arg("period_s"), py::arg("vcd_path"))
      .def("stop_trace",
           [](RigProcess& r, int id) {
             without_gil([&] {
               r.stop_trace(id);
               return 0;
             });
           })
      .def("trace",
           [](RigProcess& r, int id) {
             const TraceData t = without_gil([&] { return r.trace(id); });
             py::dict values;
             for (std::size_t i = 0; i < t.names.size(); ++i) {
               if (t.types[i] == SignalType::number) {
                 values[py::str(t.names[i])] = py::array_t<double>(
                     static_cast<py::ssize_t>(t.numbers[i].size()), t.numbers[i].data());
               } else if (t.types[i] == SignalType::boolean) {
                 py::array_t<bool> a(static_cast<py::ssize_t>(t.numbers[i].size()));
                 auto view = a.mutable_unchecked<1>();
                 for (std::size_t k = 0; k < t.numbers[i].size(); ++k) {
                   view(static_cast<py::ssize_t>(k)) = t.numbers[i][k] != 0;
                 }
                 values[py::str(t.names[i])] = a;
               } else {
                 values[py::str(t.names[i])] =
                     py::module_::import("numpy").attr("array")(t.texts[i], "str");
               }
             }
             py::dict out;
             out["time_s"] = py::array_t<double>(static_cast<py::ssize_t>(t.time_s.size()), t.time_s.data());
             out["values"] = values;
             out["names"] = t.names;
             return out;
           })
      .def("check",
           [](RigProcess& r, const std::string& signal, const py::object& spec,
              const std::string& kind, double window_s, const std::string& file,
              int line) -> py::object {
             const SourceRef where{file, line};
             const Expectation e = decode_expectation(signal, to_config(spec, where, "expect." + signal),
                                                      where, "expect." + signal);
             CheckOutcome o;
             bool interrupted = false;
             {
               InterruptibleWait wait;
               try {
                 o = r.check(e, step_kind(kind), window_s);
               } catch (const RigInterrupted&) {
                 interrupted = true;
               }
             }
             if (interrupted) throw py::error_already_set();
             if (o.held) return py::none();
             return failure_dict(o.failure);
           },
           py::arg("signal"), py::arg("spec"), py::arg("kind"), py::arg("window_s"),
           py::arg("file"), py::arg("line"),
           "Checks an expectation (`spec` as in a YAML expect entry); returns None if it held, "
           "else the failure.")
      .def("close",
           [](RigProcess& r) {
             without_gil([&] {
               r.close();
               return 0;
             });
           })
      .def("check_owner", &RigProcess::check_owner,
           "Raises RigProcessError unless this is the process that built the rig.")
      .def_property_readonly("closed", &RigProcess::closed)
      .def_property_readonly("pid", &RigProcess::pid);

  // The limits the package checks arguments against, from where the rig defines them.
  m.attr("max_sim_time_ns") = kMaxSimTimeNs;
  m.attr("max_sim_time_text") = max_sim_time_text();
  m.attr("max_config_depth") = kMaxConfigDepth;
  m.attr("max_damaged_warnings") = sweep::kMaxDamagedWarnings;
  m.def("duration_problem", &duration_problem, py::arg("seconds"), py::arg("what"),
        "Why `seconds` is no duration the rig can run, in words naming `what`; None if it is one.");
  m.def("end_problem", &end_problem, py::arg("now_s"), py::arg("seconds"), py::arg("what"),
        "Why a span of `seconds` from `now_s` would end beyond the simulator's range; None if "
        "not.");
}

}  // namespace amprig::bindings
