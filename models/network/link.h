#pragma once
// One direction of a network path carrying messages of type T: latency, jitter, random loss,
// scheduled outages, a manual "down" switch, and a "frozen" fault that keeps delivering the
// last message sent before it struck instead of new ones. Deterministic: every random draw
// comes from the seed. Messages arrive in the order they were sent.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "common/rng.h"

namespace amprig::models {

struct Outage {
  double start_s = 0;
  double duration_s = 0;
};

struct LinkConfig {
  double latency_s = 0.05;  // one way
  double jitter_s = 0;      // extra delay, uniform in [0, jitter_s]; order is kept
  double loss_pct = 0;      // each message independently
  bool down = false;        // fault: nothing gets through
  bool frozen = false;      // fault: each send delivers the last message sent before the freeze
  std::vector<Outage> outages;
};

template <typename T>
class Link {
 public:
  Link(const LinkConfig& config, std::uint64_t seed);
  static std::string check(const LinkConfig& config);  // empty when valid

  LinkConfig& config();
  const LinkConfig& config() const;
  // Down by the switch or inside a scheduled outage at now_s.
  bool down_at(double now_s) const;

  // Offers a message at now_s; it is dropped when the link is down or the message is lost.
  void send(const T& message, double now_s);
  // The next message whose delivery time is <= now_s; false when none is due.
  bool receive(double now_s, T* out);
  // Drops everything in flight (the far end restarted).
  void clear();

  std::uint64_t sent() const;
  std::uint64_t delivered() const;
  std::uint64_t lost() const;  // dropped by loss, down or outage

 private:
  struct InFlight {
    double due_s;
    T message;
  };

  LinkConfig m_config;
  Xoshiro256ss m_rng;
  std::deque<InFlight> m_in_flight;  // in send order; due times never decrease
  // The latest due time handed out: a message is never due before an earlier one, even after
  // that one has been received.
  double m_last_due_s = -std::numeric_limits<double>::infinity();
  std::optional<T> m_last_unfrozen;  // the last message offered while not frozen
  std::uint64_t m_sent = 0;
  std::uint64_t m_delivered = 0;
  std::uint64_t m_lost = 0;
};

// A template: the implementation is in the header.

template <typename T>
Link<T>::Link(const LinkConfig& config, std::uint64_t seed) : m_config(config), m_rng(seed) {
  if (const std::string problem = check(m_config); !problem.empty()) {
    throw std::invalid_argument("link: " + problem);
  }
}

template <typename T>
std::string Link<T>::check(const LinkConfig& config) {
  if (!(config.latency_s >= 0) || !std::isfinite(config.latency_s)) {
    return "latency_s must be finite and >= 0";
  }
  if (!(config.jitter_s >= 0) || !std::isfinite(config.jitter_s)) {
    return "jitter_s must be finite and >= 0";
  }
  if (!(config.loss_pct >= 0 && config.loss_pct <= 100)) return "loss_pct must be in [0, 100]";
  for (std::size_t k = 0; k < config.outages.size(); ++k) {
    const Outage& o = config.outages[k];
    if (!std::isfinite(o.start_s)) {
      return "outages[" + std::to_string(k) + "].start_s must be finite";
    }
    if (!(o.duration_s > 0)) return "outages[" + std::to_string(k) + "].duration_s must be > 0";
  }
  return {};
}

template <typename T>
LinkConfig& Link<T>::config() {
  return m_config;
}

template <typename T>
const LinkConfig& Link<T>::config() const {
  return m_config;
}

template <typename T>
bool Link<T>::down_at(double now_s) const {
  if (m_config.down) return true;
  for (const Outage& o : m_config.outages) {
    if (now_s >= o.start_s && now_s < o.start_s + o.duration_s) return true;
  }
  return false;
}

template <typename T>
void Link<T>::send(const T& message, double now_s) {
  ++m_sent;
  // Both draws are made for every message, whatever becomes of it, so a fault or a changed loss
  // rate leaves the fate of every other message as it was under the same seed.
  const bool unlucky = m_rng.uniform() < m_config.loss_pct / 100;
  const double jitter_s = m_rng.uniform() * m_config.jitter_s;

  const T* payload = &message;
  if (m_config.frozen) {
    payload = m_last_unfrozen ? &*m_last_unfrozen : nullptr;
  } else {
    m_last_unfrozen = message;
  }
  // A frozen link with nothing to repeat swallows the message; it counts as lost so that
  // sent = delivered + lost + in flight always holds.
  if (payload == nullptr || unlucky || down_at(now_s)) {
    ++m_lost;
    return;
  }
  const double due_s = std::max(now_s + m_config.latency_s + jitter_s, m_last_due_s);
  m_last_due_s = due_s;
  m_in_flight.push_back({due_s, *payload});
}

template <typename T>
bool Link<T>::receive(double now_s, T* out) {
  if (m_in_flight.empty() || !(m_in_flight.front().due_s <= now_s)) return false;
  if (out != nullptr) *out = std::move(m_in_flight.front().message);
  m_in_flight.pop_front();
  ++m_delivered;
  return true;
}

template <typename T>
void Link<T>::clear() {
  // What was in flight never arrives: lost, for the counters.
  m_lost += m_in_flight.size();
  m_in_flight.clear();
  m_last_due_s = -std::numeric_limits<double>::infinity();
}

template <typename T>
std::uint64_t Link<T>::sent() const {
  return m_sent;
}

template <typename T>
std::uint64_t Link<T>::delivered() const {
  return m_delivered;
}

template <typename T>
std::uint64_t Link<T>::lost() const {
  return m_lost;
}

}  // namespace amprig::models
