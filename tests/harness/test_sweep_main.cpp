// Boost.Test owns main; SystemC's library still wants an sc_main to link.
#define BOOST_TEST_MODULE amprig_sweep
#include <boost/test/unit_test.hpp>
#include <cstdlib>

extern "C" int sc_main(int, char*[]) { return 0; }

namespace {
// SystemC prints its banner when the first design is built, in the processes these tests fork.
const int kQuietBanner = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
}  // namespace
