// The load balancer's image: one decision a second over a group's chargers, from inputs a
// network driver would fill in (here, words a debugger can write), with its decisions left where
// that driver would send them. Shows that the balancer needs no heap and measures its footprint.
#include <cstdint>

#include "balancer/balancer.h"
#include "no_destructor.h"
#include "startup.h"

namespace {

namespace balancer = amprig::fw::balancer;

constexpr std::uint32_t kCoreClockHz = 64'000'000;
constexpr std::uint32_t kStepPeriodMs = 1000;

volatile std::uint32_t g_ticks_ms = 0;
// Written by the network driver between steps.
balancer::Settings g_settings{};
balancer::Inputs g_inputs{};
// Read by the network driver after each step.
balancer::Decision g_decision{};
volatile std::uint32_t g_status = 0;

amprig::target::NoDestructor<balancer::Balancer> g_group(g_settings);

}  // namespace

extern "C" void SysTick_Handler() { g_ticks_ms = g_ticks_ms + 1; }

int main() {
  amprig::target::start_systick(kCoreClockHz);
  if (balancer::check_settings(g_settings) != nullptr) amprig::target::halt();
  std::uint32_t next_step_ms = 0;
  for (;;) {
    const std::uint32_t now_ms = g_ticks_ms;
    if (static_cast<std::int32_t>(now_ms - next_step_ms) >= 0) {
      next_step_ms = now_ms + kStepPeriodMs;
      g_decision = g_group->step(g_inputs, now_ms / 1000.0);
      g_status = static_cast<std::uint32_t>(g_decision.chargers[0].reason);
    }
    __asm volatile("wfi");
  }
}
