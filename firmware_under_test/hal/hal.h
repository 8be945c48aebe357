#pragma once
// The firmware core's only window on the world. Each interface is small and is
// injected by reference; the rig implements them with SystemC models, the tests
// with fakes that record timestamped events, the product with its drivers.
#include <cstddef>
#include <cstdint>

#include "core/span.h"
#include "core/status.h"

namespace amprig::fw::hal {

// ADC codes are unsigned: the analog front end biases every input to mid-scale.
using AdcCode = std::uint16_t;

// Channel order inside one interleaved sample frame.
enum AdcChannel : std::uint8_t { kV1 = 0, kV2, kV3, kI1, kI2, kI3, kAdcChannels };

struct AdcConfig {
  std::uint32_t sample_rate_hz = 6400;
  std::uint8_t channels = kAdcChannels;
};

// Called from the DMA interrupt: the half of the circular buffer named has
// just been filled and will not be written again until the other half is.
class AdcDmaClient {
 public:
  virtual void on_half_complete() = 0;  // frames [0, n/2) are ready
  virtual void on_full_complete() = 0;  // frames [n/2, n) are ready

 protected:
  ~AdcDmaClient() = default;
};

class AdcDma {
 public:
  virtual ~AdcDma() = default;
  // Starts circular DMA of interleaved frames into `buffer`, whose length must
  // be a non-zero multiple of 2 * config.channels.
  virtual Status start(const AdcConfig& config, Span<AdcCode> buffer, AdcDmaClient& client) = 0;
  virtual void stop() = 0;
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::uint64_t now_us() const = 0;
};

enum class LedId : std::uint8_t { logo, comm, voltage, current };
enum class LedColour : std::uint8_t { off, on, green, blue, red };

class Leds {
 public:
  virtual ~Leds() = default;
  virtual void set(LedId led, LedColour colour) = 0;
};

// Byte-addressed non-volatile memory with erase-before-write pages.
class Nvm {
 public:
  virtual ~Nvm() = default;
  virtual std::size_t size_bytes() const = 0;
  virtual std::size_t page_bytes() const = 0;
  virtual Status read(std::size_t offset, Span<std::uint8_t> out) = 0;
  virtual Status write(std::size_t offset, Span<const std::uint8_t> data) = 0;
  virtual Status erase_page(std::size_t offset) = 0;
};

// The device's network interfaces, driven step by step by the firmware's connectivity state
// machine: each call starts something, and the getters tell how far it has come. Nothing blocks.
enum class Uplink : std::uint8_t { none, lan, wifi };
enum class CloudState : std::uint8_t { closed, connecting, connected, failed };

class NetworkLink {
 public:
  virtual ~NetworkLink() = default;
  // A LAN cable with carrier is plugged in.
  virtual bool lan_carrier() const = 0;
  // Wi-Fi station: starts associating with the site network. wifi_associated() turns true once
  // it has succeeded; with a wrong password, too weak a signal or no 2.4 GHz network it never
  // does. wifi_leave() drops the association.
  virtual void wifi_join(const char* ssid, const char* password) = 0;
  virtual void wifi_leave() = 0;
  virtual bool wifi_associated() const = 0;
  // DHCP on one uplink: a request starts a lease attempt (and drops any lease on the other
  // uplink); dhcp_bound() once an address is held. A lost carrier or association drops it.
  virtual void dhcp_start(Uplink via) = 0;
  virtual bool dhcp_bound() const = 0;
  // The cloud session over the bound uplink. A session that cannot be set up, or that the
  // network drops, ends in CloudState::failed until the next cloud_open() or cloud_close().
  virtual void cloud_open() = 0;
  virtual void cloud_close() = 0;
  virtual CloudState cloud_state() const = 0;
  // One telemetry datagram over the cloud session; Status::unavailable without one.
  virtual Status send(Span<const std::uint8_t> datagram) = 0;
  // The device's own access point for local administration (`ssid` only read when on).
  virtual void access_point(bool on, const char* ssid) = 0;
};

class Button {
 public:
  virtual ~Button() = default;
  virtual bool pressed() const = 0;
};

// The sensor cartridge's presence contact (ag63); older variants report it always present.
class CartridgeSense {
 public:
  virtual ~CartridgeSense() = default;
  virtual bool present() const = 0;
};

enum class LogLevel : std::uint8_t { debug, info, warning, error };

class Log {
 public:
  virtual ~Log() = default;
  virtual void write(LogLevel level, const char* message) = 0;
};

struct Hal {
  AdcDma& adc;
  Clock& clock;
  Leds& leds;
  Nvm& nvm;
  NetworkLink& link;
  Button& button;
  CartridgeSense& cartridge;
  Log& log;
};

}  // namespace amprig::fw::hal
