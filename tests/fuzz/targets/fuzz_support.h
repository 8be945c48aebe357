#pragma once
// What the scenario and sweep fuzz targets share: a fixed folder of the repository's own files
// for the input to sit among, the invariants a decoded scenario keeps, and how a broken one is
// reported.
#include <exception>
#include <filesystem>
#include <string>

#include "scenario/config_tree.h"
#include "scenario/scenario.h"

namespace amprig::fuzz {

// A folder of its own under the system's temporary folder (named after the process), removed at
// exit. The input is written at
// `input` each time; `mirror_files` and `link_folders` put the repository's files where the
// input's relative paths (`base:`, `bases:`) find them, as in the repository itself.
class Fixture {
 public:
  explicit Fixture(const std::string& input_relative);
  ~Fixture();
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;

  // Links every file under `from` whose name starts with `prefix` at the same relative path.
  void mirror_files(const std::filesystem::path& from, const std::string& prefix);
  // Links every folder directly under `from`, except `except`, as a folder of the fixture.
  void link_folders(const std::filesystem::path& from, const std::string& except);

  void write_input(const std::string& text) const;
  const std::filesystem::path& root() const { return m_root; }
  const std::filesystem::path& input() const { return m_input; }
  // Whether a path written in the input, taken relative to the input's folder, stays inside the
  // fixture. Paths that leave it would make the machine's own files the fuzzer's input (a
  // device, the whole disk): not what the targets explore.
  bool stays_inside(const std::string& written) const;

 private:
  std::filesystem::path m_root;
  std::filesystem::path m_input;
};

// The repository's scenarios/ folder (the build passes the source folder).
std::filesystem::path scenarios_folder();

// Everything a decode produced that a run depends on, as text: two decodes of the same input
// must give the same text. Where steps came from (file:line) is left out when `with_lines` is
// false: text written anew keeps its meaning, not its lines.
std::string fingerprint(const Scenario& s, bool with_lines = true);

// Every time a decoded scenario holds lies in [0, kMaxSimTimeNs]; steps are sorted by start and
// end no earlier than they start. Reports a finding otherwise.
void check_times(const Scenario& s, const std::string& what);

// An error out of a decoder names a file of the fixture (the input or a base it names) and, for
// the input, a line that the input has (or none, for the whole file). Any other exception than ScenarioError is a finding: it
// reaches the user without file, line or key.
void check_error(const ScenarioError& e, const Fixture& fixture, const std::string& text);

// Whether the text is valid UTF-8, which YAML requires: written here, apart from the decoders'
// own check, so that the fuzzer judges that check rather than repeating it.
bool valid_utf8(const std::string& text);

// Two trees hold the same keys, values and order (where each came from aside).
bool same_tree(const ConfigNode& a, const ConfigNode& b);

// A broken invariant: prints "amprig-fuzz: finding <kind>: <detail>" and aborts, so that
// libFuzzer keeps the input. Kinds named (comma-separated) in AMPRIG_FUZZ_SKIP are passed over,
// which lets a long campaign look past findings already reported.
void finding(const std::string& kind, const std::string& detail);

// Runs `decode`, a call of the decoder under test: true when it decoded. Its ScenarioError is
// held to check_error; any other exception is a finding.
template <typename Decode>
bool decodes(const Decode& decode, const Fixture& fixture, const std::string& text) {
  try {
    decode();
    return true;
  } catch (const ScenarioError& e) {
    check_error(e, fixture, text);
  } catch (const std::filesystem::filesystem_error& e) {
    finding("filesystem-error-escapes", e.what());
  } catch (const std::exception& e) {
    finding("not-a-scenario-error", e.what());
  }
  return false;
}

}  // namespace amprig::fuzz
