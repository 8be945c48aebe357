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
}

void add_test_hooks_if_enabled(Rig& rig) {
  if (test_hooks_enabled()) add_test_hooks(rig.signals());
}

}  // namespace amprig::sweep
