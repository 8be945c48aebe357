#include <boost/test/unit_test.hpp>

#include "report/result.h"
#include "signals/signal_registry.h"

using namespace amprig;

BOOST_AUTO_TEST_CASE(registry_types_values_and_suggests_names) {
  SignalRegistry r;
  double current_a = 0;
  bool reversed = false;
  std::string led = "off";
  r.add(Signal{"loads.oven.current_a", SignalType::number, "A", {}, "", [&] { return Value(current_a); },
               [&](const Value& v) { current_a = std::get<double>(v); }, false});
  r.add(Signal{"ct2.reversed", SignalType::boolean, "", {}, "", [&] { return Value(reversed); },
               [&](const Value& v) { reversed = std::get<bool>(v); }, true});
  r.add(Signal{"led.current", SignalType::choice, "", {"green", "red", "off"}, "",
               [&] { return Value(led); }, {}, false});

  r.set_from_text("loads.oven.current_a", "12.5");
  BOOST_TEST(current_a == 12.5);
  r.set_from_text("ct2.reversed", "true");
  BOOST_TEST(reversed);
  BOOST_TEST(std::get<std::string>(r.get("led.current")) == "off");

  BOOST_CHECK_THROW(r.set_from_text("loads.oven.current_a", "twelve"), std::invalid_argument);
  BOOST_CHECK_THROW(r.set_from_text("ct2.reversed", "maybe"), std::invalid_argument);
  BOOST_CHECK_THROW(r.set_from_text("led.current", "green"), std::invalid_argument);  // read-only
  try {
    r.get("loads.oven.curent_a");
    BOOST_FAIL("no error");
  } catch (const std::out_of_range& e) {
    BOOST_TEST(std::string(e.what()).find("did you mean loads.oven.current_a") != std::string::npos);
  }
  const Signal& s = r.at("led.current");
  BOOST_CHECK_THROW(parse_value(s, "purple"), std::invalid_argument);
  BOOST_TEST(std::get<std::string>(parse_value(s, "red")) == "red");
}

BOOST_AUTO_TEST_CASE(results_survive_the_pipe) {
  ScenarioResult r;
  r.id = "odd\tname";
  r.file = "a/b.yaml";
  r.outcome = ScenarioResult::Outcome::failed;
  r.expectations = 7;
  r.failed = 1;
  r.output = "line 1\nline\\2\n";
  r.sim_s = 12.25;
  r.failures.push_back(Failure{"a/b.yaml:9", "meter.L1.current_a", "12 ±2 %", "10.5", 3.0,
                               "a/b.yaml:9: meter.L1.current_a at 3.000 s: expected ..."});
  ScenarioResult back;
  BOOST_TEST(deserialise(serialise(r), &back));
  BOOST_TEST(back.id == r.id);
  BOOST_TEST(back.output == r.output);
  BOOST_TEST(back.sim_s == 12.25);
  BOOST_TEST(back.expectations == 7);
  BOOST_TEST(back.failures.size() == 1u);
  BOOST_TEST(back.failures[0].signal == "meter.L1.current_a");
  BOOST_TEST(back.failures[0].expected == "12 ±2 %");
  BOOST_TEST(back.failures[0].time_s == 3.0);
  ScenarioResult truncated;
  BOOST_TEST(!deserialise("id\tx\n", &truncated));
}
