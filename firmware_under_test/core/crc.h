#pragma once
// The checksums of the firmware's byte formats. Bitwise, no tables: the records and datagrams
// are tens of bytes, and the flash a table would take is better spent elsewhere.
#include <cstddef>
#include <cstdint>

namespace amprig::fw {

// CRC-32 (IEEE 802.3: reflected, polynomial 0xEDB88320, init and final xor 0xFFFFFFFF).
// Check value: "123456789" -> 0xCBF43926. Guards the NVM records.
std::uint32_t crc32(const std::uint8_t* data, std::size_t size);

// CRC-16/CCITT-FALSE (polynomial 0x1021, init 0xFFFF, not reflected, no final xor).
// Check value: "123456789" -> 0x29B1. Guards the 42-byte telemetry
// datagram, whose layout leaves two bytes for a check.
std::uint16_t crc16_ccitt(const std::uint8_t* data, std::size_t size);

}  // namespace amprig::fw
