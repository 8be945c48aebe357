#pragma once
// The one binding layer: the `_core` module that `import amprig` loads from /usr/bin/python3, and
// that the `amprig` program builds into its embedded interpreter. The Python package `amprig`
// (bindings/amprig/) gives it its public face.
#include <pybind11/pybind11.h>

namespace amprig::bindings {

void define_core(pybind11::module_& m);

}  // namespace amprig::bindings
