// The test program's entry: SystemC owns main() and calls sc_main, which runs
// Boost.Test. A SystemC warning or error anywhere is a test failure.
#define BOOST_TEST_MODULE amprig_models
#define BOOST_TEST_NO_MAIN
#include <memory>

#include "systemc_reports.h"
#include "world.h"

namespace {

struct ModelsFixture {
  std::unique_ptr<amprig::models::test::World> world;

  void setup() {
    world = std::make_unique<amprig::models::test::World>();
    sc_core::sc_start(sc_core::SC_ZERO_TIME);  // elaborate: completes port binding
  }
  void teardown() { world.reset(); }
};

}  // namespace

BOOST_TEST_GLOBAL_FIXTURE(ModelsFixture);

int sc_main(int argc, char* argv[]) { return amprig::models::test::run_tests(argc, argv); }
