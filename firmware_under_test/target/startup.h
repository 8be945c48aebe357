#pragma once
// What the start-up code and the images' drivers share: the interrupt numbers of the part.
#include <cstddef>
#include <cstdint>

namespace amprig::target {

// Device interrupts in the vector table after the 16 system entries.
inline constexpr std::size_t kIrqCount = 48;
// The ADC's DMA channel: half- and full-transfer interrupts.
inline constexpr std::size_t kAdcDmaIrq = 11;

// Stops the program for good, on a breakpoint when a debugger is attached: the images' assert.
[[noreturn]] void halt();

// The core's SysTick timer interrupting at 1 kHz (SysTick_Handler, which each image defines).
void start_systick(std::uint32_t core_clock_hz);

}  // namespace amprig::target
