// Python scenario files run through the embedded interpreter, by the same entry point as
// `amprig run`: run_scenarios() forks a process per file, and the Python runner set here turns each
// test of the file into a ScenarioResult. The files are in data/; what they configure (a resistive
// load of I A on a 230 V phase carries I A and 230 I W) and the lines marked in them are the
// references.
#define BOOST_TEST_MODULE amprig_bindings
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "embedded.h"
#include "scenario/run.h"

// Boost.Test owns main; SystemC's library still wants an sc_main to link. amprig_embedded has
// none (the `amprig` program defines its own).
extern "C" int sc_main(int, char*[]) { return 0; }

using namespace amprig;

BOOST_TEST_DONT_PRINT_LOG_VALUE(amprig::ScenarioResult::Outcome)

namespace {

// SystemC's banner would land in every scenario's output.
const int kQuietBanner = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);

const std::string kData = AMPRIG_BINDINGS_TEST_DATA;

std::string data(const std::string& name) { return kData + "/" + name; }

// The line of `file` that holds `marker` (exactly one).
int line_of(const std::string& file, const std::string& marker) {
  std::ifstream in(file);
  BOOST_REQUIRE_MESSAGE(in, "cannot read " + file);
  int found = 0, count = 0, number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.find(marker) != std::string::npos) {
      found = number;
      ++count;
    }
  }
  BOOST_REQUIRE_MESSAGE(count == 1, marker + " is not on exactly one line of " + file);
  return found;
}

std::vector<ScenarioResult> run_python(const std::vector<std::string>& files, int jobs = 1) {
  set_python_runner(&bindings::run_python_file);
  RunOptions options;
  options.jobs = jobs;
  options.timeout_s = 120;
  return run_scenarios(files, options, {});
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_passing_file_passes_with_its_id_checks_and_simulated_time) {
  const std::string file = data("scenario_pass.py");
  const auto results = run_python({file});
  BOOST_REQUIRE_EQUAL(results.size(), 1u);
  const ScenarioResult& r = results[0];
  BOOST_TEST_INFO("error: " << r.error << "\noutput: " << r.output);
  BOOST_TEST(r.outcome == ScenarioResult::Outcome::passed);
  BOOST_TEST(r.id == "scenario_pass");  // a module-level scenario() takes the file's name
  BOOST_TEST(r.file == file);
  BOOST_TEST(r.description == "Ten amperes on each phase.");
  BOOST_TEST(r.expectations == 3);
  BOOST_TEST(r.sim_s == 1.5, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(r.failed == 0);
  BOOST_TEST(r.failures.empty());
  BOOST_TEST(r.error.empty());
  BOOST_TEST(r.wall_s > 0.0);
}

BOOST_AUTO_TEST_CASE(a_failing_expectation_names_file_line_signal_expected_and_actual) {
  const std::string file = data("scenario_fail.py");
  const int line = line_of(file, "# <- fails");
  const auto results = run_python({file});
  BOOST_REQUIRE_EQUAL(results.size(), 1u);
  const ScenarioResult& r = results[0];
  BOOST_TEST_INFO("error: " << r.error << "\noutput: " << r.output);
  BOOST_TEST(r.outcome == ScenarioResult::Outcome::failed);
  BOOST_TEST(r.id == "scenario_fail");
  BOOST_TEST(r.expectations == 2);  // the third is never reached
  BOOST_TEST(r.sim_s == 1.0, boost::test_tools::tolerance(1e-9));
  BOOST_REQUIRE_EQUAL(r.failures.size(), 1u);
  BOOST_TEST(r.failed == 1);
  const Failure& f = r.failures[0];
  BOOST_TEST(f.where == file + ":" + std::to_string(line));
  BOOST_TEST(f.signal == "plant.L1.current_a");
  BOOST_TEST(f.expected == "20 ±1 % [19.8, 20.2]");
  BOOST_TEST(f.actual == "10 (-50 %)");  // (10 - 20) / 20
  BOOST_TEST(f.time_s == 1.0);
  BOOST_TEST(f.message == file + ":" + std::to_string(line) +
                              ": plant.L1.current_a at 1.000 s: expected 20 ±1 % [19.8, 20.2], "
                              "actual 10 (-50 %)");
}

BOOST_AUTO_TEST_CASE(an_exception_fails_with_its_traceback) {
  const std::string file = data("scenario_raise.py");
  const int raised = line_of(file, "# <- raises");
  const int called = line_of(file, "# <- calls");
  const auto results = run_python({file});
  BOOST_REQUIRE_EQUAL(results.size(), 1u);
  const ScenarioResult& r = results[0];
  BOOST_TEST_INFO("error: " << r.error << "\noutput: " << r.output);
  BOOST_TEST(r.outcome == ScenarioResult::Outcome::failed);
  BOOST_TEST(r.id == "scenario_raise");
  BOOST_TEST(r.sim_s == 0.5, boost::test_tools::tolerance(1e-9));
  BOOST_REQUIRE_EQUAL(r.failures.size(), 1u);
  const Failure& f = r.failures[0];
  BOOST_TEST_INFO("message: " << f.message);
  // Where it left the file (the innermost frame in it), what it was, then the traceback.
  BOOST_TEST(f.where == file + ":" + std::to_string(raised));
  BOOST_TEST(f.message.rfind(file + ":" + std::to_string(raised) +
                                 ": ZeroDivisionError: float division by zero\n", 0) == 0);
  BOOST_TEST(contains(f.message, "Traceback (most recent call last):"));
  const std::string call_frame = "File \"" + file + "\", line " + std::to_string(called) + ", in scenario";
  const std::string raise_frame = "File \"" + file + "\", line " + std::to_string(raised) + ", in ratio";
  BOOST_TEST(contains(f.message, call_frame));
  BOOST_TEST(contains(f.message, raise_frame));
  BOOST_TEST(f.message.find(call_frame) < f.message.find(raise_frame));
  BOOST_TEST(f.signal.empty());
}

BOOST_AUTO_TEST_CASE(a_file_with_two_tests_gives_two_results) {
  const std::string file = data("two_tests.py");
  const auto results = run_python({file});
  BOOST_REQUIRE_EQUAL(results.size(), 2u);
  BOOST_TEST(results[0].id == "two_tests::test_first");
  BOOST_TEST(results[1].id == "two_tests::test_second");
  for (const auto& r : results) {
    BOOST_TEST_INFO(r.id << " error: " << r.error << "\noutput: " << r.output);
    BOOST_TEST(r.outcome == ScenarioResult::Outcome::passed);
    BOOST_TEST(r.file == file);
    BOOST_TEST(r.failures.empty());
  }
  BOOST_TEST(results[0].expectations == 1);
  BOOST_TEST(results[0].sim_s == 0.5, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(results[1].expectations == 2);
  BOOST_TEST(results[1].sim_s == 0.75, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(files_side_by_side_keep_their_own_results_in_order) {
  // Two processes at once; results in the order of the files, each file's tests together.
  std::size_t reported = 0;
  set_python_runner(&bindings::run_python_file);
  RunOptions options;
  options.jobs = 2;
  options.timeout_s = 120;
  const auto results = run_scenarios({data("two_tests.py"), data("scenario_fail.py"), data("scenario_pass.py")},
                                     options, [&](const ScenarioResult&, std::size_t, std::size_t total) {
                                       ++reported;
                                       BOOST_TEST(total == 3u);
                                     });
  BOOST_REQUIRE_EQUAL(results.size(), 4u);
  BOOST_TEST(reported == 4u);
  BOOST_TEST(results[0].id == "two_tests::test_first");
  BOOST_TEST(results[1].id == "two_tests::test_second");
  BOOST_TEST(results[2].id == "scenario_fail");
  BOOST_TEST(results[2].outcome == ScenarioResult::Outcome::failed);
  BOOST_TEST(results[3].id == "scenario_pass");
  BOOST_TEST(results[3].outcome == ScenarioResult::Outcome::passed);
}

BOOST_AUTO_TEST_CASE(without_the_runner_a_python_file_is_an_error) {
  set_python_runner(nullptr);
  RunOptions options;
  const auto results = run_scenarios({data("scenario_pass.py")}, options, {});
  BOOST_REQUIRE_EQUAL(results.size(), 1u);
  BOOST_TEST(results[0].outcome == ScenarioResult::Outcome::error);
  BOOST_TEST(contains(results[0].error, "cannot run Python scenarios"));
  set_python_runner(&bindings::run_python_file);
}

BOOST_AUTO_TEST_CASE(a_crash_keeps_the_results_before_it_and_reports_the_rest_as_not_run) {
  const std::string file = data("crash_second.py");
  const auto results = run_python({file});
  BOOST_REQUIRE_EQUAL(results.size(), 3u);
  BOOST_TEST(results[0].id == "crash_second::test_first");
  BOOST_TEST(results[0].outcome == ScenarioResult::Outcome::passed);
  BOOST_TEST(results[0].expectations == 1);
  BOOST_TEST(results[0].sim_s == 0.5, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(results[1].id == "crash_second::test_crash");
  BOOST_TEST(results[1].outcome == ScenarioResult::Outcome::error);
  BOOST_TEST(results[1].error == "crashed: Segmentation fault in this test");
  BOOST_TEST(results[2].id == "crash_second::test_never");
  BOOST_TEST(results[2].outcome == ScenarioResult::Outcome::error);
  BOOST_TEST(results[2].error == "not run: crashed: Segmentation fault in crash_second::test_crash");
  for (const auto& r : results) BOOST_TEST(r.file == file);
}

BOOST_AUTO_TEST_CASE(a_timeout_keeps_the_results_before_it_and_reports_the_rest_as_not_run) {
  set_python_runner(&bindings::run_python_file);
  RunOptions options;
  options.timeout_s = 2;
  const auto results = run_scenarios({data("hang_second.py")}, options, {});
  BOOST_REQUIRE_EQUAL(results.size(), 3u);
  BOOST_TEST(results[0].outcome == ScenarioResult::Outcome::passed);
  BOOST_TEST(results[1].id == "hang_second::test_hang");
  BOOST_TEST(results[1].error == "timed out after 2 s in this test");
  BOOST_TEST(results[2].error == "not run: timed out after 2 s in hang_second::test_hang");
}
