#pragma once
// Fakes of the firmware's HAL: they record what the firmware asks for, stamped with the fake
// clock's time, and let the test play the hardware (fill a DMA half, raise its interrupt).
#include <cstdint>
#include <cstring>
#include <deque>
#include <limits>
#include <string>
#include <vector>

#include "hal/hal.h"

namespace amprig::fw::test {

class FakeClock final : public hal::Clock {
 public:
  std::uint64_t now_us() const override { return m_now_us; }
  void advance_us(std::uint64_t us) { m_now_us += us; }

 private:
  std::uint64_t m_now_us = 0;
};

class FakeAdcDma final : public hal::AdcDma {
 public:
  Status start(const hal::AdcConfig& config, Span<hal::AdcCode> buffer,
               hal::AdcDmaClient& client) override {
    ++starts;
    this->config = config;
    this->buffer = buffer;
    this->client = &client;
    return start_status;
  }
  void stop() override {
    ++stops;
    client = nullptr;
  }

  // Plays one DMA half: the test fills it, the "interrupt" tells the client.
  Span<hal::AdcCode> half(int which) const {
    const std::size_t n = buffer.size() / 2;
    return buffer.subspan(static_cast<std::size_t>(which) * n, n);
  }
  void complete(int which) const {
    if (which == 0) {
      client->on_half_complete();
    } else {
      client->on_full_complete();
    }
  }

  Status start_status = Status::ok;
  int starts = 0;
  int stops = 0;
  hal::AdcConfig config{};
  Span<hal::AdcCode> buffer{};
  hal::AdcDmaClient* client = nullptr;
};

struct LedEvent {
  std::uint64_t time_us;
  hal::LedId led;
  hal::LedColour colour;
};

class FakeLeds final : public hal::Leds {
 public:
  explicit FakeLeds(const hal::Clock& clock) : m_clock(clock) {}
  void set(hal::LedId led, hal::LedColour colour) override {
    events.push_back({m_clock.now_us(), led, colour});
    m_state[static_cast<int>(led)] = colour;
  }
  hal::LedColour state(hal::LedId led) const { return m_state[static_cast<int>(led)]; }

  std::vector<LedEvent> events;

 private:
  const hal::Clock& m_clock;
  hal::LedColour m_state[4]{};
};

class FakeNvm final : public hal::Nvm {
 public:
  std::size_t size_bytes() const override { return sizeof(m_bytes); }
  std::size_t page_bytes() const override { return 256; }
  Status read(std::size_t offset, Span<std::uint8_t> out) override {
    if (offset + out.size() > sizeof(m_bytes)) return Status::out_of_range;
    std::memcpy(out.data(), m_bytes + offset, out.size());
    return Status::ok;
  }
  Status write(std::size_t offset, Span<const std::uint8_t> data) override {
    if (write_status != Status::ok) return write_status;
    if (offset + data.size() > sizeof(m_bytes)) return Status::out_of_range;
    std::memcpy(m_bytes + offset, data.data(), data.size());
    ++writes;
    return Status::ok;
  }
  Status erase_page(std::size_t offset) override {
    if (write_status != Status::ok) return write_status;
    if (offset >= sizeof(m_bytes)) return Status::out_of_range;
    std::memset(m_bytes + offset - offset % 256, 0xFF, 256);
    ++erases;
    return Status::ok;
  }
  std::vector<std::uint8_t> contents() const { return {m_bytes, m_bytes + sizeof(m_bytes)}; }

  Status write_status = Status::ok;  // anything else: every write and erase fails with it
  int writes = 0;
  int erases = 0;

 private:
  std::uint8_t m_bytes[4096]{};
};

// What the firmware asked of the network, in the order it asked.
enum class LinkCall : std::uint8_t {
  wifi_join,
  wifi_leave,
  dhcp_start,
  cloud_open,
  cloud_close,
  send,
  access_point,
};

struct LinkEvent {
  std::uint64_t time_us = 0;
  LinkCall call = LinkCall::send;
  hal::Uplink via = hal::Uplink::none;  // dhcp_start
  bool on = false;                      // access_point
  std::string ssid;                     // wifi_join, access_point (when on)
  std::string password;                 // wifi_join
  std::vector<std::uint8_t> datagram;   // send
  Status status = Status::ok;           // what send returned
};

// How the cloud answers one cloud_open(): connecting for `after_us`, then connected or failed.
struct CloudOutcome {
  static constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();
  bool connects = true;
  std::uint64_t after_us = 0;  // kNever: connecting for ever
};

// A site network the test scripts: the LAN cable, the site Wi-Fi, the DHCP servers and the
// cloud, each step completing after a delay on the fake clock. Every call is recorded.
class FakeLink final : public hal::NetworkLink {
 public:
  explicit FakeLink(const hal::Clock& clock) : m_clock(clock) {}

  // ---- The network, as the test plays it ----
  // Pulling the cable drops a lease held on the LAN.
  void set_carrier(bool on) {
    m_carrier = on;
    if (!on && m_lease_via == hal::Uplink::lan) m_lease_via = hal::Uplink::none;
  }
  // The site Wi-Fi: a join with exactly these credentials associates join_delay_us later, a join
  // with any others never. Switching it off drops the association and a lease held over it.
  void set_site_wifi(bool on, const std::string& ssid = "", const std::string& password = "") {
    m_site_on = on;
    m_site_ssid = ssid;
    m_site_password = password;
    if (!on) drop_association();
  }
  std::uint64_t join_delay_us = 0;
  bool dhcp_on_lan = true;  // a DHCP server answers on that uplink
  bool dhcp_on_wifi = true;
  std::uint64_t dhcp_delay_us = 0;
  // Each cloud_open() takes the next outcome from the script, then the default.
  std::deque<CloudOutcome> cloud_script;
  CloudOutcome cloud_default{};
  // The cloud ends the session in progress: failed until the next cloud_open() or cloud_close().
  void drop_cloud() { m_cloud_dropped = true; }

  // ---- What the firmware did ----
  std::vector<LinkEvent> events;
  std::vector<LinkEvent> calls(LinkCall call) const {
    std::vector<LinkEvent> out;
    for (const LinkEvent& e : events) {
      if (e.call == call) out.push_back(e);
    }
    return out;
  }
  std::vector<std::uint64_t> times(LinkCall call) const {
    std::vector<std::uint64_t> out;
    for (const LinkEvent& e : events) {
      if (e.call == call) out.push_back(e.time_us);
    }
    return out;
  }
  std::vector<LinkEvent> since(std::uint64_t time_us) const {
    std::vector<LinkEvent> out;
    for (const LinkEvent& e : events) {
      if (e.time_us >= time_us) out.push_back(e);
    }
    return out;
  }
  bool access_point_is_on() const { return m_ap_on; }

  // ---- hal::NetworkLink ----
  bool lan_carrier() const override { return m_carrier; }
  void wifi_join(const char* ssid, const char* password) override {
    LinkEvent e = event(LinkCall::wifi_join);
    e.ssid = ssid;
    e.password = password;
    events.push_back(e);
    drop_association();
    m_joined = true;
    m_join_ssid = ssid;
    m_join_password = password;
    m_join_us = m_clock.now_us();
  }
  void wifi_leave() override {
    events.push_back(event(LinkCall::wifi_leave));
    drop_association();
  }
  bool wifi_associated() const override {
    return m_joined && m_site_on && m_join_ssid == m_site_ssid &&
           m_join_password == m_site_password && m_clock.now_us() - m_join_us >= join_delay_us;
  }
  void dhcp_start(hal::Uplink via) override {
    LinkEvent e = event(LinkCall::dhcp_start);
    e.via = via;
    events.push_back(e);
    m_lease_via = via;
    m_lease_us = m_clock.now_us();
  }
  bool dhcp_bound() const override {
    switch (m_lease_via) {
      case hal::Uplink::lan:
        if (!m_carrier || !dhcp_on_lan) return false;
        break;
      case hal::Uplink::wifi:
        if (!wifi_associated() || !dhcp_on_wifi) return false;
        break;
      case hal::Uplink::none:
        return false;
    }
    return m_clock.now_us() - m_lease_us >= dhcp_delay_us;
  }
  void cloud_open() override {
    events.push_back(event(LinkCall::cloud_open));
    m_cloud_open = true;
    m_cloud_dropped = false;
    if (cloud_script.empty()) {
      m_outcome = cloud_default;
    } else {
      m_outcome = cloud_script.front();
      cloud_script.pop_front();
    }
    m_open_us = m_clock.now_us();
  }
  void cloud_close() override {
    events.push_back(event(LinkCall::cloud_close));
    m_cloud_open = false;
  }
  hal::CloudState cloud_state() const override {
    if (!m_cloud_open) return hal::CloudState::closed;
    if (m_cloud_dropped || !dhcp_bound()) return hal::CloudState::failed;
    if (m_outcome.after_us == CloudOutcome::kNever ||
        m_clock.now_us() - m_open_us < m_outcome.after_us) {
      return hal::CloudState::connecting;
    }
    return m_outcome.connects ? hal::CloudState::connected : hal::CloudState::failed;
  }
  Status send(Span<const std::uint8_t> datagram) override {
    LinkEvent e = event(LinkCall::send);
    e.datagram.assign(datagram.begin(), datagram.end());
    e.status = cloud_state() == hal::CloudState::connected ? Status::ok : Status::unavailable;
    events.push_back(e);
    return e.status;
  }
  void access_point(bool on, const char* ssid) override {
    LinkEvent e = event(LinkCall::access_point);
    e.on = on;
    if (on) e.ssid = ssid;
    events.push_back(e);
    m_ap_on = on;
  }

 private:
  LinkEvent event(LinkCall call) const {
    LinkEvent e;
    e.time_us = m_clock.now_us();
    e.call = call;
    return e;
  }
  void drop_association() {
    m_joined = false;
    if (m_lease_via == hal::Uplink::wifi) m_lease_via = hal::Uplink::none;
  }

  const hal::Clock& m_clock;
  bool m_carrier = false;
  bool m_site_on = false;
  std::string m_site_ssid;
  std::string m_site_password;
  bool m_joined = false;
  std::string m_join_ssid;
  std::string m_join_password;
  std::uint64_t m_join_us = 0;
  hal::Uplink m_lease_via = hal::Uplink::none;
  std::uint64_t m_lease_us = 0;
  bool m_cloud_open = false;
  bool m_cloud_dropped = false;
  CloudOutcome m_outcome{};
  std::uint64_t m_open_us = 0;
  bool m_ap_on = false;
};

class FakeButton final : public hal::Button {
 public:
  bool pressed() const override { return is_pressed; }
  bool is_pressed = false;
};

class FakeCartridge final : public hal::CartridgeSense {
 public:
  bool present() const override { return is_present; }
  bool is_present = true;
};

class FakeLog final : public hal::Log {
 public:
  void write(hal::LogLevel level, const char*) override {
    ++lines;
    warnings += level >= hal::LogLevel::warning ? 1 : 0;
  }
  int lines = 0;
  int warnings = 0;  // and errors
};

// Everything a Firmware needs, wired together.
struct FakeHal {
  FakeClock clock;
  FakeAdcDma adc;
  FakeLeds leds{clock};
  FakeNvm nvm;
  FakeLink link{clock};
  FakeButton button;
  FakeCartridge cartridge;
  FakeLog log;
  hal::Hal hal() { return hal::Hal{adc, clock, leds, nvm, link, button, cartridge, log}; }
};

}  // namespace amprig::fw::test
