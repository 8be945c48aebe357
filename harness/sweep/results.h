#pragma once
// A sweep's results file: JSON lines, one object per finished run, appended and flushed as each
// run ends, so that a sweep killed at any moment loses none that finished.
#include <cstdint>
#include <optional>
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
  ScenarioResult result;  // outcome, checks, failures, error, output, sim_s, wall_s
};

// One line of JSON, without the newline.
std::string to_json_line(const RunRecord& record);
// Throws std::runtime_error on a line that is not a record.
RunRecord from_json_line(const std::string& line);

// Every record of a results file, in order (later records of an id supersede earlier ones). A
// last line cut short by a kill is skipped, and with `repair` cut off the file, so that the
// next record starts a line of its own. A missing file has no records.
std::vector<RunRecord> read_results(const std::string& path, bool repair = false);

// Appends records to a results file, each with one write and flushed to the disk.
class ResultsWriter {
 public:
  // `append`: keep what the file holds; otherwise start it afresh. Throws std::runtime_error.
  ResultsWriter(const std::string& path, bool append);
  ~ResultsWriter();
  ResultsWriter(const ResultsWriter&) = delete;
  ResultsWriter& operator=(const ResultsWriter&) = delete;
  void write(const RunRecord& record);

 private:
  std::string m_path;
  int m_fd = -1;
};

// Whether a replay reproduced a recorded run: everything but the wall time and the log output.
// `why` says what differs.
bool same_result(const RunRecord& a, const RunRecord& b, std::string* why);

}  // namespace amprig::sweep
