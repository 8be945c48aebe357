// Start-up for the Cortex-M4F images: the vector table, the reset handler (FPU on, .data copied,
// .bss zeroed, static constructors run, then main) and the C++ run-time hooks a bare-metal
// image must bring itself, so that nothing pulls in the library's versions and what they drag
// along (the verbose terminate handler alone brings the demangler, malloc and stdio).
#include "startup.h"

#include <cstdint>

extern "C" {
// From the linker script.
extern std::uint32_t __stack_top__;
extern std::uint32_t __data_load__;
extern std::uint32_t __data_start__;
extern std::uint32_t __data_end__;
extern std::uint32_t __bss_start__;
extern std::uint32_t __bss_end__;
extern void (*__preinit_array_start[])();
extern void (*__preinit_array_end[])();
extern void (*__init_array_start[])();
extern void (*__init_array_end[])();

int main();

[[noreturn]] void Reset_Handler();
void Default_Handler();  // not [[noreturn]]: the handlers aliased to it are not
// Every exception and interrupt without a driver of its own stops in Default_Handler.
void NMI_Handler() __attribute__((weak, alias("Default_Handler")));
void HardFault_Handler() __attribute__((weak, alias("Default_Handler")));
void MemManage_Handler() __attribute__((weak, alias("Default_Handler")));
void BusFault_Handler() __attribute__((weak, alias("Default_Handler")));
void UsageFault_Handler() __attribute__((weak, alias("Default_Handler")));
void SVC_Handler() __attribute__((weak, alias("Default_Handler")));
void DebugMon_Handler() __attribute__((weak, alias("Default_Handler")));
void PendSV_Handler() __attribute__((weak, alias("Default_Handler")));
void SysTick_Handler() __attribute__((weak, alias("Default_Handler")));
void AdcDma_IRQHandler() __attribute__((weak, alias("Default_Handler")));
}

namespace {

using Handler = void (*)();

// The first word is the initial stack pointer, then the 15 system exceptions, then the part's
// interrupts.
struct VectorTable {
  std::uint32_t* initial_sp;
  Handler system[15];
  Handler irq[amprig::target::kIrqCount];
};

constexpr VectorTable make_vector_table() {
  VectorTable t{&__stack_top__,
                {Reset_Handler, NMI_Handler, HardFault_Handler, MemManage_Handler, BusFault_Handler,
                 UsageFault_Handler, nullptr, nullptr, nullptr, nullptr, SVC_Handler,
                 DebugMon_Handler, nullptr, PendSV_Handler, SysTick_Handler},
                {}};
  for (Handler& h : t.irq) h = Default_Handler;
  t.irq[amprig::target::kAdcDmaIrq] = AdcDma_IRQHandler;
  return t;
}

}  // namespace

extern "C" {

__attribute__((section(".isr_vector"), used)) const VectorTable g_vector_table =
    make_vector_table();

// Plain loops, written so that the compiler does not turn them into memcpy/memset calls: they
// run before anything else is set up.
__attribute__((optimize("no-tree-loop-distribute-patterns"))) void Reset_Handler() {
  // The FPU first: with the hard-float ABI any code after this may use its registers.
  // CPACR: full access to coprocessors 10 and 11.
  volatile std::uint32_t& cpacr = *reinterpret_cast<volatile std::uint32_t*>(0xE000ED88u);
  cpacr = cpacr | (0xFu << 20);
  __asm volatile("dsb\n\tisb" ::: "memory");

  const std::uint32_t* from = &__data_load__;
  for (std::uint32_t* to = &__data_start__; to < &__data_end__;) *to++ = *from++;
  for (std::uint32_t* to = &__bss_start__; to < &__bss_end__;) *to++ = 0;
  for (auto f = __preinit_array_start; f < __preinit_array_end; ++f) (*f)();
  for (auto f = __init_array_start; f < __init_array_end; ++f) (*f)();

  main();
  for (;;) __asm volatile("wfi");
}

void Default_Handler() { amprig::target::halt(); }

// A pure virtual function called (an object used during its own construction): stop here
// rather than in the library's std::terminate.
void __cxa_pure_virtual() { Default_Handler(); }

}  // extern "C"

namespace amprig::target {

void halt() {
  // DHCSR.C_DEBUGEN: a breakpoint without a debugger attached would escalate to a lock-up.
  const volatile std::uint32_t& dhcsr = *reinterpret_cast<volatile std::uint32_t*>(0xE000EDF0u);
  if ((dhcsr & 1u) != 0) __asm volatile("bkpt #0");
  for (;;) __asm volatile("wfi");
}

void start_systick(std::uint32_t core_clock_hz) {
  auto reg = [](std::uint32_t address) -> volatile std::uint32_t& {
    return *reinterpret_cast<volatile std::uint32_t*>(address);
  };
  reg(0xE000E014u) = core_clock_hz / 1000u - 1u;  // SYST_RVR: the reload value
  reg(0xE000E018u) = 0;                           // SYST_CVR: the current value, cleared
  reg(0xE000E010u) = 0x7u;  // SYST_CSR: the processor clock, the interrupt, enabled
}

}  // namespace amprig::target
