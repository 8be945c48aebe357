// The fault-injection points that are not also plain plant inputs: the neutral, the whole
// supply's level and its frequency drift, voltage harmonics, the ADC's own faults, brown-outs
// and NVM corruption. `amprig faults` lists them with the other faults (README "Fault catalogue").
#include <cmath>
#include <cstdio>

#include "connectivity/wifi_store.h"
#include "core/crc.h"
#include "core/le_bytes.h"
#include "rig/rig.h"
#include "rig/sim_log.h"
#include "settings/record_store.h"
#include "settings/settings_store.h"

namespace amprig {
namespace {

// Harmonic orders with a signal of their own, mains.h<N>_pct: the low orders that EN 50160
// sets limits for and that household rectifiers and motors make.
constexpr int kFirstHarmonic = 2;
constexpr int kLastHarmonic = 13;

const std::vector<std::string> kNvmTargets = {"none",          "settings.newest", "settings.older",
                                              "settings.both", "wifi.newest",     "wifi.older",
                                              "wifi.both"};

// The sequence number of the record in the slot at `offset` (RecordStore's layout), or -1 when
// the slot holds no record whose CRC checks: the firmware's own test, written out here again.
long long slot_sequence(RamNvm& nvm, std::size_t offset) {
  std::uint8_t r[fw::RecordStore::kHeaderBytes + fw::RecordStore::kMaxPayloadBytes +
                 fw::RecordStore::kCrcBytes];
  if (nvm.read(offset, fw::Span<std::uint8_t>(r, fw::RecordStore::kHeaderBytes)) !=
      fw::Status::ok) {
    return -1;
  }
  const std::size_t payload = fw::le::get_u16(r + 6);
  if (payload > fw::RecordStore::kMaxPayloadBytes) return -1;
  const std::size_t crc_offset = fw::RecordStore::kHeaderBytes + payload;
  if (nvm.read(offset, fw::Span<std::uint8_t>(r, crc_offset + fw::RecordStore::kCrcBytes)) !=
      fw::Status::ok) {
    return -1;
  }
  if (fw::le::get_u32(r + crc_offset) != fw::crc32(r, crc_offset)) return -1;
  return fw::le::get_u32(r + 8);
}

}  // namespace

void Rig::corrupt_nvm(const std::string& target) {
  if (target == "none") return;
  const auto dot = target.find('.');
  const std::string record = target.substr(0, dot);
  const std::string which = target.substr(dot + 1);
  const std::size_t first_page =
      record == "wifi" ? fw::WifiStore::kFirstPage : fw::SettingsStore::kFirstPage;
  const std::size_t page = m_nvm.page_bytes();
  const long long sequence[2] = {slot_sequence(m_nvm, first_page * page),
                                 slot_sequence(m_nvm, (first_page + 1) * page)};
  // The firmware's choice: the higher sequence among valid slots, slot 0 on a tie. Only valid
  // records are struck: flipping the same bits of a slot already corrupted would mend it.
  int newest = -1;
  for (int slot = 0; slot < 2; ++slot) {
    if (sequence[slot] >= 0 && (newest < 0 || sequence[slot] > sequence[newest])) newest = slot;
  }
  const int older = newest >= 0 && sequence[1 - newest] >= 0 ? 1 - newest : -1;
  std::vector<int> slots;
  if ((which == "newest" || which == "both") && newest >= 0) slots.push_back(newest);
  if ((which == "older" || which == "both") && older >= 0) slots.push_back(older);
  if (slots.empty()) {
    log_line(LogLevel::info, name(),
             "nvm: no valid " + record + " record (" + which + ") to corrupt");
    return;
  }
  const auto byte = static_cast<std::size_t>(m_nvm_corrupt_byte);
  const auto mask = static_cast<std::uint8_t>(m_nvm_corrupt_mask);
  for (const int slot : slots) {
    m_nvm.flip_bits((first_page + static_cast<std::size_t>(slot)) * page + byte, mask);
    ++m_nvm_corruptions;
    char line[128];
    std::snprintf(line, sizeof line, "nvm: %s slot %d (page %zu) byte %zu ^= 0x%02x",
                  record.c_str(), slot, first_page + static_cast<std::size_t>(slot), byte,
                  static_cast<unsigned>(mask));
    log_line(LogLevel::info, name(), line);
  }
}

void Rig::register_fault_signals() {
  auto& mains = m_mains;
  // Plant.
  m_signals.add(make_number(
      "mains.level", "",
      "the whole supply's voltage as a factor of nominal, on top of mains.Lx.level: a three-phase "
      "sag (<1, the residual voltage), swell (>1) or interruption (0)",
      [&mains] { return mains.config().common_level; },
      [&mains](double v) { mains.config().common_level = v; }, true, 0, 2));
  m_signals.add(make_number(
      "mains.frequency_drift_hz_per_s", "Hz/s",
      "the mains frequency moves at this rate from now on, holding at 45 and 65 Hz",
      [&mains] { return mains.config().frequency_drift_hz_per_s; },
      [&mains](double v) { mains.config().frequency_drift_hz_per_s = v; }, true, -10, 10));
  for (int order = kFirstHarmonic; order <= kLastHarmonic; ++order) {
    m_signals.add(make_number(
        "mains.h" + std::to_string(order) + "_pct", "%",
        "voltage harmonic " + std::to_string(order) + " in % of the fundamental, on every phase",
        [&mains, order] { return mains.harmonic_pct(order); },
        [&mains, order](double v) { mains.set_harmonic_pct(order, v); }, true, 0, 50));
  }
  m_signals.add(make_bool(
      "mains.neutral.lost",
      "TN: the building's neutral is cut upstream; the loads' star point floats by their "
      "impedances, and the voltage terminal measures against it",
      [this] { return m_plant.neutral_lost(); },
      [this](bool v) {
        if (v && m_mains.config().network == models::Network::it) {
          throw std::invalid_argument("mains.neutral.lost: an IT network has no neutral to lose");
        }
        m_plant.set_neutral_lost(v);
      },
      true));
  m_signals.add(make_number(
      "plant.neutral.voltage_v", "V",
      "true RMS voltage of the building's neutral against the supply's (0 unless it is lost)",
      [this] { return std::abs(m_plant.neutral_voltage_v()); }));

  // ADC.
  auto& adc = *m_adc;
  Signal stuck = make_number(
      "adc.stuck_bit", "bit",
      "an output bit of the ADC stuck on every channel (0 = LSB; -1: none), at adc.stuck_bit_value",
      [&adc] { return static_cast<double>(adc.config().stuck_bit); },
      [&adc](double v) { adc.config().stuck_bit = static_cast<int>(v); }, true, -1,
      static_cast<double>(adc.config().resolution_bits) - 1);
  stuck.integer = true;
  m_signals.add(std::move(stuck));
  m_signals.add(make_bool(
      "adc.stuck_bit_value", "the level adc.stuck_bit is stuck at (true/1 or false/0)",
      [&adc] { return adc.config().stuck_bit_value; },
      [&adc](bool v) { adc.config().stuck_bit_value = v; }, true));
  m_signals.add(make_number(
      "adc.clip_lsb", "LSB",
      "the front end saturates this many LSB either side of the bias, short of the ADC's range "
      "(0: not at all)",
      [&adc] { return adc.config().clip_lsb; }, [&adc](double v) { adc.config().clip_lsb = v; },
      true, 0, 65536));
  Signal drop = make_number(
      "adc.drop_buffers", "",
      "the next N DMA half-buffers are written but their interrupts missed: the firmware never "
      "sees them (reads: how many are still to drop)",
      [&adc] { return static_cast<double>(adc.buffers_to_drop()); },
      [&adc](double v) { adc.drop_buffers(static_cast<std::uint64_t>(v)); }, true, 0, 1e6);
  drop.integer = true;
  m_signals.add(std::move(drop));
  m_signals.add(make_number("adc.dropped_buffers", "", "DMA half-buffers dropped since start",
                            [&adc] { return static_cast<double>(adc.dropped_buffers()); }));
  m_signals.add(make_number(
      "adc.clock_jitter_ns", "ns",
      "RMS jitter of the sample clock, Gaussian, seeded from the scenario's seed; all channels "
      "share each edge",
      [&adc] { return adc.config().clock_jitter_ns; },
      [&adc](double v) { adc.config().clock_jitter_ns = v; }, true, 0, 1e6));

  // Device.
  m_signals.add(make_number(
      "device.brownout_ms", "ms",
      "the supply dips below the reset threshold for this long from now: the device goes dark "
      "and boots again (reads: what is left of the dip; 0 ends it)",
      [this] {
        const sc_core::sc_time now = sc_core::sc_time_stamp();
        if (!in_brownout() || m_brownout_until <= now) return 0.0;
        // In whole time-resolution units: a 300 ms dip reads 300, not 299.99999.
        return (m_brownout_until - now).value() /
               static_cast<double>(sc_core::sc_time(1, sc_core::SC_MS).value());
      },
      [this](double v) { brownout(v); }, true, 0, 3.6e6));
  m_signals.add(make_choice(
      "nvm.corrupt", kNvmTargets,
      "flips nvm.corrupt_mask at nvm.corrupt_byte of a stored record: the newest valid copy, the "
      "older valid one, or both (a slot without a valid copy is left alone); the firmware sees "
      "it at its next boot (reads: none)",
      [] { return std::string("none"); }, [this](const std::string& v) { corrupt_nvm(v); }, true));
  Signal byte = make_number(
      "nvm.corrupt_byte", "B",
      "where nvm.corrupt strikes: the byte's offset in the slot's page (12: the first payload "
      "byte)",
      [this] { return m_nvm_corrupt_byte; }, [this](double v) { m_nvm_corrupt_byte = v; }, true, 0,
      static_cast<double>(m_nvm.page_bytes()) - 1);
  byte.integer = true;
  m_signals.add(std::move(byte));
  Signal mask = make_number(
      "nvm.corrupt_mask", "", "the bits nvm.corrupt flips in that byte (1..255)",
      [this] { return m_nvm_corrupt_mask; }, [this](double v) { m_nvm_corrupt_mask = v; }, true, 1,
      255);
  mask.integer = true;
  m_signals.add(std::move(mask));
  m_signals.add(make_number("nvm.corruptions", "", "slots corrupted by nvm.corrupt since start",
                            [this] { return static_cast<double>(m_nvm_corruptions); }));
}

}  // namespace amprig
