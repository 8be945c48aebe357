#pragma once
// The model test programs' entry: SystemC owns main() and calls sc_main, which runs Boost.Test.
// A SystemC warning or error anywhere is a test failure. Included by a program's main file only,
// after BOOST_TEST_MODULE and BOOST_TEST_NO_MAIN.
#include <boost/test/unit_test.hpp>
#include <iostream>
#include <systemc>

namespace amprig::models::test {

inline int& reports_outside_tests() {
  static int count = 0;
  return count;
}

inline void report_to_boost(const sc_core::sc_report& report, const sc_core::sc_actions& actions) {
  if (report.get_severity() >= sc_core::SC_WARNING) {
    if (boost::unit_test::framework::test_in_progress()) {
      BOOST_ERROR("SystemC report: " << report.what());
    } else {
      std::cerr << "SystemC report outside a test: " << report.what() << '\n';
      ++reports_outside_tests();
    }
  }
  // Keeps SystemC's own actions, notably throwing on SC_ERROR so the model
  // code after the report does not run on.
  sc_core::sc_report_handler::default_handler(report, actions);
}

// sc_main's body: the tests, then a failure if SystemC complained outside them.
inline int run_tests(int argc, char* argv[]) {
  sc_core::sc_report_handler::set_handler(report_to_boost);
  const int result = boost::unit_test::unit_test_main(&init_unit_test, argc, argv);
  return result != 0 ? result : (reports_outside_tests() != 0 ? 1 : 0);
}

}  // namespace amprig::models::test
