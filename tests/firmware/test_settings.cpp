// Installation settings: validation, and the NVM store's record, slot alternation and power-cut
// safety on a flash fake that can lose power at any byte.
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <ostream>
#include <vector>

#include "board/board.h"
#include "cut_flash.h"
#include "printers.h"
#include "settings/installation.h"
#include "settings/settings_store.h"

namespace amprig::fw {

// Internal linkage: other test files may print settings their own way.
static std::ostream& operator<<(std::ostream& os, const InstallationSettings& s) {
  os << "{fuse_a " << s.fuse_a << ", network " << static_cast<int>(s.network)
     << ", supply_voltage_v " << s.supply_voltage_v << ", phase";
  for (const auto p : s.scheme.phase) os << ' ' << static_cast<int>(p);
  os << ", inverted";
  for (const bool i : s.scheme.inverted) os << ' ' << i;
  return os << '}';
}

namespace {

using test::CutFlash;

// The record as documented in settings_store.cpp; the test pins it independently.
constexpr std::size_t kRecordBytes = 31;
constexpr std::size_t kCrcOffset = 27;

// Reference CRC-32 (IEEE), checked against the standard check value below.
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

// Rewrites the CRC of the record in `slot` so that a deliberate edit passes as intact.
void reseal(CutFlash& flash, int slot) {
  std::uint8_t* r = flash.raw().data() + static_cast<std::size_t>(slot) * flash.page_bytes();
  put_u32(r + kCrcOffset, reference_crc32(r, kCrcOffset));
}

InstallationSettings make(float fuse_a, NetworkType network, float supply_voltage_v,
                          std::uint8_t p0, std::uint8_t p1, std::uint8_t p2, bool i0 = false,
                          bool i1 = false, bool i2 = false) {
  InstallationSettings s;
  s.fuse_a = fuse_a;
  s.network = network;
  s.supply_voltage_v = supply_voltage_v;
  s.scheme.phase[0] = p0;
  s.scheme.phase[1] = p1;
  s.scheme.phase[2] = p2;
  s.scheme.inverted[0] = i0;
  s.scheme.inverted[1] = i1;
  s.scheme.inverted[2] = i2;
  return s;
}

// Distinct in every field from each other, so a mix-up cannot pass.
const InstallationSettings kZ = make(16, NetworkType::tn, 230, 0, 1, 2);
const InstallationSettings kA = make(25, NetworkType::tn, 230, 1, 2, 0, true);
const InstallationSettings kB = make(32, NetworkType::it, 240, 2, 0, 1, false, true);
const InstallationSettings kC = make(40, NetworkType::tn, 220, 0, 2, 1, false, false, true);
const InstallationSettings kD = make(63, NetworkType::it, 235, 2, 1, 0, true, true, true);

bool contains(const char* text, const char* part) {
  return text != nullptr && std::strstr(text, part) != nullptr;
}

InstallationSettings load_after_reboot(CutFlash& flash, Status* status) {
  SettingsStore store(flash);
  InstallationSettings s = kD;  // overwritten either way
  *status = store.load(&s);
  return s;
}

const Variant kVariants[] = {Variant::ag63, Variant::home100, Variant::public400};

BOOST_AUTO_TEST_SUITE(settings)

// ---- check_settings ----

BOOST_AUTO_TEST_CASE(defaults_and_typical_installations_are_valid) {
  for (const Variant v : kVariants) {
    BOOST_TEST_CONTEXT("variant " << board_design(v).id) {
      BOOST_TEST(check_settings(InstallationSettings{}, board_design(v)) == nullptr);
      BOOST_TEST(check_settings(kA, board_design(v)) == nullptr);
      BOOST_TEST(check_settings(kC, board_design(v)) == nullptr);
    }
  }
  BOOST_TEST(check_settings(kB, board_design(Variant::ag63)) == nullptr);
  BOOST_TEST(check_settings(kD, board_design(Variant::ag63)) == nullptr);
  BOOST_TEST(check_settings(make(250, NetworkType::tn, 230, 0, 1, 2),
                            board_design(Variant::public400)) == nullptr);
  BOOST_TEST(check_settings(make(100, NetworkType::tn, 120, 0, 1, 2),
                            board_design(Variant::home100)) == nullptr);
}

BOOST_AUTO_TEST_CASE(fuse_outside_1_to_4000_a_is_rejected) {
  const BoardDesign& board = board_design(Variant::ag63);
  for (const float ok : {1.0f, 25.0f, 4000.0f}) {
    BOOST_TEST_CONTEXT("fuse_a " << ok) {
      BOOST_TEST(check_settings(make(ok, NetworkType::tn, 230, 0, 1, 2), board) == nullptr);
    }
  }
  const float bad[] = {0.0f,
                       std::nextafter(1.0f, 0.0f),
                       std::nextafter(4000.0f, 5000.0f),
                       -25.0f,
                       std::numeric_limits<float>::quiet_NaN(),
                       std::numeric_limits<float>::infinity(),
                       -std::numeric_limits<float>::infinity()};
  for (const float fuse_a : bad) {
    BOOST_TEST_CONTEXT("fuse_a " << fuse_a) {
      const char* reason = check_settings(make(fuse_a, NetworkType::tn, 230, 0, 1, 2), board);
      BOOST_TEST(contains(reason, "fuse_a"), "reason: " << (reason ? reason : "(none)"));
    }
  }
}

BOOST_AUTO_TEST_CASE(supply_voltage_outside_the_variants_range_is_rejected) {
  for (const Variant v : kVariants) {
    const BoardDesign& board = board_design(v);
    // The older variants specify 0 V as their minimum; a nominal supply starts at 50 V.
    const float lo = static_cast<float>(board.min_voltage_v > 50 ? board.min_voltage_v : 50);
    const float hi = static_cast<float>(board.max_voltage_v);
    BOOST_TEST_CONTEXT("variant " << board.id) {
      BOOST_TEST(check_settings(make(25, NetworkType::tn, lo, 0, 1, 2), board) == nullptr);
      BOOST_TEST(check_settings(make(25, NetworkType::tn, hi, 0, 1, 2), board) == nullptr);
      char range[64];
      std::snprintf(range, sizeof range, "between %g and %g V", lo, hi);
      const float bad[] = {std::nextafter(lo, 0.0f),
                           std::nextafter(hi, 1000.0f),
                           0.0f,
                           -230.0f,
                           std::numeric_limits<float>::quiet_NaN(),
                           std::numeric_limits<float>::infinity()};
      for (const float voltage_v : bad) {
        BOOST_TEST_CONTEXT("supply_voltage_v " << voltage_v) {
          const char* reason = check_settings(make(25, NetworkType::tn, voltage_v, 0, 1, 2), board);
          BOOST_TEST(contains(reason, "supply_voltage_v"),
                     "reason: " << (reason ? reason : "(none)"));
          BOOST_TEST(contains(reason, range), "reason: " << (reason ? reason : "(none)"));
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(it_networks_only_on_ag63_and_unknown_network_types_never) {
  const InstallationSettings it = make(25, NetworkType::it, 230, 0, 1, 2);
  BOOST_TEST(check_settings(it, board_design(Variant::ag63)) == nullptr);
  for (const Variant v : {Variant::home100, Variant::public400}) {
    BOOST_TEST_CONTEXT("variant " << board_design(v).id) {
      const char* reason = check_settings(it, board_design(v));
      BOOST_TEST(contains(reason, "network it"), "reason: " << (reason ? reason : "(none)"));
      BOOST_TEST(contains(reason, "ag63"));
    }
  }
  const InstallationSettings unknown = make(25, static_cast<NetworkType>(2), 230, 0, 1, 2);
  for (const Variant v : kVariants) {
    BOOST_TEST_CONTEXT("variant " << board_design(v).id) {
      BOOST_TEST(contains(check_settings(unknown, board_design(v)), "network"));
    }
  }
}

BOOST_AUTO_TEST_CASE(scheme_must_map_each_phase_to_exactly_one_input) {
  const BoardDesign& board = board_design(Variant::ag63);
  const std::uint8_t permutations[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                           {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  for (const auto& p : permutations) {
    for (int inverted = 0; inverted < 8; ++inverted) {
      const InstallationSettings s = make(25, NetworkType::tn, 230, p[0], p[1], p[2], inverted & 1,
                                          inverted & 2, inverted & 4);
      BOOST_TEST(check_settings(s, board) == nullptr, s);
    }
  }
  const std::uint8_t bad[][3] = {{0, 0, 2}, {1, 1, 1},   {2, 1, 2},
                                 {0, 1, 3}, {255, 1, 2}, {3, 4, 5}};
  for (const auto& p : bad) {
    const InstallationSettings s = make(25, NetworkType::tn, 230, p[0], p[1], p[2]);
    const char* reason = check_settings(s, board);
    BOOST_TEST(contains(reason, "scheme.phase"), s << " reason: " << (reason ? reason : "(none)"));
  }
}

BOOST_AUTO_TEST_CASE(equality_compares_every_field) {
  const InstallationSettings base = kA;
  BOOST_TEST(base == kA);
  BOOST_TEST(!(base != kA));
  InstallationSettings s = base;
  s.fuse_a = 26;
  BOOST_TEST(s != base);
  s = base;
  s.network = NetworkType::it;
  BOOST_TEST(s != base);
  s = base;
  s.supply_voltage_v = 231;
  BOOST_TEST(s != base);
  for (int k = 0; k < 3; ++k) {
    s = base;
    s.scheme.phase[k] = static_cast<std::uint8_t>((s.scheme.phase[k] + 1) % 3);
    BOOST_TEST(s != base, "phase " << k);
    s = base;
    s.scheme.inverted[k] = !s.scheme.inverted[k];
    BOOST_TEST(s != base, "inverted " << k);
  }
}

// ---- SettingsStore ----

BOOST_AUTO_TEST_CASE(reference_crc_is_crc32_ieee) {
  const char* check = "123456789";
  BOOST_TEST(reference_crc32(reinterpret_cast<const std::uint8_t*>(check), 9) == 0xcbf43926u);
}

BOOST_AUTO_TEST_CASE(blank_or_zeroed_flash_loads_defaults_as_unavailable) {
  for (const std::uint8_t fill : {std::uint8_t{0xff}, std::uint8_t{0x00}}) {
    BOOST_TEST_CONTEXT("flash filled with " << static_cast<int>(fill)) {
      CutFlash flash;
      std::fill(flash.raw().begin(), flash.raw().end(), fill);
      SettingsStore store(flash);
      InstallationSettings s = kD;
      BOOST_TEST(store.load(&s) == Status::unavailable);
      BOOST_TEST(s == InstallationSettings{});
      BOOST_TEST(store.sequence() == 0u);
    }
  }
}

BOOST_AUTO_TEST_CASE(record_layout_is_as_documented) {
  CutFlash flash;
  SettingsStore store(flash);
  const InstallationSettings s = make(40, NetworkType::it, 230, 2, 0, 1, true, false, true);
  BOOST_TEST(store.save(s) == Status::ok);
  std::uint8_t expected[kRecordBytes] = {
      0x41, 0x4d, 0x50, 0x53,  // magic "AMPS"
      0x01, 0x00,              // layout version 1
      0x0f, 0x00,              // payload length 15
      0x01, 0x00, 0x00, 0x00,  // sequence 1
      0x00, 0x00, 0x20, 0x42,  // fuse_a 40.0f
      0x01,                    // network it
      0x00, 0x00, 0x66, 0x43,  // supply_voltage_v 230.0f
      0x02, 0x00, 0x01,        // phase
      0x01, 0x00, 0x01,        // inverted
  };
  put_u32(expected + kCrcOffset, reference_crc32(expected, kCrcOffset));
  const std::vector<std::uint8_t>& raw = flash.raw();
  BOOST_TEST(std::vector<std::uint8_t>(raw.begin(), raw.begin() + kRecordBytes) ==
                 std::vector<std::uint8_t>(expected, expected + kRecordBytes),
             boost::test_tools::per_element());
  // The rest of the page and the other slot stay erased.
  for (std::size_t i = kRecordBytes; i < 2 * flash.page_bytes(); ++i) {
    BOOST_TEST(raw[i] == 0xff, "byte " << i);
  }
  BOOST_TEST(flash.bytes_touched() == flash.page_bytes() + kRecordBytes);
}

BOOST_AUTO_TEST_CASE(round_trip_through_a_reboot) {
  CutFlash flash;
  for (const InstallationSettings& s : {kZ, kA, kB, kC, kD, InstallationSettings{}}) {
    SettingsStore store(flash);
    BOOST_TEST(store.save(s) == Status::ok);
    Status status;
    const InstallationSettings got = load_after_reboot(flash, &status);
    BOOST_TEST(status == Status::ok);
    BOOST_TEST(got == s);
  }
  // Values the store does not judge (check_settings does) still round-trip bit-exactly.
  SettingsStore store(flash);
  const InstallationSettings odd = make(-0.0f, NetworkType::tn, 1e-30f, 7, 255, 0);
  BOOST_TEST(store.save(odd) == Status::ok);
  Status status;
  const InstallationSettings got = load_after_reboot(flash, &status);
  BOOST_TEST(status == Status::ok);
  BOOST_TEST(got == odd);
  BOOST_TEST(std::signbit(got.fuse_a));
}

BOOST_AUTO_TEST_CASE(saves_alternate_slots_with_growing_sequence) {
  CutFlash flash;
  SettingsStore store(flash);
  const std::size_t page = flash.page_bytes();
  const InstallationSettings all[] = {kZ, kA, kB, kC, kD};
  for (std::uint32_t i = 0; i < 5; ++i) {
    BOOST_TEST_CONTEXT("save " << i) {
      const std::vector<std::uint8_t> before = flash.raw();
      BOOST_TEST(store.save(all[i]) == Status::ok);
      BOOST_TEST(store.sequence() == i + 1);
      const std::size_t written = (i % 2) * page;
      const std::size_t kept = page - written;
      const std::uint8_t* r = flash.raw().data() + written;
      BOOST_TEST((r[8] | r[9] << 8 | r[10] << 16 | static_cast<std::uint32_t>(r[11]) << 24) ==
                 i + 1);
      // The slot holding the previous record is not touched.
      BOOST_TEST(std::memcmp(flash.raw().data() + kept, before.data() + kept, page) == 0);
      Status status;
      BOOST_TEST(load_after_reboot(flash, &status) == all[i]);
      SettingsStore rebooted(flash);
      InstallationSettings s;
      BOOST_TEST(rebooted.load(&s) == Status::ok);
      BOOST_TEST(rebooted.sequence() == i + 1);
    }
  }
}

BOOST_AUTO_TEST_CASE(save_without_load_still_goes_to_the_older_slot) {
  CutFlash flash;
  {
    SettingsStore store(flash);
    BOOST_TEST(store.save(kA) == Status::ok);
    BOOST_TEST(store.save(kB) == Status::ok);
  }
  SettingsStore fresh(flash);
  BOOST_TEST(fresh.save(kC) == Status::ok);
  BOOST_TEST(fresh.sequence() == 3u);
  Status status;
  BOOST_TEST(load_after_reboot(flash, &status) == kC);
}

BOOST_AUTO_TEST_CASE(any_corrupted_bit_or_byte_of_the_newest_record_falls_back_to_the_previous) {
  CutFlash flash;
  {
    SettingsStore store(flash);
    BOOST_TEST(store.save(kA) == Status::ok);  // slot 0
    BOOST_TEST(store.save(kB) == Status::ok);  // slot 1, newest
  }
  const std::vector<std::uint8_t> good = flash.raw();
  const std::size_t newest = flash.page_bytes();
  for (std::size_t i = 0; i < kRecordBytes; ++i) {
    for (int flip = 0; flip < 9; ++flip) {  // each single bit, then the whole byte
      const std::uint8_t mask = flip < 8 ? static_cast<std::uint8_t>(1u << flip) : 0xff;
      BOOST_TEST_CONTEXT("byte " << i << " xor " << static_cast<int>(mask)) {
        flash.raw() = good;
        flash.raw()[newest + i] ^= mask;
        SettingsStore store(flash);
        InstallationSettings s;
        BOOST_TEST(store.load(&s) == Status::ok);
        BOOST_TEST(s == kA);
        BOOST_TEST(store.sequence() == 1u);
      }
    }
  }
  // The older record's corruption does not matter while the newest is intact.
  for (std::size_t i = 0; i < kRecordBytes; ++i) {
    flash.raw() = good;
    flash.raw()[i] ^= 0xff;
    Status status;
    BOOST_TEST(load_after_reboot(flash, &status) == kB, "byte " << i);
  }
}

BOOST_AUTO_TEST_CASE(intact_crc_over_foreign_content_is_not_trusted) {
  struct Edit {
    const char* what;
    std::size_t offset;
    std::uint8_t value;
  };
  const Edit edits[] = {
      {"magic", 0, 0x42},      {"layout version 2", 4, 0x02}, {"payload length 16", 6, 16},
      {"network 2", 16, 0x02}, {"inverted[0] 2", 24, 0x02},   {"inverted[2] 0xff", 26, 0xff},
  };
  for (const Edit& e : edits) {
    BOOST_TEST_CONTEXT(e.what) {
      CutFlash flash;
      {
        SettingsStore store(flash);
        BOOST_TEST(store.save(kA) == Status::ok);
        BOOST_TEST(store.save(kB) == Status::ok);
      }
      flash.raw()[flash.page_bytes() + e.offset] = e.value;
      reseal(flash, 1);
      Status status;
      BOOST_TEST(load_after_reboot(flash, &status) == kA);
      BOOST_TEST(status == Status::ok);
    }
  }
}

BOOST_AUTO_TEST_CASE(equal_or_exhausted_sequences_are_handled) {
  CutFlash flash;
  {
    SettingsStore store(flash);
    BOOST_TEST(store.save(kA) == Status::ok);
    BOOST_TEST(store.save(kB) == Status::ok);
  }
  std::uint8_t* newest = flash.raw().data() + flash.page_bytes();
  // Equal sequences (never written by save) resolve to slot 0; a save then wins over both.
  put_u32(newest + 8, 1);
  reseal(flash, 1);
  Status status;
  BOOST_TEST(load_after_reboot(flash, &status) == kA);
  {
    SettingsStore store(flash);
    BOOST_TEST(store.save(kC) == Status::ok);
    BOOST_TEST(store.sequence() == 2u);
  }
  BOOST_TEST(load_after_reboot(flash, &status) == kC);

  // A sequence at its maximum cannot be outdone: the save is refused, the record kept.
  put_u32(newest + 8, std::numeric_limits<std::uint32_t>::max());
  reseal(flash, 1);
  SettingsStore store(flash);
  InstallationSettings s;
  BOOST_TEST(store.load(&s) == Status::ok);
  BOOST_TEST(s == kC);
  BOOST_TEST(store.save(kD) == Status::out_of_range);
  BOOST_TEST(load_after_reboot(flash, &status) == kC);
  // Factory reset is the way out.
  BOOST_TEST(store.factory_reset() == Status::ok);
  BOOST_TEST(store.save(kD) == Status::ok);
  BOOST_TEST(store.sequence() == 1u);
  BOOST_TEST(load_after_reboot(flash, &status) == kD);
}

BOOST_AUTO_TEST_CASE(flash_too_small_for_two_slots_is_refused) {
  struct Geometry {
    std::size_t size_bytes, page_bytes;
  };
  for (const Geometry g : {Geometry{1024, 16}, Geometry{256, 256}, Geometry{30, 30}}) {
    BOOST_TEST_CONTEXT(g.size_bytes << " bytes in pages of " << g.page_bytes) {
      CutFlash flash(g.size_bytes, g.page_bytes);
      SettingsStore store(flash);
      BOOST_TEST(store.save(kA) == Status::resource_exhausted);
      BOOST_TEST(store.factory_reset() == Status::resource_exhausted);
      BOOST_TEST(flash.bytes_touched() == 0u);
      InstallationSettings s = kD;
      BOOST_TEST(store.load(&s) == Status::unavailable);
      BOOST_TEST(s == InstallationSettings{});
    }
  }
  // Exactly two pages that each just hold a record are enough.
  CutFlash flash(2 * kRecordBytes, kRecordBytes);
  SettingsStore store(flash);
  BOOST_TEST(store.save(kA) == Status::ok);
  BOOST_TEST(store.save(kB) == Status::ok);
  Status status;
  BOOST_TEST(load_after_reboot(flash, &status) == kB);
}

BOOST_AUTO_TEST_CASE(a_byte_that_fails_to_program_is_caught_on_read_back) {
  CutFlash flash;
  {
    SettingsStore store(flash);
    BOOST_TEST(store.save(kA) == Status::ok);
  }
  flash.stuck_offset = flash.page_bytes() + 13;  // inside fuse_a of slot 1
  SettingsStore store(flash);
  BOOST_TEST(store.save(kB) == Status::data_loss);
  BOOST_TEST(store.sequence() == 0u);  // never loaded, and the save did not take
  Status status;
  BOOST_TEST(load_after_reboot(flash, &status) == kA);
}

// Cuts power after every possible number of bytes of one save (erase and program, each byte a
// separate chance) and reboots: the settings are the old ones or, once the new record's CRC is
// being programmed, possibly the new ones; never a mixture, never the ones before.
BOOST_AUTO_TEST_CASE(power_cut_at_every_byte_of_a_save) {
  for (const bool descending : {false, true}) {
    // A reference save measures how many bytes a save touches.
    CutFlash reference;
    BOOST_TEST(SettingsStore(reference).save(kZ) == Status::ok);
    const std::size_t before = reference.bytes_touched();
    BOOST_TEST(SettingsStore(reference).save(kA) == Status::ok);
    const std::size_t save_bytes = reference.bytes_touched() - before;
    BOOST_TEST(save_bytes == reference.page_bytes() + kRecordBytes);
    const std::size_t crc_start = save_bytes - 4;

    int new_before_complete = 0;
    for (std::size_t k = 0; k <= save_bytes; ++k) {
      BOOST_TEST_CONTEXT((descending ? "descending" : "ascending")
                         << " erase, cut after " << k << " bytes") {
        CutFlash flash;
        flash.erase_descending = descending;
        {
          SettingsStore store(flash);
          BOOST_TEST(store.save(kZ) == Status::ok);  // slot 0: the save below overwrites it
          BOOST_TEST(store.save(kA) == Status::ok);  // slot 1
          flash.cut_after(k);
          const Status saved = store.save(kB);
          BOOST_TEST((saved == Status::ok) == (k == save_bytes), "save returned " << saved);
        }
        flash.restore_power();
        Status status;
        const InstallationSettings got = load_after_reboot(flash, &status);
        BOOST_TEST(status == Status::ok);
        if (k == save_bytes) {
          BOOST_TEST(got == kB);
        } else if (k <= crc_start) {
          BOOST_TEST(got == kA);
        } else {
          BOOST_TEST((got == kA || got == kB), got);
          if (got == kB) ++new_before_complete;
        }
        // The torn slot is reused by the next save, which then wins.
        SettingsStore rebooted(flash);
        InstallationSettings s;
        BOOST_TEST(rebooted.load(&s) == Status::ok);
        BOOST_TEST(rebooted.save(kC) == Status::ok);
        BOOST_TEST(load_after_reboot(flash, &status) == kC);
      }
    }
    BOOST_TEST_MESSAGE("cut inside the CRC loaded the new settings " << new_before_complete
                                                                     << " of 3 times");
  }
}

// The same across three saves in a row (one cut somewhere in the whole run): the result is the
// last save that completed, or the one in progress if its CRC was being programmed.
BOOST_AUTO_TEST_CASE(power_cut_at_every_byte_of_three_successive_saves) {
  const InstallationSettings sequence[] = {kA, kB, kC, kD};  // kA saved before the run
  const std::size_t save_bytes = 256 + kRecordBytes;
  for (std::size_t k = 0; k <= 3 * save_bytes; ++k) {
    BOOST_TEST_CONTEXT("cut after " << k << " bytes") {
      CutFlash flash;
      {
        SettingsStore store(flash);
        BOOST_TEST(store.save(kZ) == Status::ok);
        BOOST_TEST(store.save(kA) == Status::ok);
        flash.cut_after(k);
        for (int i = 1; i <= 3; ++i) {
          const Status saved = store.save(sequence[i]);
          BOOST_TEST((saved == Status::ok) == (k >= i * save_bytes), "save " << i << ": " << saved);
        }
      }
      flash.restore_power();
      const std::size_t completed = std::min<std::size_t>(3, k / save_bytes);
      const std::size_t into_next = k - completed * save_bytes;
      Status status;
      const InstallationSettings got = load_after_reboot(flash, &status);
      BOOST_TEST(status == Status::ok);
      const bool last_complete = got == sequence[completed];
      const bool in_crc =
          completed < 3 && into_next > save_bytes - 4 && got == sequence[completed + 1];
      BOOST_TEST((last_complete || in_crc), "expected " << sequence[completed] << ", got " << got);
    }
  }
}

BOOST_AUTO_TEST_CASE(factory_reset_gives_defaults) {
  CutFlash flash;
  SettingsStore store(flash);
  BOOST_TEST(store.save(kA) == Status::ok);
  BOOST_TEST(store.save(kB) == Status::ok);
  BOOST_TEST(store.factory_reset() == Status::ok);
  BOOST_TEST(store.sequence() == 0u);
  for (const std::uint8_t b : flash.raw()) {
    if (b != 0xff) {
      BOOST_TEST(b == 0xff);  // reported once, not per byte
      break;
    }
  }
  Status status;
  BOOST_TEST(load_after_reboot(flash, &status) == InstallationSettings{});
  BOOST_TEST(status == Status::unavailable);
  BOOST_TEST(store.save(kC) == Status::ok);
  BOOST_TEST(store.sequence() == 1u);
  BOOST_TEST(load_after_reboot(flash, &status) == kC);
}

// A cut during a factory reset leaves the newest settings or the defaults, never older ones.
BOOST_AUTO_TEST_CASE(power_cut_at_every_byte_of_a_factory_reset) {
  const std::size_t reset_bytes = 2 * 256;
  for (const bool newest_in_slot_0 : {false, true}) {
    for (std::size_t k = 0; k <= reset_bytes; ++k) {
      BOOST_TEST_CONTEXT("newest in slot " << (newest_in_slot_0 ? 0 : 1) << ", cut after " << k) {
        CutFlash flash;
        SettingsStore store(flash);
        if (newest_in_slot_0) BOOST_TEST(store.save(kZ) == Status::ok);
        BOOST_TEST(store.save(kA) == Status::ok);
        BOOST_TEST(store.save(kB) == Status::ok);
        flash.cut_after(k);
        BOOST_TEST((store.factory_reset() == Status::ok) == (k == reset_bytes));
        flash.restore_power();
        Status status;
        const InstallationSettings got = load_after_reboot(flash, &status);
        // The older slot is erased first; the newest survives until its own erase starts.
        if (k <= reset_bytes / 2) {
          BOOST_TEST(status == Status::ok);
          BOOST_TEST(got == kB);
        } else {
          BOOST_TEST(status == Status::unavailable);
          BOOST_TEST(got == InstallationSettings{});
        }
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace amprig::fw
