#include "sweep/test_hooks.h"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "rig/rig.h"

namespace amprig::sweep {

bool test_hooks_enabled() {
  const char* flag = std::getenv("AMPRIG_TEST_HOOKS");
  return flag != nullptr && std::strcmp(flag, "1") == 0;
}

void add_test_hooks(SignalRegistry& signals) {
  Signal crash = make_bool(
      "rig.test_crash", "test hook: true kills the run's process with SIGSEGV at once",
      [] { return false; },
      [](bool v) {
        if (!v) return;
        std::fflush(nullptr);
        // The default action, even where a sanitizer has its own handler: a real crash's end.
        std::signal(SIGSEGV, SIG_DFL);
        std::raise(SIGSEGV);
      },
      true);
  crash.group = "test";
  signals.add(std::move(crash));
  Signal hang = make_bool(
      "rig.test_hang", "test hook: true makes the run's process sleep until its timeout",
      [] { return false; },
      [](bool v) {
        if (!v) return;
        std::fflush(nullptr);
        for (;;) pause();
      },
      true);
  hang.group = "test";
  signals.add(std::move(hang));
  Signal killed = make_number(
      "rig.test_signal", "",
      "test hook: N ends the run's process with signal N at once (9: as the out-of-memory killer "
      "does)",
      [] { return 0.0; },
      [](double v) {
        if (v <= 0) return;
        const int signal = static_cast<int>(v);
        std::fflush(nullptr);
        // Its default action: the sweep's own handlers, inherited by the run's process, only
        // note a stop.
        std::signal(signal, SIG_DFL);
        std::raise(signal);
      },
      true, 0, 31);
  killed.integer = true;
  killed.group = "test";
  signals.add(std::move(killed));
}

void add_test_hooks_if_enabled(Rig& rig) {
  if (test_hooks_enabled()) add_test_hooks(rig.signals());
}

}  // namespace amprig::sweep
