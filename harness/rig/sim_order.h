#pragma once
// The order of things within one simulated instant, whatever order SystemC wakes processes in:
//   delta 0  the plant models (the ADC's block, the supply);
//   delta 1  the firmware's poll and the balancer (Rig::main_loop);
//   delta 2  observers: scenario steps, traces, the Python session.
// Without it, adding a trace could move the poll before or after a block, and change the run.
#include <systemc>

namespace amprig {

// The firmware, after its timed wait.
inline void wait_for_plant() { sc_core::wait(sc_core::SC_ZERO_TIME); }

// An observer, after its timed wait: sees the instant as the firmware left it.
inline void settle_for_observers() {
  sc_core::wait(sc_core::SC_ZERO_TIME);
  sc_core::wait(sc_core::SC_ZERO_TIME);
}

}  // namespace amprig
