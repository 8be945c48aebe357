#include "core_module.h"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <filesystem>
#include <memory>

#include "scenario/scenario_config.h"
#include "session/rig_process.h"

namespace py = pybind11;

namespace amprig::bindings {
namespace {

// A Python value (dict, list, scalar) as a scenario tree; every node is placed at `where`, the
// Python line that gave it, so that errors name that line and the key.
// A numpy scalar (np.int64, np.float32, np.bool_, np.str_ ...) as the Python value it holds.
py::object native(const py::handle& obj) {
  if (py::hasattr(obj, "dtype") && py::hasattr(obj, "item") && !py::hasattr(obj, "__len__")) {
    return obj.attr("item")();
  }
  return py::reinterpret_borrow<py::object>(obj);
}

ConfigNode to_config(const py::handle& raw, const SourceRef& where, const std::string& path) {
  const py::object obj = native(raw);
  ConfigNode node;
  node.where = where;
  if (obj.is_none()) return node;
  if (py::isinstance<py::dict>(obj)) {
    node.type = ConfigNode::Type::map;
    for (const auto& [key, value] : py::reinterpret_borrow<py::dict>(obj)) {
      if (!py::isinstance<py::str>(key)) {
        throw ScenarioError(where, path, "keys must be strings, not " + std::string(py::str(py::repr(key))));
      }
      const std::string name = key.cast<std::string>();
      node.fields.emplace_back(name, to_config(value, where, path.empty() ? name : path + "." + name));
      node.key_refs.push_back(where);
    }
    return node;
  }
  if (py::isinstance<py::list>(obj) || py::isinstance<py::tuple>(obj)) {
    node.type = ConfigNode::Type::sequence;
    std::size_t i = 0;
    for (const auto& item : obj) {
      node.items.push_back(to_config(item, where, path + "[" + std::to_string(i++) + "]"));
    }
    return node;
  }
  node.type = ConfigNode::Type::scalar;
  if (py::isinstance<py::bool_>(obj)) {
    node.scalar = obj.cast<bool>() ? "true" : "false";
  } else if (py::isinstance<py::int_>(obj) || py::isinstance<py::float_>(obj)) {
    node.scalar = py::str(py::repr(obj));
  } else if (py::isinstance<py::str>(obj)) {
    node.scalar = obj.cast<std::string>();
  } else {
    throw ScenarioError(where, path,
                        "expected a dict, list, string, number or bool, not " +
                            std::string(py::str(obj.get_type().attr("__name__"))));
  }
  return node;
}

py::object to_python(const Value& v) {
  if (const auto* d = std::get_if<double>(&v)) return py::float_(*d);
  if (const auto* b = std::get_if<bool>(&v)) return py::bool_(*b);
  return py::str(std::get<std::string>(v));
}

Value from_python(const py::handle& raw, const std::string& name) {
  const py::object obj = native(raw);
  if (py::isinstance<py::bool_>(obj)) return obj.cast<bool>();
  if (py::isinstance<py::int_>(obj) || py::isinstance<py::float_>(obj)) return obj.cast<double>();
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
  return std::make_unique<RigProcess>(scenario);
}

std::unique_ptr<RigProcess> open_yaml(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) throw ScenarioError(SourceRef{path, 0}, "", "no such file");
  return std::make_unique<RigProcess>(load_scenario(path));
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
      .def("time_s", &RigProcess::time_s)
      .def("get", [](RigProcess& r, const std::string& name) { return to_python(r.get(name)); })
      .def("set", [](RigProcess& r, const std::string& name, const py::object& value) {
        r.set(name, from_python(value, name));
      })
      .def("signals",
           [](RigProcess& r) {
             py::list out;
             for (const auto& s : r.signals()) {
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
      .def("start_trace", &RigProcess::start_trace, py::arg("names"), py::arg("period_s"),
           py::arg("vcd_path"))
      .def("stop_trace", &RigProcess::stop_trace)
      .def("trace",
           [](RigProcess& r, int id) {
             const TraceData t = r.trace(id);
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
      .def("close", &RigProcess::close)
      .def_property_readonly("closed", &RigProcess::closed)
      .def_property_readonly("pid", &RigProcess::pid);
}

}  // namespace amprig::bindings
