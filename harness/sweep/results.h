#pragma once
// A sweep's results file: JSON lines, one object per finished run, appended and flushed as each
// run ends, so that a sweep killed at any moment loses none that finished. One process writes it
// at a time (a lock the kernel drops when the process dies); any number may read it meanwhile.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "report/result.h"

namespace amprig::sweep {

struct RecordedFault {
  std::string name;
  std::string value;
  double at_s = 0;
  std::optional<double> duration_s;  // none: to the end of the run
};

// One run as the results file keeps it.
struct RunRecord {
  std::string id;
  std::string sweep;       // the sweep's name
  std::string sweep_file;  // as the sweep was given, from `cwd`
  std::string cwd;         // where the sweep ran: a replay opens the same paths from there
  std::string host;        // the machine that ran it (a cluster's worker, say)
  std::string group;
  std::string base;  // relative to the sweep file's folder
  std::vector<RecordedFault> faults;
  std::uint64_t seed = 0;
  std::string digest;     // of the run's scenario text (run_digest)
  // The signal that ended the run's process ("SIGKILL"), empty when it ended by itself.
  std::string signal;
  ScenarioResult result;  // outcome, checks, failures, error, output, sim_s, wall_s
};

// One line of JSON, without the newline.
std::string to_json_line(const RunRecord& record);
// Throws std::runtime_error on a line that is not a record. A record without `signal` (written
// before the field existed) takes it from its error text, which names the signal.
RunRecord from_json_line(const std::string& line);

// "SIGKILL" for an error text "crashed: Killed" (the words strsignal() gives), else empty.
std::string crash_signal(const std::string& error);
// Whether a run ended by `signal` was ended from outside (the sweep stopped or killed, a hangup,
// the kernel's out-of-memory killer: SIGKILL, SIGTERM, SIGINT, SIGHUP) rather than crashing on
// its own (SIGSEGV, SIGABRT, ...): such a run has no result of its own and runs again on
// --resume, where an own crash is a finding and is kept.
bool outside_signal(const std::string& signal);

// What a results file holds.
struct ResultsContent {
  std::vector<RunRecord> records;  // in order: later records of an id supersede earlier ones
  // "FILE:LINE: why" for each line that is not a record (a half-written line, garbage, a line of
  // another program): skipped, so that its run counts as not run.
  std::vector<std::string> damaged;
  // The last line has no newline: a writer killed while writing it. Not a record, and dropped.
  bool cut_last_line = false;
  std::size_t cut_offset = 0;  // where that line starts
  std::size_t lines = 0;       // complete, non-blank lines
};

// Reads a results file (a missing one holds nothing). Throws std::runtime_error naming the file
// when it cannot be read, is not a regular file, or has lines and not one of them is a record
// (not a results file at all: another file given by mistake).
ResultsContent read_results_content(const std::string& path);
// Its records alone, each damaged line reported on stderr as a warning naming file and line.
std::vector<RunRecord> read_results(const std::string& path);
// The warnings for the damaged lines, at most kMaxDamagedWarnings of them and a count of the
// rest, each line "amprig: warning: FILE:LINE: ... (skipped)".
void warn_damaged(const ResultsContent& content);
inline constexpr std::size_t kMaxDamagedWarnings = 10;

// A results file that another process is writing.
class ResultsLocked : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A record that could not be written (a full disk, a file size limit, an I/O error). The file
// keeps every record written before it, each a whole line.
class ResultsWriteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The one writer of a results file: it opens the file (creating it), takes its lock, and holds
// it until destroyed or the process ends, however it ends. Construction throws ResultsLocked at
// once when another process holds the lock (naming the file and that process), and
// std::runtime_error for a path that is not a file one appends lines to, or a file that holds
// lines and no record (it is left as it was). Nothing is truncated or repaired until start(); a
// file this writer created is removed again when it is destroyed before start().
class ResultsWriter {
 public:
  explicit ResultsWriter(const std::string& path);
  ~ResultsWriter();
  ResultsWriter(const ResultsWriter&) = delete;
  ResultsWriter& operator=(const ResultsWriter&) = delete;

  // What the file held when it was opened, read under the lock. Empty for a device such as
  // /dev/null, which holds nothing to read.
  const ResultsContent& existing() const { return m_existing; }
  // Before the first write: `keep` keeps the records (a last line cut short by a kill is cut off
  // the file, so that the next record starts a line of its own); otherwise the file starts
  // afresh.
  void start(bool keep);
  // One record, in one write, flushed to the disk. Throws ResultsWriteError.
  void write(const RunRecord& record);
  const std::string& path() const { return m_path; }

 private:
  void open_and_lock();

  std::string m_path;
  int m_fd = -1;
  bool m_regular = false;
  bool m_created = false;  // by this writer: removed again if the sweep never started
  bool m_started = false;
  ResultsContent m_existing;
};

// Whether a replay reproduced a recorded run: everything but the wall time and the log output.
// `why` says what differs.
bool same_result(const RunRecord& a, const RunRecord& b, std::string* why);

}  // namespace amprig::sweep
