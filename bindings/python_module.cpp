// `import amprig` from /usr/bin/python3 loads this extension as amprig._core.
#include "core_module.h"

// libsystemc refers to the user's sc_main; a module loaded into Python has none to give. Rigs
// here never go through sc_elab_and_sim, so this is never called.
extern "C" __attribute__((visibility("default"))) int sc_main(int, char*[]) { return 1; }

PYBIND11_MODULE(_core, m) { amprig::bindings::define_core(m); }
