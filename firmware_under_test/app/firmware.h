#pragma once
// The firmware application: owns the DMA buffer and the metering pipeline,
// drives the LEDs, and exposes its measurements. Everything is allocated when
// the object is constructed; nothing after start().
#include <cstddef>
#include <cstdint>

#include "board/board.h"
#include "core/status.h"
#include "hal/hal.h"
#include "metering/metering.h"

namespace amprig::fw {

constexpr std::uint32_t kMaxDmaFramesPerHalf = 256;

struct FirmwareConfig {
  MeteringConfig metering;
  std::uint32_t dma_frames_per_half = 64;  // 10 ms at 6.4 kHz
};

class Firmware final : public hal::AdcDmaClient {
 public:
  explicit Firmware(const hal::Hal& hal);
  Status start(const FirmwareConfig& config);
  void stop();
  // The main loop's periodic work (LEDs, button); the rig calls it every few ms.
  void poll();
  const Measurements& measurements() const { return m_metering.latest(); }
  bool running() const { return m_running; }

  void on_half_complete() override;
  void on_full_complete() override;

 private:
  static constexpr int kLedCount = 4;
  // Drives an LED only when its colour changes (or was never set): the bus is slow.
  void set_led(hal::LedId led, hal::LedColour colour);
  void process_half(std::size_t half);

  hal::Hal m_hal;
  FirmwareConfig m_config{};
  Metering m_metering;
  bool m_running = false;
  hal::LedColour m_led_colour[kLedCount]{};
  bool m_led_known[kLedCount]{};
  hal::AdcCode m_dma_buffer[2 * kMaxDmaFramesPerHalf * hal::kAdcChannels]{};
};

// Metering calibration derived from the board design (nominal parts).
MeteringConfig metering_config_for(const BoardDesign& board, std::uint32_t sample_rate_hz);

}  // namespace amprig::fw
