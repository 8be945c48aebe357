#pragma once
// Faults that exist only for the tests of the sweep runner: a run that crashes, a run that hangs
// and a run ended by a signal, at the simulated time a `faults:` entry sets them. They are
// registered only when the environment has AMPRIG_TEST_HOOKS=1, in a group `amprig faults` does not
// list.
#include "signals/signal_registry.h"

namespace amprig {
class Rig;
}

namespace amprig::sweep {

// AMPRIG_TEST_HOOKS=1 in the environment.
bool test_hooks_enabled();
// rig.test_crash (true: the run's process dies of SIGSEGV at once), rig.test_hang (true: it
// sleeps until its timeout) and rig.test_signal (N: it dies of signal N at once, as a run the
// out-of-memory killer or a `kill` ends), in the group "test".
void add_test_hooks(SignalRegistry& signals);
// For RunOptions::prepare_rig: adds them when test_hooks_enabled().
void add_test_hooks_if_enabled(Rig& rig);

}  // namespace amprig::sweep
