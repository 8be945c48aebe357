#include "connectivity/wifi_store.h"

#include <cstring>

namespace amprig::fw {
namespace {

// Payload of the "AMPW" record (RecordStore header before it, CRC after it), offsets within
// the record:
//  12  ssid length      u8   0..30 (0: no site Wi-Fi)
//  13  ssid             30 bytes, zero after its length
//  43  password length  u8   0..30
//  44  password         30 bytes, zero after its length
//  74  CRC-32; the record is 78 bytes
constexpr std::size_t kFieldBytes = 1 + kWifiFieldMax;
constexpr std::uint16_t kPayloadBytes = 2 * kFieldBytes;

bool field_valid(const std::uint8_t* f) {
  const std::size_t length = f[0];
  if (length > kWifiFieldMax) return false;
  for (std::size_t i = 0; i < kWifiFieldMax; ++i) {
    // A NUL inside would silently shorten the field; stray bytes after it are not ours.
    if ((f[1 + i] == 0) != (i >= length)) return false;
  }
  return true;
}

bool payload_valid(const std::uint8_t* p) { return field_valid(p) && field_valid(p + kFieldBytes); }

constexpr RecordFormat kFormat{
    0x57504D41,  // "AMPW" in memory order
    1,           // layout version
    kPayloadBytes,
    WifiStore::kFirstPage,
    &payload_valid,
};

// The length of `text` if it fits a field, otherwise kWifiFieldMax + 1.
std::size_t field_length(const char (&text)[kWifiFieldMax + 1]) {
  std::size_t n = 0;
  while (n <= kWifiFieldMax && text[n] != '\0') ++n;
  return n;
}

void encode_field(const char (&text)[kWifiFieldMax + 1], std::size_t length, std::uint8_t* f) {
  std::memset(f, 0, kFieldBytes);
  f[0] = static_cast<std::uint8_t>(length);
  std::memcpy(f + 1, text, length);
}

void decode_field(const std::uint8_t* f, char (&text)[kWifiFieldMax + 1]) {
  std::memset(text, 0, sizeof text);
  std::memcpy(text, f + 1, f[0]);
}

}  // namespace

WifiStore::WifiStore(hal::Nvm& nvm) : m_records(nvm, kFormat) {}

Status WifiStore::load(WifiCredentials* out) {
  std::uint8_t payload[kPayloadBytes];
  const Status status = m_records.load(Span<std::uint8_t>(payload));
  *out = WifiCredentials{};
  if (status == Status::ok) {
    decode_field(payload, out->ssid);
    decode_field(payload + kFieldBytes, out->password);
  }
  return status;
}

Status WifiStore::save(const WifiCredentials& wifi) {
  const std::size_t ssid_length = field_length(wifi.ssid);
  const std::size_t password_length = field_length(wifi.password);
  if (ssid_length > kWifiFieldMax || password_length > kWifiFieldMax) {
    return Status::invalid_argument;
  }
  std::uint8_t payload[kPayloadBytes];
  encode_field(wifi.ssid, ssid_length, payload);
  encode_field(wifi.password, password_length, payload + kFieldBytes);
  return m_records.save(Span<const std::uint8_t>(payload));
}

Status WifiStore::factory_reset() { return m_records.factory_reset(); }

}  // namespace amprig::fw
