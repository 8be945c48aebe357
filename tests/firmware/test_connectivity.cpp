// Connectivity: the uplink choice (LAN before Wi-Fi), DHCP, the cloud session and its backoff,
// the access point and the communication LED, on a scripted fake network; the Wi-Fi credentials'
// rules and their NVM record; the telemetry datagram; and all of it through the Firmware class.
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "app/firmware.h"
#include "board/board.h"
#include "connectivity/connectivity.h"
#include "connectivity/telemetry.h"
#include "connectivity/wifi_store.h"
#include "cut_flash.h"
#include "device.h"
#include "fake_hal.h"
#include "printers.h"
#include "settings/settings_store.h"
#include "synthetic.h"
#include "tolerance.h"

namespace amprig::fw {

// Internal linkage: other test files may print these their own way.
static std::ostream& operator<<(std::ostream& os, LinkState s) { return os << to_string(s); }
static std::ostream& operator<<(std::ostream& os, const WifiCredentials& w) {
  return os << "{ssid \"" << w.ssid << "\", password \"" << w.password << "\"}";
}
static bool operator==(const WifiCredentials& a, const WifiCredentials& b) {
  return std::strcmp(a.ssid, b.ssid) == 0 && std::strcmp(a.password, b.password) == 0;
}

namespace hal {
static const char* name(Uplink u) {
  switch (u) {
    case Uplink::none:
      return "none";
    case Uplink::lan:
      return "lan";
    case Uplink::wifi:
      return "wifi";
  }
  return "uplink?";
}
static std::ostream& operator<<(std::ostream& os, Uplink u) { return os << name(u); }
}  // namespace hal

namespace {

using hal::LedColour;
using hal::LedId;
using hal::Uplink;
using test::CloudOutcome;
using test::CutFlash;
using test::LinkCall;
using test::LinkEvent;

constexpr std::uint64_t kMs = 1'000;
constexpr std::uint64_t kS = 1'000'000;
constexpr std::uint64_t kPollUs = 5 * kMs;  // the firmware's main loop
constexpr const char* kApSsid = "AG_0001234";

std::string describe(const LinkEvent& e) {
  switch (e.call) {
    case LinkCall::wifi_join:
      return "wifi_join(" + e.ssid + "," + e.password + ")";
    case LinkCall::wifi_leave:
      return "wifi_leave";
    case LinkCall::dhcp_start:
      return std::string("dhcp_start(") + hal::name(e.via) + ")";
    case LinkCall::cloud_open:
      return "cloud_open";
    case LinkCall::cloud_close:
      return "cloud_close";
    case LinkCall::send:
      return "send";
    case LinkCall::access_point:
      return e.on ? "access_point(on," + e.ssid + ")" : "access_point(off)";
  }
  return "call?";
}

using Calls = std::vector<std::string>;

WifiCredentials credentials(const char* ssid, const char* password) {
  WifiCredentials w;
  std::snprintf(w.ssid, sizeof w.ssid, "%s", ssid);
  std::snprintf(w.password, sizeof w.password, "%s", password);
  return w;
}

// A Connectivity on the fake network, polled every 5 ms like the firmware's main loop. Times in
// the tests are since start(); the device clock itself is far from 0 by then.
struct Net {
  test::FakeClock clock;
  test::FakeLink link{clock};
  Connectivity conn{link};
  ConnectivityConfig config{};
  std::uint64_t t0 = 0;

  Net() { clock.advance_us(1000 * kS); }
  void start(const WifiCredentials& wifi = {}) {
    t0 = clock.now_us();
    conn.start(config, wifi, kApSsid, t0);
    conn.poll(t0);
  }
  std::uint64_t now() const { return clock.now_us() - t0; }
  void poll_once() {
    clock.advance_us(kPollUs);
    conn.poll(clock.now_us());
  }
  void run_to(std::uint64_t since_start_us) {
    while (now() < since_start_us) poll_once();
  }
  std::vector<std::uint64_t> times(LinkCall call) const {
    std::vector<std::uint64_t> out;
    for (const std::uint64_t t : link.times(call)) out.push_back(t - t0);
    return out;
  }
  // The calls made in [from, to], since start().
  Calls calls_between(std::uint64_t from_us, std::uint64_t to_us) const {
    Calls out;
    for (const LinkEvent& e : link.events) {
      if (e.time_us >= t0 + from_us && e.time_us <= t0 + to_us) out.push_back(describe(e));
    }
    return out;
  }
  Calls calls_at(std::uint64_t since_start_us) const {
    return calls_between(since_start_us, since_start_us);
  }
};

std::vector<std::uint64_t> seconds(std::initializer_list<double> s) {
  std::vector<std::uint64_t> out;
  for (const double v : s) out.push_back(static_cast<std::uint64_t>(v * 1e6 + 0.5));
  return out;
}

const Variant kVariants[] = {Variant::ag63, Variant::home100, Variant::public400};

std::string reason_text(const char* reason) { return reason ? reason : "(accepted)"; }

std::string variant_rule(Variant v) {
  return v == Variant::ag63
             ? "only letters and digits (ag63)"
             : std::string("only letters a-z A-Z, digits, _ and - (") + board_design(v).id + ")";
}

// ============================================================================================
BOOST_AUTO_TEST_SUITE(connectivity)

BOOST_AUTO_TEST_CASE(lan_is_preferred_over_wifi) {
  Net n;
  n.link.set_carrier(true);
  n.link.set_site_wifi(true, "SiteNet", "secret123");
  n.link.dhcp_delay_us = 2 * kS;
  n.link.cloud_default = {true, 1 * kS};
  n.start(credentials("SiteNet", "secret123"));

  BOOST_TEST(n.calls_at(0) == (Calls{"access_point(on,AG_0001234)", "dhcp_start(lan)"}),
             boost::test_tools::per_element());
  BOOST_TEST(n.conn.state() == LinkState::dhcp);
  BOOST_TEST(n.conn.uplink() == Uplink::lan);
  n.run_to(2 * kS - kPollUs);
  BOOST_TEST(n.conn.state() == LinkState::dhcp);
  n.run_to(2 * kS);
  BOOST_TEST(n.conn.state() == LinkState::local_network);
  BOOST_TEST(n.calls_at(2 * kS) == Calls{"cloud_open"}, boost::test_tools::per_element());
  n.run_to(3 * kS);
  BOOST_TEST(n.conn.state() == LinkState::cloud);
  n.run_to(60 * kS);
  BOOST_TEST(n.conn.state() == LinkState::cloud);
  BOOST_TEST(n.conn.uplink() == Uplink::lan);
  BOOST_TEST(n.link.calls(LinkCall::wifi_join).empty());
  BOOST_TEST(n.conn.cloud_attempts() == 1u);
}

BOOST_AUTO_TEST_CASE(without_lan_the_site_wifi_is_joined) {
  Net n;
  n.link.set_site_wifi(true, "SiteNet", "secret123");
  n.link.join_delay_us = 3 * kS;
  n.link.dhcp_delay_us = 2 * kS;
  n.link.cloud_default = {true, 1 * kS};
  n.start(credentials("SiteNet", "secret123"));
  BOOST_TEST(n.conn.state() == LinkState::joining_wifi);
  BOOST_TEST(n.conn.uplink() == Uplink::wifi);
  n.run_to(10 * kS);
  BOOST_TEST(n.conn.state() == LinkState::cloud);
  BOOST_TEST(n.conn.uplink() == Uplink::wifi);
  BOOST_TEST(n.calls_between(0, 10 * kS) ==
                 (Calls{"access_point(on,AG_0001234)", "wifi_join(SiteNet,secret123)",
                        "dhcp_start(wifi)", "cloud_open"}),
             boost::test_tools::per_element());
  BOOST_TEST(n.times(LinkCall::wifi_join) == seconds({0}), boost::test_tools::per_element());
  BOOST_TEST(n.times(LinkCall::dhcp_start) == seconds({3}), boost::test_tools::per_element());
  BOOST_TEST(n.times(LinkCall::cloud_open) == seconds({5}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(without_lan_or_credentials_nothing_is_tried_until_credentials_arrive) {
  Net n;
  n.link.set_site_wifi(true, "SiteNet", "secret123");
  n.start();
  n.run_to(120 * kS);
  BOOST_TEST(n.calls_between(0, 120 * kS) == Calls{"access_point(on,AG_0001234)"},
             boost::test_tools::per_element());
  BOOST_TEST(n.conn.state() == LinkState::no_link);
  BOOST_TEST(n.conn.uplink() == Uplink::none);

  n.conn.set_wifi(credentials("SiteNet", "secret123"));
  BOOST_TEST(n.link.events.size() == 1u);  // nothing before the next poll
  n.poll_once();
  BOOST_TEST(n.calls_at(n.now()) ==
                 (Calls{"wifi_join(SiteNet,secret123)", "dhcp_start(wifi)", "cloud_open"}),
             boost::test_tools::per_element());
  BOOST_TEST(n.conn.state() == LinkState::cloud);
}

BOOST_AUTO_TEST_CASE(lan_appearing_while_on_wifi_takes_over) {
  Net n;
  n.link.set_site_wifi(true, "SiteNet", "secret123");
  n.start(credentials("SiteNet", "secret123"));
  n.run_to(10 * kS);
  BOOST_REQUIRE(n.conn.state() == LinkState::cloud);
  BOOST_REQUIRE(n.conn.uplink() == Uplink::wifi);

  n.link.set_carrier(true);
  n.poll_once();
  // Over in one poll, and no backoff: the session ended with its uplink, not by the cloud.
  BOOST_TEST(
      n.calls_at(n.now()) == (Calls{"cloud_close", "wifi_leave", "dhcp_start(lan)", "cloud_open"}),
      boost::test_tools::per_element());
  BOOST_TEST(n.conn.state() == LinkState::cloud);
  BOOST_TEST(n.conn.uplink() == Uplink::lan);
  BOOST_TEST(n.conn.backoff_us() == 0u);
}

BOOST_AUTO_TEST_CASE(losing_the_uplink_falls_back_to_wifi_then_to_no_link) {
  Net n;
  n.link.set_carrier(true);
  n.link.set_site_wifi(true, "SiteNet", "secret123");
  n.link.join_delay_us = 2 * kS;
  n.start(credentials("SiteNet", "secret123"));
  n.run_to(1 * kS);
  BOOST_REQUIRE(n.conn.state() == LinkState::cloud);
  BOOST_REQUIRE(n.conn.uplink() == Uplink::lan);

  // Cable pulled: the session goes with it, the Wi-Fi is joined in the same poll.
  n.link.set_carrier(false);
  n.run_to(1 * kS + kPollUs);
  BOOST_TEST(n.calls_at(n.now()) == (Calls{"cloud_close", "wifi_join(SiteNet,secret123)"}),
             boost::test_tools::per_element());
  BOOST_TEST(n.conn.state() == LinkState::joining_wifi);
  BOOST_TEST(n.conn.led() == LedColour::off);
  n.run_to(4 * kS);
  BOOST_TEST(n.conn.state() == LinkState::cloud);
  BOOST_TEST(n.conn.uplink() == Uplink::wifi);

  // The site Wi-Fi goes away: the association is given up and tried again.
  n.link.set_site_wifi(false);
  n.run_to(4 * kS + kPollUs);
  BOOST_TEST(
      n.calls_at(n.now()) == (Calls{"cloud_close", "wifi_leave", "wifi_join(SiteNet,secret123)"}),
      boost::test_tools::per_element());
  BOOST_TEST(n.conn.state() == LinkState::joining_wifi);

  // Without credentials a lost cable leaves nothing to try.
  Net lan_only;
  lan_only.link.set_carrier(true);
  lan_only.start();
  lan_only.run_to(1 * kS);
  BOOST_REQUIRE(lan_only.conn.state() == LinkState::cloud);
  lan_only.link.set_carrier(false);
  lan_only.run_to(1 * kS + kPollUs);
  BOOST_TEST(lan_only.calls_at(lan_only.now()) == Calls{"cloud_close"},
             boost::test_tools::per_element());
  BOOST_TEST(lan_only.conn.state() == LinkState::no_link);
  BOOST_TEST(lan_only.conn.uplink() == Uplink::none);
  BOOST_TEST(lan_only.conn.led() == LedColour::off);
  // Plugged back in: a fresh lease at the next poll, and the cloud at once.
  lan_only.link.set_carrier(true);
  lan_only.run_to(2 * kS);
  BOOST_TEST(lan_only.conn.state() == LinkState::cloud);
  BOOST_TEST(lan_only.times(LinkCall::dhcp_start) == seconds({0, 1.010}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_join_that_never_associates_is_restarted_every_timeout) {
  Net n;
  n.link.set_site_wifi(true, "SiteNet", "right1");
  n.start(credentials("SiteNet", "wrong1"));
  n.run_to(70 * kS);
  BOOST_TEST(n.times(LinkCall::wifi_join) == seconds({0, 20, 40, 60}),
             boost::test_tools::per_element());
  BOOST_TEST(n.times(LinkCall::wifi_leave) == seconds({20, 40, 60}),
             boost::test_tools::per_element());
  BOOST_TEST(n.conn.state() == LinkState::joining_wifi);
  BOOST_TEST(n.conn.led() == LedColour::off);
  BOOST_TEST(n.link.calls(LinkCall::dhcp_start).empty());

  n.conn.set_wifi(credentials("SiteNet", "right1"));
  n.poll_once();
  BOOST_TEST(n.calls_at(n.now()) == (Calls{"wifi_leave", "wifi_join(SiteNet,right1)",
                                           "dhcp_start(wifi)", "cloud_open"}),
             boost::test_tools::per_element());
  BOOST_TEST(n.conn.state() == LinkState::cloud);
}

BOOST_AUTO_TEST_CASE(a_lease_not_bound_is_requested_again_every_timeout) {
  Net n;
  n.link.set_carrier(true);
  n.link.dhcp_on_lan = false;
  n.start();
  n.run_to(50 * kS);
  BOOST_TEST(n.times(LinkCall::dhcp_start) == seconds({0, 15, 30, 45}),
             boost::test_tools::per_element());
  BOOST_TEST(n.conn.state() == LinkState::dhcp);
  BOOST_TEST(n.link.calls(LinkCall::cloud_open).empty());

  n.link.dhcp_on_lan = true;
  n.run_to(50 * kS + kPollUs);
  BOOST_TEST(n.conn.state() == LinkState::cloud);

  // A lease lost with the cable still in: the session is closed and a lease requested again.
  n.link.dhcp_on_lan = false;
  n.run_to(50 * kS + 2 * kPollUs);
  BOOST_TEST(n.calls_at(n.now()) == (Calls{"cloud_close", "dhcp_start(lan)"}),
             boost::test_tools::per_element());
  BOOST_TEST(n.conn.state() == LinkState::dhcp);
  BOOST_TEST(n.conn.led() == LedColour::off);
}

BOOST_AUTO_TEST_CASE(cloud_backoff_doubles_from_1_s_to_60_s_and_a_good_session_resets_it) {
  Net n;
  n.link.set_carrier(true);
  constexpr std::uint64_t kFailAfterUs = 300 * kMs;  // each attempt connects for 0.3 s, then fails
  for (int k = 0; k < 9; ++k) n.link.cloud_script.push_back({false, kFailAfterUs});
  n.link.cloud_default = {true, kFailAfterUs};
  n.start();

  const std::uint64_t waits_s[] = {1, 2, 4, 8, 16, 32, 60, 60, 60};
  std::vector<std::uint64_t> opens{0};
  std::vector<std::uint64_t> closes;
  for (std::size_t k = 0; k < 9; ++k) {
    BOOST_TEST_CONTEXT("failure " << k + 1) {
      const std::uint64_t close_us = opens.back() + kFailAfterUs;
      closes.push_back(close_us);
      n.run_to(close_us - kPollUs);
      BOOST_TEST(n.conn.backoff_us() == (k == 0 ? 0 : waits_s[k - 1] * kS));
      n.run_to(close_us);
      BOOST_TEST(n.conn.state() == LinkState::local_network);
      BOOST_TEST(n.conn.led() == LedColour::blue);
      BOOST_TEST(n.conn.backoff_us() == waits_s[k] * kS);
      opens.push_back(close_us + waits_s[k] * kS);
      n.run_to(opens.back() - kPollUs);
      BOOST_TEST(n.conn.cloud_attempts() == k + 1);
      n.run_to(opens.back());
      BOOST_TEST(n.conn.cloud_attempts() == k + 2);
    }
  }
  // The tenth attempt connects.
  n.run_to(opens.back() + kFailAfterUs);
  BOOST_TEST(n.conn.state() == LinkState::cloud);
  BOOST_TEST(n.conn.backoff_us() == 0u);
  BOOST_TEST(n.times(LinkCall::cloud_open) == opens, boost::test_tools::per_element());
  BOOST_TEST(n.times(LinkCall::cloud_close) == closes, boost::test_tools::per_element());

  // A good session reset the backoff: when the cloud drops it, 1 s, then 2 s again.
  n.link.cloud_script.push_back({false, kFailAfterUs});
  n.run_to(n.now() + 100 * kS);
  const std::uint64_t drop_us = n.now();
  n.link.drop_cloud();
  n.poll_once();
  BOOST_TEST(n.calls_at(drop_us + kPollUs) == Calls{"cloud_close"},
             boost::test_tools::per_element());
  BOOST_TEST(n.conn.state() == LinkState::local_network);
  BOOST_TEST(n.conn.backoff_us() == 1 * kS);
  n.run_to(drop_us + 10 * kS);
  const std::vector<std::uint64_t> all_opens = n.times(LinkCall::cloud_open);
  BOOST_REQUIRE_EQUAL(all_opens.size(), opens.size() + 2);
  BOOST_TEST(all_opens[opens.size()] == drop_us + kPollUs + 1 * kS);
  BOOST_TEST(all_opens[opens.size() + 1] == drop_us + kPollUs + 1 * kS + kFailAfterUs + 2 * kS);
  BOOST_TEST(n.conn.state() == LinkState::cloud);
}

BOOST_AUTO_TEST_CASE(a_cloud_attempt_that_hangs_is_given_up_after_the_timeout) {
  Net n;
  n.link.set_carrier(true);
  n.link.cloud_default = {true, CloudOutcome::kNever};
  n.start();
  n.run_to(70 * kS);
  BOOST_TEST(n.times(LinkCall::cloud_open) == seconds({0, 21, 43, 67}),
             boost::test_tools::per_element());
  BOOST_TEST(n.times(LinkCall::cloud_close) == seconds({20, 41, 63}),
             boost::test_tools::per_element());
  BOOST_TEST(n.conn.state() == LinkState::local_network);
  BOOST_TEST(n.conn.led() == LedColour::blue);
}

BOOST_AUTO_TEST_CASE(led_colour_follows_the_state) {
  // The spec's table: green in the cloud, blue on the local network only, off otherwise.
  Net n;
  n.link.set_site_wifi(true, "SiteNet", "secret123");
  n.link.join_delay_us = 2 * kS;
  n.link.dhcp_delay_us = 2 * kS;
  n.link.cloud_default = {true, 2 * kS};
  n.start(credentials("SiteNet", "secret123"));
  struct Check {
    double at_s;
    LinkState state;
    LedColour led;
  };
  const Check journey[] = {
      {0.0, LinkState::joining_wifi, LedColour::off},
      {1.0, LinkState::joining_wifi, LedColour::off},
      {3.0, LinkState::dhcp, LedColour::off},
      {5.0, LinkState::local_network, LedColour::blue},
      {7.0, LinkState::cloud, LedColour::green},
      {9.0, LinkState::cloud, LedColour::green},
  };
  for (const Check& c : journey) {
    n.run_to(static_cast<std::uint64_t>(c.at_s * kS));
    BOOST_TEST_CONTEXT("at " << c.at_s << " s") {
      BOOST_TEST(n.conn.state() == c.state);
      BOOST_TEST(n.conn.led() == c.led);
    }
  }
  n.link.drop_cloud();
  n.poll_once();
  BOOST_TEST(n.conn.state() == LinkState::local_network);
  BOOST_TEST(n.conn.led() == LedColour::blue);
  n.link.set_site_wifi(false);
  n.poll_once();
  BOOST_TEST(n.conn.state() == LinkState::joining_wifi);
  BOOST_TEST(n.conn.led() == LedColour::off);
  n.conn.stop();
  BOOST_TEST(n.conn.state() == LinkState::no_link);
  BOOST_TEST(n.conn.led() == LedColour::off);
}

BOOST_AUTO_TEST_CASE(access_point_is_open_for_exactly_10_minutes_after_start) {
  Net n;
  n.link.set_carrier(true);
  n.start();
  BOOST_TEST(n.conn.access_point_on());
  BOOST_TEST(n.link.access_point_is_on());
  n.run_to(600 * kS - kPollUs);
  BOOST_TEST(n.conn.access_point_on());
  BOOST_TEST(n.link.access_point_is_on());
  n.run_to(600 * kS);
  BOOST_TEST(!n.conn.access_point_on());
  BOOST_TEST(!n.link.access_point_is_on());
  n.run_to(700 * kS);
  const std::vector<LinkEvent> ap = n.link.calls(LinkCall::access_point);
  BOOST_REQUIRE_EQUAL(ap.size(), 2u);
  BOOST_TEST(ap[0].on);
  BOOST_TEST(ap[0].ssid == kApSsid);
  BOOST_TEST(ap[0].time_us == n.t0);
  BOOST_TEST(!ap[1].on);
  BOOST_TEST(ap[1].time_us == n.t0 + 600 * kS);
  // Independent of the uplink: the device was in the cloud all along.
  BOOST_TEST(n.conn.state() == LinkState::cloud);

  // A restart (reboot) opens it again for another 10 minutes.
  n.conn.stop();
  n.start();
  BOOST_TEST(n.conn.access_point_on());
  n.run_to(600 * kS);
  BOOST_TEST(n.times(LinkCall::access_point).back() == 600 * kS);
  BOOST_TEST(!n.conn.access_point_on());
}

BOOST_AUTO_TEST_CASE(stop_closes_the_session_the_wifi_and_the_access_point) {
  Net n;
  n.link.set_site_wifi(true, "SiteNet", "secret123");
  n.start(credentials("SiteNet", "secret123"));
  n.run_to(100 * kS);
  BOOST_REQUIRE(n.conn.state() == LinkState::cloud);
  n.conn.stop();
  BOOST_TEST(n.calls_at(100 * kS) ==
                 (Calls{"cloud_close", "dhcp_start(none)", "wifi_leave", "access_point(off)"}),
             boost::test_tools::per_element());
  BOOST_TEST(n.conn.state() == LinkState::no_link);
  BOOST_TEST(n.conn.uplink() == Uplink::none);
  BOOST_TEST(!n.conn.access_point_on());
  BOOST_TEST(n.conn.led() == LedColour::off);
  const std::size_t events = n.link.events.size();
  n.run_to(200 * kS);
  n.conn.stop();
  BOOST_TEST(n.link.events.size() == events);  // stopped: polls and a second stop do nothing
}

BOOST_AUTO_TEST_CASE(new_credentials_while_on_wifi_are_joined_at_once) {
  Net n;
  n.link.set_site_wifi(true, "SiteNet", "secret123");
  n.start(credentials("SiteNet", "secret123"));
  n.run_to(10 * kS);
  BOOST_REQUIRE(n.conn.state() == LinkState::cloud);

  n.conn.set_wifi(credentials("OtherNet", "pass4"));
  n.poll_once();
  BOOST_TEST(
      n.calls_at(n.now()) == (Calls{"cloud_close", "wifi_leave", "wifi_join(OtherNet,pass4)"}),
      boost::test_tools::per_element());
  BOOST_TEST(n.conn.state() == LinkState::joining_wifi);
  // The site network is renamed accordingly before the join times out.
  n.link.set_site_wifi(true, "OtherNet", "pass4");
  n.poll_once();
  BOOST_TEST(n.conn.state() == LinkState::cloud);
  BOOST_TEST(n.times(LinkCall::wifi_join).size() == 2u);

  // On the LAN new credentials change nothing until the cable goes.
  Net lan;
  lan.link.set_carrier(true);
  lan.link.set_site_wifi(true, "OtherNet", "pass4");
  lan.start(credentials("SiteNet", "secret123"));
  lan.run_to(1 * kS);
  lan.conn.set_wifi(credentials("OtherNet", "pass4"));
  lan.run_to(2 * kS);
  BOOST_TEST(lan.link.calls(LinkCall::wifi_join).empty());
  BOOST_TEST(lan.link.calls(LinkCall::wifi_leave).empty());
  lan.link.set_carrier(false);
  lan.poll_once();
  BOOST_TEST(lan.calls_at(lan.now()) == (Calls{"cloud_close", "wifi_join(OtherNet,pass4)",
                                               "dhcp_start(wifi)", "cloud_open"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(link_state_names) {
  BOOST_TEST(std::string(to_string(LinkState::no_link)) == "no_link");
  BOOST_TEST(std::string(to_string(LinkState::joining_wifi)) == "joining_wifi");
  BOOST_TEST(std::string(to_string(LinkState::dhcp)) == "dhcp");
  BOOST_TEST(std::string(to_string(LinkState::local_network)) == "local_network");
  BOOST_TEST(std::string(to_string(LinkState::cloud)) == "cloud");
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================================
BOOST_AUTO_TEST_SUITE(wifi_credentials)

BOOST_AUTO_TEST_CASE(typical_credentials_per_variant) {
  struct Case {
    const char* ssid;
    const char* password;
    bool older_ok;  // home100, public400
    bool ag63_ok;
  };
  const Case cases[] = {
      {"SiteNet", "secret123", true, true},
      {"A", "", true, true},  // an open network has no password
      {"Z9", "0", true, true},
      {"my_net", "secret", true, false},
      {"my-net", "secret", true, false},
      {"SiteNet", "pass_word", true, false},
      {"SiteNet", "pass-word", true, false},
  };
  for (const Variant v : kVariants) {
    for (const Case& c : cases) {
      BOOST_TEST_CONTEXT(board_design(v).id << " \"" << c.ssid << "\" / \"" << c.password << "\"") {
        const bool ok = v == Variant::ag63 ? c.ag63_ok : c.older_ok;
        const char* reason = check_wifi_credentials(v, c.ssid, c.password);
        BOOST_TEST((reason == nullptr) == ok, reason_text(reason));
      }
    }
  }
  const char* reason = check_wifi_credentials(Variant::ag63, "my_net", "secret");
  BOOST_TEST(reason_text(reason) == "ssid: only letters and digits (ag63)");
  reason = check_wifi_credentials(Variant::ag63, "SiteNet", "pass-word");
  BOOST_TEST(reason_text(reason) == "password: only letters and digits (ag63)");
}

BOOST_AUTO_TEST_CASE(thirty_characters_are_accepted_thirty_one_rejected_never_truncated) {
  const std::string thirty(30, 'a');
  const std::string thirty_one(31, 'b');
  // A long buffer with no terminator for a long way: counting must stop at 31.
  char long_buffer[200];
  std::memset(long_buffer, 'c', sizeof long_buffer);
  long_buffer[sizeof long_buffer - 1] = '\0';
  for (const Variant v : kVariants) {
    BOOST_TEST_CONTEXT(board_design(v).id) {
      BOOST_TEST(check_wifi_credentials(v, thirty.c_str(), thirty.c_str()) == nullptr);
      BOOST_TEST(reason_text(check_wifi_credentials(v, thirty_one.c_str(), "ok")) ==
                 "ssid: at most 30 characters");
      BOOST_TEST(reason_text(check_wifi_credentials(v, "ok", thirty_one.c_str())) ==
                 "password: at most 30 characters");
      BOOST_TEST(reason_text(check_wifi_credentials(v, long_buffer, "ok")) ==
                 "ssid: at most 30 characters");
      BOOST_TEST(reason_text(check_wifi_credentials(v, "ok", long_buffer)) ==
                 "password: at most 30 characters");
    }
  }
}

BOOST_AUTO_TEST_CASE(empty_ssid_is_rejected) {
  for (const Variant v : kVariants) {
    BOOST_TEST_CONTEXT(board_design(v).id) {
      BOOST_TEST(reason_text(check_wifi_credentials(v, "", "secret")) == "ssid: must not be empty");
      BOOST_TEST(reason_text(check_wifi_credentials(v, nullptr, "secret")) ==
                 "ssid: must not be empty");
      BOOST_TEST(check_wifi_credentials(v, "SiteNet", nullptr) == nullptr);
    }
  }
}

// Every byte value 1..255 in the middle of each field, judged against the spec's classes.
BOOST_AUTO_TEST_CASE(every_character_class_per_variant_and_field) {
  for (const Variant v : kVariants) {
    for (int c = 1; c < 256; ++c) {
      const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      const bool printable = c >= 0x20 && c <= 0x7e;
      const bool older_extra = c == '_' || c == '-';
      const bool accepted = alnum || (older_extra && v != Variant::ag63);
      for (const bool in_ssid : {true, false}) {
        char field[] = "ab?cd";
        field[2] = static_cast<char>(c);
        const char* reason = in_ssid ? check_wifi_credentials(v, field, "secret")
                                     : check_wifi_credentials(v, "SiteNet", field);
        BOOST_TEST_CONTEXT(board_design(v).id << ", byte 0x" << std::hex << c << std::dec
                                              << " in the " << (in_ssid ? "ssid" : "password")) {
          const std::string name = in_ssid ? "ssid: " : "password: ";
          if (accepted) {
            BOOST_TEST(reason == nullptr, reason_text(reason));
          } else if (printable) {
            BOOST_TEST(reason_text(reason) == name + variant_rule(v));
          } else {
            BOOST_TEST(reason_text(reason) == name + "printable ASCII characters only");
          }
        }
      }
    }
  }
  // The ssid is judged first.
  BOOST_TEST(reason_text(check_wifi_credentials(Variant::ag63, "a b", "c d")) ==
             "ssid: only letters and digits (ag63)");
  // UTF-8 text, as a browser would send it.
  BOOST_TEST(reason_text(check_wifi_credentials(Variant::home100, "Caf\xc3\xa9", "x")) ==
             "ssid: printable ASCII characters only");
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================================
BOOST_AUTO_TEST_SUITE(wifi_store)

constexpr std::size_t kWifiRecordBytes = 78;
constexpr std::size_t kWifiCrcOffset = 74;

// Reference CRC-32 (IEEE), as in the settings tests.
std::uint32_t reference_crc32(const std::uint8_t* data, std::size_t size) {
  std::uint32_t crc = 0xffffffffu;
  for (std::size_t i = 0; i < size; ++i) {
    crc ^= data[i];
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1u) ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
  }
  return ~crc;
}

void put_u32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

std::size_t slot_offset(const CutFlash& flash, int slot) {
  return (2 + static_cast<std::size_t>(slot)) * flash.page_bytes();
}

void reseal(CutFlash& flash, int slot) {
  std::uint8_t* r = flash.raw().data() + slot_offset(flash, slot);
  put_u32(r + kWifiCrcOffset, reference_crc32(r, kWifiCrcOffset));
}

const WifiCredentials kW0 = credentials("FirstNet", "first1");
const WifiCredentials kW1 = credentials("SecondNet", "second22");
const WifiCredentials kW2 =
    credentials("ThirdNetwork30charactersLongX", "abcdefghijklmnopqrstuvwxyz0123");
const WifiCredentials kW3 = credentials("OpenNet", "");

WifiCredentials load_after_reboot(hal::Nvm& nvm, Status* status) {
  WifiStore store(nvm);
  WifiCredentials w = kW3;  // overwritten either way
  *status = store.load(&w);
  return w;
}

InstallationSettings settings_b() {
  InstallationSettings s;
  s.fuse_a = 32.0f;
  s.network = NetworkType::it;
  s.scheme.phase[0] = 2;
  s.scheme.phase[2] = 0;
  return s;
}

BOOST_AUTO_TEST_CASE(record_layout_is_as_documented_in_pages_2_and_3) {
  CutFlash flash;
  WifiStore store(flash);
  BOOST_TEST(store.save(credentials("Net5", "pw")) == Status::ok);
  std::uint8_t expected[kWifiRecordBytes] = {
      0x41, 0x4d, 0x50, 0x57,       // magic "AMPW"
      0x01, 0x00,                   // layout version 1
      0x3e, 0x00,                   // payload length 62
      0x01, 0x00, 0x00, 0x00,       // sequence 1
      0x04, 'N',  'e',  't',  '5',  // ssid length 4, then zero padding to 30 bytes
  };
  expected[43] = 2;  // password length
  expected[44] = 'p';
  expected[45] = 'w';
  put_u32(expected + kWifiCrcOffset, reference_crc32(expected, kWifiCrcOffset));
  const std::vector<std::uint8_t>& raw = flash.raw();
  const std::size_t at = 2 * flash.page_bytes();
  BOOST_TEST(std::vector<std::uint8_t>(raw.begin() + at, raw.begin() + at + kWifiRecordBytes) ==
                 std::vector<std::uint8_t>(expected, expected + kWifiRecordBytes),
             boost::test_tools::per_element());
  // The settings' pages, the rest of the page and the other slot stay erased.
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (i >= at && i < at + kWifiRecordBytes) continue;
    if (raw[i] != 0xff) {
      BOOST_TEST(raw[i] == 0xff, "byte " << i);
      break;
    }
  }
}

BOOST_AUTO_TEST_CASE(round_trip_through_a_reboot_alongside_the_settings) {
  CutFlash flash;
  const WifiCredentials all[] = {kW0, kW1, kW2, kW3, WifiCredentials{}};
  for (std::size_t i = 0; i < 5; ++i) {
    BOOST_TEST_CONTEXT("save " << i) {
      // Settings and credentials saved in turn: neither disturbs the other.
      InstallationSettings s;
      s.fuse_a = 20.0f + static_cast<float>(i);
      BOOST_TEST(SettingsStore(flash).save(s) == Status::ok);
      WifiStore store(flash);
      BOOST_TEST(store.save(all[i]) == Status::ok);
      BOOST_TEST(store.sequence() == i + 1);
      Status status;
      BOOST_TEST(load_after_reboot(flash, &status) == all[i]);
      BOOST_TEST(status == Status::ok);
      InstallationSettings loaded;
      BOOST_TEST(SettingsStore(flash).load(&loaded) == Status::ok);
      BOOST_TEST(loaded.fuse_a == s.fuse_a);
    }
  }
  // Also on the rig's geometry: 8 KiB in pages of 1 KiB.
  CutFlash rig(8192, 1024);
  BOOST_TEST(WifiStore(rig).save(kW2) == Status::ok);
  BOOST_TEST(rig.raw()[2048] == 0x41);
  Status status;
  BOOST_TEST(load_after_reboot(rig, &status) == kW2);
}

BOOST_AUTO_TEST_CASE(nothing_stored_gives_no_credentials) {
  CutFlash flash;
  Status status;
  const WifiCredentials w = load_after_reboot(flash, &status);
  BOOST_TEST(status == Status::unavailable);
  BOOST_TEST(w == WifiCredentials{});
}

BOOST_AUTO_TEST_CASE(unterminated_fields_are_refused_and_nothing_written) {
  CutFlash flash;
  WifiCredentials w;
  std::memset(w.ssid, 'a', sizeof w.ssid);  // 31 characters, no terminator
  WifiStore store(flash);
  BOOST_TEST(store.save(w) == Status::invalid_argument);
  w = kW0;
  std::memset(w.password, 'b', sizeof w.password);
  BOOST_TEST(store.save(w) == Status::invalid_argument);
  BOOST_TEST(flash.bytes_touched() == 0u);
}

BOOST_AUTO_TEST_CASE(flash_without_pages_2_and_3_is_refused) {
  CutFlash flash(512, 256);  // room for the settings only
  WifiStore store(flash);
  BOOST_TEST(store.save(kW0) == Status::resource_exhausted);
  BOOST_TEST(store.factory_reset() == Status::resource_exhausted);
  BOOST_TEST(flash.bytes_touched() == 0u);
  Status status;
  BOOST_TEST(load_after_reboot(flash, &status) == WifiCredentials{});
  BOOST_TEST(status == Status::unavailable);
}

BOOST_AUTO_TEST_CASE(any_corrupted_byte_of_the_newest_record_falls_back_to_the_previous) {
  CutFlash flash;
  {
    WifiStore store(flash);
    BOOST_TEST(store.save(kW0) == Status::ok);  // slot 0
    BOOST_TEST(store.save(kW1) == Status::ok);  // slot 1, newest
  }
  const std::vector<std::uint8_t> good = flash.raw();
  for (std::size_t i = 0; i < kWifiRecordBytes; ++i) {
    for (const std::uint8_t mask : {0x01, 0x80, 0xff}) {
      flash.raw() = good;
      flash.raw()[slot_offset(flash, 1) + i] ^= mask;
      Status status;
      BOOST_TEST(load_after_reboot(flash, &status) == kW0,
                 "byte " << i << " xor " << static_cast<int>(mask));
    }
  }
}

BOOST_AUTO_TEST_CASE(intact_crc_over_foreign_content_is_not_trusted) {
  struct Edit {
    const char* what;
    std::size_t offset;
    std::uint8_t value;
  };
  const Edit edits[] = {
      {"ssid length 31", 12, 31},
      {"ssid length 255", 12, 255},
      {"NUL inside the ssid", 13, 0},
      {"byte after the ssid", 13 + 9, 'x'},
      {"password length 31", 43, 31},
      {"NUL inside the password", 44, 0},
      {"byte after the password", 44 + 8, 'x'},
  };
  for (const Edit& e : edits) {
    BOOST_TEST_CONTEXT(e.what) {
      CutFlash flash;
      {
        WifiStore store(flash);
        BOOST_TEST(store.save(kW0) == Status::ok);
        BOOST_TEST(store.save(kW1) == Status::ok);  // "SecondNet" (9), "second22" (8)
      }
      flash.raw()[slot_offset(flash, 1) + e.offset] = e.value;
      reseal(flash, 1);
      Status status;
      BOOST_TEST(load_after_reboot(flash, &status) == kW0);
      BOOST_TEST(status == Status::ok);
    }
  }
}

// As for the settings: a cut at any byte of a save leaves the old credentials or, once the CRC
// is being programmed, possibly the new ones; and the settings' pages are never touched.
BOOST_AUTO_TEST_CASE(power_cut_at_every_byte_of_a_save) {
  for (const bool descending : {false, true}) {
    CutFlash reference;
    BOOST_TEST(WifiStore(reference).save(kW0) == Status::ok);
    const std::size_t before = reference.bytes_touched();
    BOOST_TEST(WifiStore(reference).save(kW1) == Status::ok);
    const std::size_t save_bytes = reference.bytes_touched() - before;
    BOOST_TEST(save_bytes == reference.page_bytes() + kWifiRecordBytes);
    const std::size_t crc_start = save_bytes - 4;

    for (std::size_t k = 0; k <= save_bytes; ++k) {
      BOOST_TEST_CONTEXT((descending ? "descending" : "ascending")
                         << " erase, cut after " << k << " bytes") {
        CutFlash flash;
        flash.erase_descending = descending;
        BOOST_TEST(SettingsStore(flash).save(settings_b()) == Status::ok);
        const std::vector<std::uint8_t> settings_pages(
            flash.raw().begin(), flash.raw().begin() + 2 * flash.page_bytes());
        {
          WifiStore store(flash);
          BOOST_TEST(store.save(kW0) == Status::ok);
          BOOST_TEST(store.save(kW1) == Status::ok);
          flash.cut_after(k);
          const Status saved = store.save(kW2);
          BOOST_TEST((saved == Status::ok) == (k == save_bytes), "save returned " << saved);
        }
        flash.restore_power();
        Status status;
        const WifiCredentials got = load_after_reboot(flash, &status);
        BOOST_TEST(status == Status::ok);
        if (k == save_bytes) {
          BOOST_TEST(got == kW2);
        } else if (k <= crc_start) {
          BOOST_TEST(got == kW1);
        } else {
          BOOST_TEST((got == kW1 || got == kW2), got);
        }
        BOOST_TEST(std::equal(settings_pages.begin(), settings_pages.end(), flash.raw().begin()));
        // The torn slot is reused by the next save, which then wins.
        BOOST_TEST(WifiStore(flash).save(kW3) == Status::ok);
        BOOST_TEST(load_after_reboot(flash, &status) == kW3);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(power_cut_at_every_byte_of_a_factory_reset) {
  const std::size_t reset_bytes = 2 * 256;
  for (std::size_t k = 0; k <= reset_bytes; ++k) {
    BOOST_TEST_CONTEXT("cut after " << k) {
      CutFlash flash;
      WifiStore store(flash);
      BOOST_TEST(store.save(kW0) == Status::ok);
      BOOST_TEST(store.save(kW1) == Status::ok);
      flash.cut_after(k);
      BOOST_TEST((store.factory_reset() == Status::ok) == (k == reset_bytes));
      flash.restore_power();
      Status status;
      const WifiCredentials got = load_after_reboot(flash, &status);
      // The older slot is erased first; the newest survives until its own erase starts.
      if (k <= reset_bytes / 2) {
        BOOST_TEST(status == Status::ok);
        BOOST_TEST(got == kW1);
      } else {
        BOOST_TEST(status == Status::unavailable);
        BOOST_TEST(got == WifiCredentials{});
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================================
BOOST_AUTO_TEST_SUITE(telemetry)

// Reference CRC-16/CCITT-FALSE, checked against the catalogue's check value below.
std::uint16_t reference_crc16(const std::uint8_t* data, std::size_t size) {
  std::uint32_t crc = 0xffff;
  for (std::size_t i = 0; i < size; ++i) {
    for (int bit = 7; bit >= 0; --bit) {
      const bool top = ((crc >> 15) & 1u) != (((data[i] >> bit) & 1u) != 0);
      crc = ((crc << 1) & 0xffffu) ^ (top ? 0x1021u : 0u);
    }
  }
  return static_cast<std::uint16_t>(crc);
}

void reseal(std::uint8_t* d) {
  const std::uint16_t crc = reference_crc16(d, 40);
  d[40] = static_cast<std::uint8_t>(crc);
  d[41] = static_cast<std::uint8_t>(crc >> 8);
}

bool same(const TelemetryReport& a, const TelemetryReport& b) {
  for (int k = 0; k < 3; ++k) {
    if (a.current_ma[k] != b.current_ma[k] || a.power_w[k] != b.power_w[k]) return false;
  }
  return a.sequence == b.sequence && a.measured_at_us == b.measured_at_us;
}

TelemetryReport sample_report() {
  TelemetryReport r;
  r.sequence = 0x01020304;
  r.measured_at_us = 0x1122334455667788ull;
  r.current_ma[0] = 16000;
  r.current_ma[1] = -12345;
  r.current_ma[2] = 0;
  r.power_w[0] = 3458;
  r.power_w[1] = -2760;
  r.power_w[2] = 2147483647;
  return r;
}

BOOST_AUTO_TEST_CASE(reference_crc_is_crc16_ccitt_false) {
  const char* check = "123456789";
  BOOST_TEST(reference_crc16(reinterpret_cast<const std::uint8_t*>(check), 9) == 0x29b1);
}

BOOST_AUTO_TEST_CASE(datagram_layout_is_as_documented) {
  BOOST_TEST(kTelemetryBytes == 42u);
  std::uint8_t expected[42] = {
      0x41, 0x54,                                      // magic "AT"
      0x01, 0x00,                                      // version 1
      0x04, 0x03, 0x02, 0x01,                          // sequence
      0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,  // measured_at_us
      0x80, 0x3e, 0x00, 0x00,                          // 16000 mA
      0xc7, 0xcf, 0xff, 0xff,                          // -12345 mA
      0x00, 0x00, 0x00, 0x00,                          // 0 mA
      0x82, 0x0d, 0x00, 0x00,                          // 3458 W
      0x38, 0xf5, 0xff, 0xff,                          // -2760 W
      0xff, 0xff, 0xff, 0x7f,                          // 2147483647 W
  };
  reseal(expected);
  std::uint8_t out[42];
  BOOST_TEST(encode_telemetry(sample_report(), Span<std::uint8_t>(out)) == 42u);
  BOOST_TEST(std::vector<std::uint8_t>(out, out + 42) ==
                 std::vector<std::uint8_t>(expected, expected + 42),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(round_trip) {
  TelemetryReport extremes;
  extremes.sequence = 0xffffffffu;
  extremes.measured_at_us = std::numeric_limits<std::uint64_t>::max();
  for (int k = 0; k < 3; ++k) {
    extremes.current_ma[k] = std::numeric_limits<std::int32_t>::min() + k;
    extremes.power_w[k] = std::numeric_limits<std::int32_t>::max() - k;
  }
  for (const TelemetryReport& r : {sample_report(), TelemetryReport{}, extremes}) {
    std::uint8_t buffer[64];
    std::memset(buffer, 0xa5, sizeof buffer);
    BOOST_TEST(encode_telemetry(r, Span<std::uint8_t>(buffer)) == 42u);
    BOOST_TEST(buffer[42] == 0xa5);  // nothing beyond the datagram
    TelemetryReport got;
    got.sequence = 77;
    BOOST_TEST(decode_telemetry(Span<const std::uint8_t>(buffer, 42), &got));
    BOOST_TEST(same(got, r));
  }
}

BOOST_AUTO_TEST_CASE(too_small_a_buffer_is_refused_untouched) {
  std::uint8_t buffer[41];
  std::memset(buffer, 0xa5, sizeof buffer);
  BOOST_TEST(encode_telemetry(sample_report(), Span<std::uint8_t>(buffer)) == 0u);
  BOOST_TEST(std::all_of(buffer, buffer + 41, [](std::uint8_t b) { return b == 0xa5; }));
}

BOOST_AUTO_TEST_CASE(corrupted_or_foreign_datagrams_are_rejected) {
  std::uint8_t good[42];
  BOOST_REQUIRE(encode_telemetry(sample_report(), Span<std::uint8_t>(good)) == 42u);
  const TelemetryReport untouched = TelemetryReport{};
  // Every single-bit error and every whole-byte error: CRC-16 catches all bursts up to 16 bits.
  for (std::size_t i = 0; i < 42; ++i) {
    for (int flip = 0; flip < 9; ++flip) {
      const std::uint8_t mask = flip < 8 ? static_cast<std::uint8_t>(1u << flip) : 0xff;
      std::uint8_t bad[42];
      std::memcpy(bad, good, 42);
      bad[i] ^= mask;
      TelemetryReport got;
      BOOST_TEST(!decode_telemetry(Span<const std::uint8_t>(bad), &got),
                 "byte " << i << " xor " << static_cast<int>(mask));
      BOOST_TEST(same(got, untouched));
    }
  }
  // Wrong length, either way.
  std::uint8_t longer[43] = {};
  std::memcpy(longer, good, 42);
  TelemetryReport got;
  BOOST_TEST(!decode_telemetry(Span<const std::uint8_t>(longer), &got));
  BOOST_TEST(!decode_telemetry(Span<const std::uint8_t>(good, 41), &got));
  BOOST_TEST(!decode_telemetry(Span<const std::uint8_t>(), &got));
  BOOST_TEST(!decode_telemetry(Span<const std::uint8_t>(good), nullptr));
  // Another magic or version is refused even with an intact CRC; a field edit is not.
  for (const std::size_t at : {0u, 1u, 2u, 3u}) {
    std::uint8_t foreign[42];
    std::memcpy(foreign, good, 42);
    foreign[at] ^= 0x01;
    reseal(foreign);
    BOOST_TEST(!decode_telemetry(Span<const std::uint8_t>(foreign), &got), "byte " << at);
  }
  std::uint8_t edited[42];
  std::memcpy(edited, good, 42);
  edited[4] = 0x05;
  reseal(edited);
  BOOST_TEST(decode_telemetry(Span<const std::uint8_t>(edited), &got));
  BOOST_TEST(got.sequence == 0x01020305u);
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================================
// Through the Firmware class.
using test::ag63_config;
using test::Device;
using test::drive;
using test::kHalfUs;
using test::Plant;

FirmwareConfig config_with_serial(const char* serial) {
  FirmwareConfig config = ag63_config();
  std::memset(config.serial_number, 0, sizeof config.serial_number);
  std::memcpy(config.serial_number, serial, std::strlen(serial));
  return config;
}

Calls device_calls_at(const Device& d, std::uint64_t time_us) {
  Calls out;
  for (const LinkEvent& e : d.hal.link.events) {
    if (e.time_us == time_us) out.push_back(describe(e));
  }
  return out;
}

std::vector<test::LedEvent> comm_events(const Device& d) {
  std::vector<test::LedEvent> out;
  for (const auto& e : d.hal.leds.events) {
    if (e.led == LedId::comm) out.push_back(e);
  }
  return out;
}

BOOST_AUTO_TEST_SUITE(firmware_connectivity)

BOOST_AUTO_TEST_CASE(access_point_ssid_is_ag_and_the_serial_numbers_last_7_digits) {
  struct Case {
    const char* serial;
    const char* ssid;
  };
  const Case cases[] = {
      {"2300001234G", "AG_0001234"},
      {"1234567G", "AG_1234567"},
      {"9876543210987654321012G", "AG_4321012"},  // 22 digits: the longest that fits
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.serial) {
      Device d;
      d.hal.clock.advance_us(5 * kS);
      BOOST_REQUIRE(d.firmware.start(config_with_serial(c.serial)) == Status::ok);
      BOOST_TEST(std::string(d.firmware.access_point_ssid()) == c.ssid);
      BOOST_TEST(d.firmware.access_point_on());
      BOOST_TEST(
          device_calls_at(d, 5 * kS) == Calls{std::string("access_point(on,") + c.ssid + ")"},
          boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(a_malformed_serial_number_is_refused_at_start) {
  const char* bad[] = {
      "2300001234",    // no G
      "2300001234g",   // lower case
      "230001G",       // 6 digits
      "23000X1234G",   // not a digit
      "2300001234GG",  // G twice
      " 2300001234G",  // blank
      "",
      "G",
  };
  for (const char* serial : bad) {
    BOOST_TEST_CONTEXT("\"" << serial << "\"") {
      Device d;
      BOOST_TEST(d.firmware.start(config_with_serial(serial)) == Status::invalid_argument);
      BOOST_TEST(!d.firmware.running());
      BOOST_TEST(d.hal.adc.starts == 0);
      BOOST_TEST(d.hal.leds.events.empty());
      BOOST_TEST(d.hal.link.events.empty());
    }
  }
  // 24 characters leave no room for the terminator.
  FirmwareConfig config = ag63_config();
  std::memset(config.serial_number, '1', sizeof config.serial_number);
  config.serial_number[sizeof config.serial_number - 1] = 'G';
  Device d;
  BOOST_TEST(d.firmware.start(config) == Status::invalid_argument);
  BOOST_TEST(d.hal.link.events.empty());
}

BOOST_AUTO_TEST_CASE(access_point_closes_10_minutes_after_power_on) {
  Device d;
  BOOST_REQUIRE(d.firmware.start(ag63_config()) == Status::ok);
  d.idle_us(600 * kS - kHalfUs);
  BOOST_TEST(d.firmware.access_point_on());
  d.idle_us(kHalfUs);
  BOOST_TEST(!d.firmware.access_point_on());
  BOOST_TEST(device_calls_at(d, 600 * kS) == Calls{"access_point(off)"},
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(comm_led_shows_the_connectivity) {
  Device d;
  d.hal.link.set_carrier(true);
  d.hal.link.dhcp_delay_us = 1 * kS;
  d.hal.link.cloud_default = {true, 1 * kS};
  BOOST_REQUIRE(d.firmware.start(ag63_config()) == Status::ok);
  // The main loop's first poll (10 ms) asks for a lease.
  d.idle_us(3 * kS);
  BOOST_TEST(d.firmware.link_state() == LinkState::cloud);
  BOOST_TEST(d.firmware.uplink() == Uplink::lan);
  // The cloud drops the session and refuses the next attempt; then the cable goes.
  d.hal.link.cloud_script.push_back({false, 0});
  d.hal.link.drop_cloud();
  d.idle_us(2 * kS);
  BOOST_TEST(d.firmware.link_state() == LinkState::local_network);
  d.hal.link.set_carrier(false);
  d.idle_us(1 * kS);
  BOOST_TEST(d.firmware.link_state() == LinkState::no_link);

  struct Expected {
    std::uint64_t time_us;
    LedColour colour;
  };
  const Expected expected[] = {
      {0, LedColour::off},                    // boot
      {10 * kMs + 1 * kS, LedColour::blue},   // lease
      {10 * kMs + 2 * kS, LedColour::green},  // cloud
      {3 * kS + 10 * kMs, LedColour::blue},   // dropped
      {5 * kS + 10 * kMs, LedColour::off},    // cable pulled
  };
  const auto events = comm_events(d);
  BOOST_REQUIRE_EQUAL(events.size(), std::size(expected));
  for (std::size_t k = 0; k < events.size(); ++k) {
    BOOST_TEST_CONTEXT("comm event " << k) {
      BOOST_TEST(events[k].time_us == expected[k].time_us);
      BOOST_TEST(events[k].colour == expected[k].colour);
    }
  }
}

BOOST_AUTO_TEST_CASE(reboot_and_stop_close_the_connectivity_and_a_boot_restarts_it) {
  Device d;
  d.hal.link.set_carrier(true);
  BOOST_REQUIRE(d.firmware.start(ag63_config()) == Status::ok);
  d.idle_us(1 * kS);
  BOOST_REQUIRE(d.hal.leds.state(LedId::comm) == LedColour::green);

  const std::uint64_t reboot_us = d.hal.clock.now_us();
  d.firmware.reboot();
  BOOST_TEST(device_calls_at(d, reboot_us) ==
                 (Calls{"cloud_close", "dhcp_start(none)", "access_point(off)"}),
             boost::test_tools::per_element());
  BOOST_TEST(d.hal.leds.state(LedId::comm) == LedColour::off);
  BOOST_TEST(d.firmware.link_state() == LinkState::no_link);
  // Dark for kResetDarkUs: no network activity, then a boot as at power-on.
  d.idle_us(kResetDarkUs);
  const std::uint64_t boot_us = reboot_us + kResetDarkUs;
  BOOST_TEST(d.hal.link.since(reboot_us + 1).front().time_us == boot_us);
  BOOST_TEST(device_calls_at(d, boot_us) == Calls{"access_point(on,AG_0001234)"},
             boost::test_tools::per_element());
  d.idle_us(kHalfUs);
  BOOST_TEST(device_calls_at(d, boot_us + kHalfUs) == (Calls{"dhcp_start(lan)", "cloud_open"}),
             boost::test_tools::per_element());
  BOOST_TEST(d.hal.leds.state(LedId::comm) == LedColour::green);
  BOOST_TEST(d.firmware.access_point_on());

  d.idle_us(1 * kS);
  const std::uint64_t stop_us = d.hal.clock.now_us() + 1;
  d.hal.clock.advance_us(1);
  d.firmware.stop();
  BOOST_TEST(device_calls_at(d, stop_us) ==
                 (Calls{"cloud_close", "dhcp_start(none)", "access_point(off)"}),
             boost::test_tools::per_element());
  BOOST_TEST(d.hal.leds.state(LedId::comm) == LedColour::off);
}

BOOST_AUTO_TEST_CASE(wifi_credentials_are_validated_stored_and_joined) {
  Device d;
  d.hal.link.set_site_wifi(true, "SiteNet", "secret123");
  BOOST_REQUIRE(d.firmware.start(ag63_config()) == Status::ok);
  d.idle_us(1 * kS);
  BOOST_TEST(d.firmware.link_state() == LinkState::no_link);
  BOOST_TEST(d.firmware.wifi() == WifiCredentials{});

  const SettingsResult r = d.firmware.apply_wifi("SiteNet", "secret123");
  BOOST_TEST(r.status == Status::ok);
  BOOST_TEST(r.reason == nullptr);
  BOOST_TEST(d.firmware.wifi() == credentials("SiteNet", "secret123"));
  WifiCredentials stored;
  BOOST_TEST(WifiStore(d.hal.nvm).load(&stored) == Status::ok);
  BOOST_TEST(stored == credentials("SiteNet", "secret123"));
  d.idle_us(kHalfUs);
  BOOST_TEST(device_calls_at(d, d.hal.clock.now_us()) ==
                 (Calls{"wifi_join(SiteNet,secret123)", "dhcp_start(wifi)", "cloud_open"}),
             boost::test_tools::per_element());
  BOOST_TEST(d.firmware.link_state() == LinkState::cloud);
  BOOST_TEST(d.firmware.uplink() == Uplink::wifi);
  BOOST_TEST(d.hal.leds.state(LedId::comm) == LedColour::green);
  // The installation settings are where they were: the defaults, never saved.
  InstallationSettings settings;
  BOOST_TEST(SettingsStore(d.hal.nvm).load(&settings) == Status::unavailable);
}

BOOST_AUTO_TEST_CASE(wifi_credentials_survive_a_reboot_and_a_power_cycle) {
  Device d;
  d.hal.link.set_site_wifi(true, "SiteNet", "secret123");
  BOOST_REQUIRE(d.firmware.start(ag63_config()) == Status::ok);
  BOOST_REQUIRE(d.firmware.apply_wifi("SiteNet", "secret123").status == Status::ok);
  d.idle_us(1 * kS);

  d.firmware.reboot();
  d.idle_us(kResetDarkUs + 1 * kS);
  BOOST_TEST(d.firmware.wifi() == credentials("SiteNet", "secret123"));
  BOOST_TEST(d.firmware.link_state() == LinkState::cloud);
  BOOST_TEST(d.hal.link.calls(LinkCall::wifi_join).size() == 2u);

  d.firmware.stop();
  Firmware second(d.hal.hal());
  BOOST_REQUIRE(second.start(ag63_config()) == Status::ok);
  BOOST_TEST(second.wifi() == credentials("SiteNet", "secret123"));
  second.poll();
  BOOST_TEST(second.link_state() == LinkState::cloud);
  BOOST_TEST(d.hal.link.calls(LinkCall::wifi_join).back().ssid == "SiteNet");
  BOOST_TEST(d.hal.link.calls(LinkCall::wifi_join).size() == 3u);
}

BOOST_AUTO_TEST_CASE(invalid_wifi_credentials_are_rejected_never_stored_or_truncated) {
  Device d;
  d.hal.link.set_site_wifi(true, "SiteNet", "secret123");
  BOOST_REQUIRE(d.firmware.start(ag63_config()) == Status::ok);
  BOOST_REQUIRE(d.firmware.apply_wifi("SiteNet", "secret123").status == Status::ok);
  d.idle_us(1 * kS);
  const std::vector<std::uint8_t> nvm_before = d.hal.nvm.contents();
  const int writes_before = d.hal.nvm.writes + d.hal.nvm.erases;
  const std::size_t link_events_before = d.hal.link.events.size();

  const std::string thirty_one(31, 'a');
  struct Bad {
    const char* ssid;
    const char* password;
    const char* reason;
  };
  const Bad bad[] = {
      {thirty_one.c_str(), "secret", "ssid: at most 30 characters"},
      {"SiteNet", thirty_one.c_str(), "password: at most 30 characters"},
      {"my net", "secret", "ssid: only letters and digits (ag63)"},
      {"SiteNet", "pass_word", "password: only letters and digits (ag63)"},
      {"", "secret", "ssid: must not be empty"},
      {"Site\tNet", "secret", "ssid: printable ASCII characters only"},
  };
  for (const Bad& b : bad) {
    BOOST_TEST_CONTEXT("\"" << b.ssid << "\" / \"" << b.password << "\"") {
      const SettingsResult r = d.firmware.apply_wifi(b.ssid, b.password);
      BOOST_TEST(r.status == Status::invalid_argument);
      BOOST_TEST(reason_text(r.reason) == b.reason);
      BOOST_TEST(d.firmware.wifi() == credentials("SiteNet", "secret123"));
    }
  }
  d.idle_us(1 * kS);
  BOOST_TEST(d.hal.nvm.writes + d.hal.nvm.erases == writes_before);
  BOOST_TEST((d.hal.nvm.contents() == nvm_before));
  BOOST_TEST(d.hal.link.events.size() == link_events_before);  // no rejoin
  BOOST_TEST(d.firmware.link_state() == LinkState::cloud);

  // The older generation's rule on a home100.
  Device home;
  FirmwareConfig config = ag63_config();
  config.variant = Variant::home100;
  config.metering = metering_config_for(board_design(Variant::home100), test::kFs);
  BOOST_REQUIRE(home.firmware.start(config) == Status::ok);
  BOOST_TEST(home.firmware.apply_wifi("my_net-2", "pass_word").status == Status::ok);
  BOOST_TEST(reason_text(home.firmware.apply_wifi("my net", "x").reason) ==
             "ssid: only letters a-z A-Z, digits, _ and - (home100)");
  BOOST_TEST(home.firmware.wifi() == credentials("my_net-2", "pass_word"));
}

BOOST_AUTO_TEST_CASE(wifi_credentials_that_cannot_be_stored_are_not_applied) {
  Device d;
  d.hal.link.set_site_wifi(true, "SiteNet", "secret123");
  BOOST_REQUIRE(d.firmware.start(ag63_config()) == Status::ok);
  d.hal.nvm.write_status = Status::data_loss;
  const SettingsResult r = d.firmware.apply_wifi("SiteNet", "secret123");
  BOOST_TEST(r.status == Status::data_loss);
  BOOST_TEST(reason_text(r.reason) == "could not store the Wi-Fi credentials");
  BOOST_TEST(d.firmware.wifi() == WifiCredentials{});
  d.idle_us(1 * kS);
  BOOST_TEST(d.hal.link.calls(LinkCall::wifi_join).empty());
}

BOOST_AUTO_TEST_CASE(stored_credentials_invalid_for_the_variant_are_not_used) {
  Device d;
  BOOST_REQUIRE(WifiStore(d.hal.nvm).save(credentials("my_net", "secret")) == Status::ok);
  BOOST_REQUIRE(d.firmware.start(ag63_config()) == Status::ok);
  BOOST_TEST(d.firmware.wifi() == WifiCredentials{});
  BOOST_TEST(d.hal.log.warnings == 2);  // no installation settings, and these
  d.idle_us(1 * kS);
  BOOST_TEST(d.hal.link.calls(LinkCall::wifi_join).empty());
}

BOOST_AUTO_TEST_CASE(factory_reset_erases_the_wifi_credentials) {
  Device d;
  d.hal.link.set_site_wifi(true, "SiteNet", "secret123");
  BOOST_REQUIRE(d.firmware.start(ag63_config()) == Status::ok);
  BOOST_REQUIRE(d.firmware.apply_wifi("SiteNet", "secret123").status == Status::ok);
  InstallationSettings s;
  s.fuse_a = 40.0f;
  BOOST_REQUIRE(d.firmware.apply_settings(s).status == Status::ok);
  d.idle_us(1 * kS);
  BOOST_REQUIRE(d.firmware.link_state() == LinkState::cloud);

  BOOST_TEST(d.firmware.factory_reset() == Status::ok);
  BOOST_TEST(d.firmware.wifi() == WifiCredentials{});
  const std::size_t joins = d.hal.link.calls(LinkCall::wifi_join).size();
  d.idle_us(kResetDarkUs + 5 * kS);
  BOOST_TEST(d.firmware.running());
  BOOST_TEST(d.firmware.wifi() == WifiCredentials{});
  BOOST_TEST(d.firmware.link_state() == LinkState::no_link);
  BOOST_TEST(d.hal.link.calls(LinkCall::wifi_join).size() == joins);

  d.firmware.stop();
  Firmware second(d.hal.hal());
  BOOST_REQUIRE(second.start(ag63_config()) == Status::ok);
  BOOST_TEST(second.wifi() == WifiCredentials{});
  BOOST_TEST((second.settings() == InstallationSettings{}));
  WifiCredentials stored;
  BOOST_TEST(WifiStore(d.hal.nvm).load(&stored) == Status::unavailable);
}

// One datagram as the balancer receives it, with what the test saw when it was sent.
struct Sent {
  std::uint64_t time_us;
  TelemetryReport report;
  Measurements measurements;  // the firmware's, right after the poll that sent it
  std::uint64_t window_first_seen_us;
};

// Runs `d` half by half for `us`, decoding each datagram the firmware sends. `first_seen` keeps
// the time of the first poll at which each window was visible, as the test saw it.
std::vector<Sent> run_collecting(Device& d, test::SignalGenerator& gen, std::uint64_t us,
                                 std::map<std::uint32_t, std::uint64_t>& first_seen) {
  std::vector<Sent> sent;
  std::size_t sends_seen = d.hal.link.calls(LinkCall::send).size();
  for (std::uint64_t t = 0; t < us; t += kHalfUs) {
    d.run(gen, 1);
    const Measurements& m = d.firmware.measurements();
    if (m.window_count != 0 && first_seen.count(m.window_count) == 0) {
      first_seen[m.window_count] = d.hal.clock.now_us();
    }
    const std::vector<LinkEvent> sends = d.hal.link.calls(LinkCall::send);
    for (; sends_seen < sends.size(); ++sends_seen) {
      const LinkEvent& e = sends[sends_seen];
      Sent s{e.time_us, {}, m, first_seen[m.window_count]};
      BOOST_TEST(e.status == Status::ok);
      BOOST_TEST(decode_telemetry(Span<const std::uint8_t>(e.datagram.data(), e.datagram.size()),
                                  &s.report));
      sent.push_back(s);
    }
  }
  return sent;
}

// Each datagram's values against the firmware's own measurements at that moment (exactly, after
// rounding) and, once the windows follow the mains cycles, against the plant (within the
// quantisation tolerance). The window that hands over from free-running to synchronised windows
// is neither whole cycles nor nominal: its values are the metering's business, not telemetry's.
void check_content(const Sent& s, const FirmwareConfig& config, const Plant& plant,
                   const double sign[3]) {
  const double cos_lag = std::cos(test::deg_to_rad(plant.load_deg));
  for (int p = 0; p < kPhases; ++p) {
    BOOST_TEST_CONTEXT("L" << p + 1) {
      const PhaseMeasurement& m = s.measurements.phase[p];
      BOOST_TEST(s.report.current_ma[p] ==
                 static_cast<std::int32_t>(std::lround(sign[p] * 1000.0 * m.current_a)));
      BOOST_TEST(s.report.power_w[p] == static_cast<std::int32_t>(std::lround(m.power_w)));
      if (!s.measurements.synchronised) continue;
      const double gain_v = config.metering.voltage[p].gain;
      const double gain_i = config.metering.current[p].gain;
      const double i_a = plant.current_a[p];
      const double expected_ma = sign[p] * 1000.0 * i_a;
      const double tolerance_ma = 1000.0 * test::rms_tolerance(gain_i, i_a) + 0.5;
      BOOST_TEST(std::fabs(s.report.current_ma[p] - expected_ma) <= tolerance_ma,
                 "current_ma " << s.report.current_ma[p] << ", expected " << expected_ma << " +- "
                               << tolerance_ma);
      const double expected_w = sign[p] * plant.voltage_v * i_a * std::fabs(cos_lag);
      const double tolerance_w = test::power_tolerance(gain_v, gain_i, plant.voltage_v, i_a) + 0.5;
      BOOST_TEST(std::fabs(s.report.power_w[p] - expected_w) <= tolerance_w,
                 "power_w " << s.report.power_w[p] << ", expected " << expected_w << " +- "
                            << tolerance_w);
    }
  }
}

BOOST_AUTO_TEST_CASE(telemetry_every_period_while_in_the_cloud) {
  for (const std::uint32_t period_ms : {1000u, 250u}) {
    BOOST_TEST_CONTEXT("period " << period_ms << " ms") {
      Device d;
      d.hal.link.set_carrier(true);
      FirmwareConfig config = ag63_config();
      config.telemetry_period_ms = period_ms;
      BOOST_REQUIRE(d.firmware.start(config) == Status::ok);
      const Plant plant;
      test::SignalGenerator gen(50.0, test::kFs);
      drive(gen, config, plant);
      std::map<std::uint32_t, std::uint64_t> first_seen;
      const std::uint64_t run_us = 4 * kS;
      const std::vector<Sent> sent = run_collecting(d, gen, run_us, first_seen);
      BOOST_REQUIRE(!first_seen.empty());
      // The cloud was up from the first poll: the first datagram goes with the first window.
      const std::uint64_t first_us = first_seen.begin()->second;
      BOOST_TEST(first_us >= 200 * kMs);
      const std::size_t expected_count = (run_us - first_us) / (period_ms * kMs) + 1;
      BOOST_REQUIRE_EQUAL(sent.size(), expected_count);
      BOOST_TEST(d.firmware.telemetry_sent() == expected_count);
      const double import[3] = {1, 1, 1};
      for (std::size_t k = 0; k < sent.size(); ++k) {
        BOOST_TEST_CONTEXT("datagram " << k << ", window " << sent[k].measurements.window_count) {
          BOOST_TEST(sent[k].time_us == first_us + k * period_ms * kMs);
          BOOST_TEST(sent[k].report.sequence == k + 1);
          BOOST_TEST(sent[k].report.measured_at_us == sent[k].window_first_seen_us);
          BOOST_TEST(sent[k].report.measured_at_us <= sent[k].time_us);
          // Synchronised within 0.6 s (three windows): the plant checks cover the rest.
          if (sent[k].time_us >= 600 * kMs) BOOST_TEST(sent[k].measurements.synchronised);
          check_content(sent[k], config, plant, import);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(telemetry_current_is_negative_on_exporting_phases) {
  Plant export_all;
  export_all.load_deg = 180.0 - 20.0;  // the building feeds the grid on every phase
  Plant export_l2;
  export_l2.ct_reversed[1] = true;  // L2 measured the other way round: it reads as export
  const double all_export[3] = {-1, -1, -1};
  const double l2_export[3] = {1, -1, 1};
  const struct {
    const char* name;
    Plant plant;
    const double* sign;
  } cases[] = {{"all phases export", export_all, all_export}, {"L2 exports", export_l2, l2_export}};
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      Device d;
      d.hal.link.set_carrier(true);
      const FirmwareConfig config = ag63_config();
      BOOST_REQUIRE(d.firmware.start(config) == Status::ok);
      test::SignalGenerator gen(50.0, test::kFs);
      drive(gen, config, c.plant);
      std::map<std::uint32_t, std::uint64_t> first_seen;
      const std::vector<Sent> sent = run_collecting(d, gen, 2500 * kMs, first_seen);
      BOOST_REQUIRE_EQUAL(sent.size(), 3u);
      BOOST_TEST(sent.back().measurements.synchronised);  // so the plant checks ran
      for (const Sent& s : sent) check_content(s, config, c.plant, c.sign);
    }
  }
}

BOOST_AUTO_TEST_CASE(no_telemetry_outside_the_cloud_and_a_new_grid_after_reconnecting) {
  // The cloud refuses every attempt: blue LED, no datagram.
  {
    Device d;
    d.hal.link.set_carrier(true);
    d.hal.link.cloud_default = {false, 0};
    const FirmwareConfig config = ag63_config();
    BOOST_REQUIRE(d.firmware.start(config) == Status::ok);
    test::SignalGenerator gen(50.0, test::kFs);
    drive(gen, config, Plant{});
    d.run_us(gen, 3 * kS);
    BOOST_TEST(d.firmware.measurements().window_count >= 10u);
    BOOST_TEST(d.firmware.link_state() == LinkState::local_network);
    BOOST_TEST(d.hal.link.calls(LinkCall::send).empty());
    BOOST_TEST(d.firmware.telemetry_sent() == 0u);
    BOOST_TEST(d.hal.leds.state(LedId::comm) == LedColour::blue);
  }
  // In the cloud, then dropped for one failed attempt: nothing while out; at once when back.
  Device d;
  d.hal.link.set_carrier(true);
  const FirmwareConfig config = ag63_config();
  BOOST_REQUIRE(d.firmware.start(config) == Status::ok);
  test::SignalGenerator gen(50.0, test::kFs);
  drive(gen, config, Plant{});
  std::map<std::uint32_t, std::uint64_t> first_seen;
  std::vector<Sent> before = run_collecting(d, gen, 1500 * kMs, first_seen);
  BOOST_REQUIRE_EQUAL(before.size(), 2u);
  d.hal.link.cloud_script.push_back({false, 300 * kMs});
  d.hal.link.drop_cloud();
  const std::uint64_t drop_us = d.hal.clock.now_us();
  const std::vector<Sent> after = run_collecting(d, gen, 4 * kS, first_seen);
  // Seen at the next poll; 1 s backoff; 0.3 s of a failed attempt; 2 s backoff; connected.
  const std::uint64_t reconnect_us = drop_us + kHalfUs + 1 * kS + 300 * kMs + 2 * kS;
  const std::vector<std::uint64_t> opens = d.hal.link.times(LinkCall::cloud_open);
  BOOST_REQUIRE_EQUAL(opens.size(), 3u);
  BOOST_TEST(opens.back() == reconnect_us);
  BOOST_REQUIRE(!after.empty());
  BOOST_TEST(after.front().time_us == reconnect_us);
  BOOST_TEST(after.front().report.sequence == 3u);
  for (const Sent& s : after) BOOST_TEST(s.time_us >= reconnect_us);
}

BOOST_AUTO_TEST_CASE(telemetry_restarts_its_sequence_after_a_reboot) {
  Device d;
  d.hal.link.set_carrier(true);
  const FirmwareConfig config = ag63_config();
  BOOST_REQUIRE(d.firmware.start(config) == Status::ok);
  test::SignalGenerator gen(50.0, test::kFs);
  drive(gen, config, Plant{});
  std::map<std::uint32_t, std::uint64_t> first_seen;
  BOOST_REQUIRE_EQUAL(run_collecting(d, gen, 2500 * kMs, first_seen).size(), 3u);
  d.firmware.reboot();
  BOOST_TEST(d.firmware.telemetry_sent() == 3u);  // dark, not yet booted
  first_seen.clear();
  const std::vector<Sent> sent = run_collecting(d, gen, kResetDarkUs + 1500 * kMs, first_seen);
  BOOST_REQUIRE(!sent.empty());
  BOOST_TEST(sent.front().report.sequence == 1u);
  BOOST_TEST(d.firmware.telemetry_sent() == sent.size());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace amprig::fw
