// The test program's entry: SystemC owns main() and calls sc_main, which runs
// Boost.Test. A SystemC warning or error anywhere is a test failure.
#define BOOST_TEST_MODULE amprig_models
#define BOOST_TEST_NO_MAIN
#include <boost/test/unit_test.hpp>
#include <iostream>
#include <memory>
#include <systemc>

#include "world.h"

namespace {

int g_reports_outside_tests = 0;

void report_to_boost(const sc_core::sc_report& report, const sc_core::sc_actions& actions) {
  if (report.get_severity() >= sc_core::SC_WARNING) {
    if (boost::unit_test::framework::test_in_progress()) {
      BOOST_ERROR("SystemC report: " << report.what());
    } else {
      std::cerr << "SystemC report outside a test: " << report.what() << '\n';
      ++g_reports_outside_tests;
    }
  }
  // Keeps SystemC's own actions, notably throwing on SC_ERROR so the model
  // code after the report does not run on.
  sc_core::sc_report_handler::default_handler(report, actions);
}

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

int sc_main(int argc, char* argv[]) {
  sc_core::sc_report_handler::set_handler(report_to_boost);
  const int result = boost::unit_test::unit_test_main(&init_unit_test, argc, argv);
  return result != 0 ? result : (g_reports_outside_tests != 0 ? 1 : 0);
}
