#include <boost/test/unit_test.hpp>

#include "report/result.h"
#include "signals/signal_registry.h"

using namespace amprig;

BOOST_AUTO_TEST_CASE(registry_types_values_and_suggests_names) {
  SignalRegistry r;
  double current_a = 0;
  bool reversed = false;
  std::string led = "off";
  Signal current;
  current.name = "loads.oven.current_a";
  current.unit = "A";
  current.max = 100;
  current.get = [&] { return Value(current_a); };
  current.set = [&](const Value& v) { current_a = std::get<double>(v); };
  r.add(current);
  Signal ct;
  ct.name = "ct2.reversed";
  ct.type = SignalType::boolean;
  ct.get = [&] { return Value(reversed); };
  ct.set = [&](const Value& v) { reversed = std::get<bool>(v); };
  ct.fault = true;
  r.add(ct);
  Signal lamp;
  lamp.name = "led.current";
  lamp.type = SignalType::choice;
  lamp.choices = {"green", "red", "off"};
  lamp.get = [&] { return Value(led); };
  r.add(lamp);

  r.set_from_text("loads.oven.current_a", "12.5");
  BOOST_TEST(current_a == 12.5);
  r.set_from_text("ct2.reversed", "true");
  BOOST_TEST(reversed);
  BOOST_TEST(std::get<std::string>(r.get("led.current")) == "off");

  BOOST_CHECK_THROW(r.set_from_text("loads.oven.current_a", "twelve"), std::invalid_argument);
  try {
    r.set_from_text("loads.oven.current_a", "150");
    BOOST_FAIL("no error");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("takes values of at most 100 A, not 150") != std::string::npos);
  }
  BOOST_TEST(current_a == 12.5);  // a rejected value is never stored
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
