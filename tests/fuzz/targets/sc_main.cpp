// Debian's libsystemc brings a main() that calls sc_main(), and the library cannot be linked
// without one. libFuzzer's main() runs instead; the models' checks the decoders call need no
// simulation kernel, so this is never called.
#include <cstdlib>

extern "C" int sc_main(int, char*[]) { std::abort(); }
