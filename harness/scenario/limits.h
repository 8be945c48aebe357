#pragma once
// The bounds on what a scenario, base or sweep file may ask of the rig. Each is one named
// constant that the check, its error message, `amprig help limits` and the README's Limits
// section all read: a file beyond one is refused at once with the limit in the message, rather
// than taking gigabytes or running into the wall-clock timeout.
#include <cstddef>
#include <cstdint>

#include "scenario/scenario.h"

namespace amprig {

// A scenario, base or sweep file: at most this many bytes (the largest in scenarios/ is ~13 KB).
constexpr std::size_t kMaxConfigFileBytes = 1024 * 1024;
// Nodes (scalars, lists, maps) of one file's YAML tree, aliases counted each time they are
// used: an anchor that expands without limit stops here.
constexpr std::size_t kMaxConfigNodes = 100'000;
// Lists and maps nested in one another (a scenario needs 6).
constexpr std::size_t kMaxConfigDepth = 32;
// Counts in one scenario (after its base chain is merged).
constexpr std::size_t kMaxLoads = 64;
constexpr std::size_t kMaxSteps = 10'000;
constexpr std::size_t kMaxFaults = 1'000;
constexpr std::size_t kMaxSetsPerStep = 256;
constexpr std::size_t kMaxExpectationsPerStep = 256;
constexpr std::size_t kMaxHarmonics = 49;  // one per order 2..50
constexpr std::size_t kMaxClouds = 1'000;
constexpr std::size_t kMaxOutages = 1'000;
// `--vcd-period`: at least the trace's timescale (1 us); a shorter period could not be told
// apart in the file, and would only make it larger.
constexpr SimTimeNs kMinVcdPeriodNs = 1'000;
// `--trace A,B,...`: signals named.
constexpr std::size_t kMaxTraceSignals = 4'096;
// `-j N`: processes at a time.
constexpr std::uint64_t kMaxJobs = 1'024;
// A scenario's seed (`seed:`, `amprig run --seed`): 0 to this.
constexpr std::uint64_t kMaxSeed = 9'000'000'000'000'000;
// `amprig run --seeds N`: seeds per scenario.
constexpr std::uint64_t kMaxSeedsPerScenario = 10'000;

// One row per limit, for `amprig help limits` and the README check.
struct LimitInfo {
  const char* name;  // what is limited, as the error messages word it
  std::uint64_t value;
  const char* unit;
  const char* applies_to;
};

inline constexpr LimitInfo kLimitInfo[] = {
    {"file size", kMaxConfigFileBytes, "bytes",
     "each scenario, base and sweep file (a regular file: no FIFO, device or directory)"},
    {"YAML nodes", kMaxConfigNodes, "nodes", "each file, every use of an alias counted"},
    {"YAML nesting", kMaxConfigDepth, "levels", "each file"},
    {"simulated time", static_cast<std::uint64_t>(kMaxSimTimeNs), "ns",
     "every time, duration and sum of them (at + within, at + duration), and --timeout"},
    {"plant.loads", kMaxLoads, "loads", "a scenario"},
    {"steps", kMaxSteps, "steps", "a scenario"},
    {"faults", kMaxFaults, "faults", "a scenario"},
    {"set", kMaxSetsPerStep, "signals", "one step"},
    {"expect", kMaxExpectationsPerStep, "expectations", "one step"},
    {"harmonics", kMaxHarmonics, "harmonics", "the mains or one load"},
    {"plant.solar.clouds", kMaxClouds, "clouds", "a scenario"},
    {"link outages", kMaxOutages, "outages", "one link"},
    {"-j", kMaxJobs, "processes", "run, sweep and bench"},
    {"--vcd-period (minimum)", static_cast<std::uint64_t>(kMinVcdPeriodNs), "ns",
     "run, sweep and replay"},
    {"--trace", kMaxTraceSignals, "signals", "run, sweep and replay"},
    {"seed", kMaxSeed, "", "seed:, --seed and every seed --seeds makes"},
    {"--seeds", kMaxSeedsPerScenario, "seeds", "each scenario of a run"},
};

}  // namespace amprig
