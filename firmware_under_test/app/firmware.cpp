#include "app/firmware.h"

#include <cmath>

namespace amprig::fw {
namespace {

// The voltage LED's "measurement OK": a phase at a plausible mains level, not pickup on an open
// terminal.
constexpr float kVoltagePresentV = 50.0f;

}  // namespace

Firmware::Firmware(const hal::Hal& hal) : m_hal(hal) {}

Status Firmware::start(const FirmwareConfig& config) {
  if (m_running) return Status::failed_precondition;
  if (config.dma_frames_per_half < 1 || config.dma_frames_per_half > kMaxDmaFramesPerHalf) {
    return Status::invalid_argument;
  }
  const Status metering = m_metering.configure(config.metering);
  if (metering != Status::ok) return metering;
  m_config = config;

  hal::AdcConfig adc;
  adc.sample_rate_hz = config.metering.sample_rate_hz;
  adc.channels = hal::kAdcChannels;
  const std::size_t codes = 2 * std::size_t{config.dma_frames_per_half} * hal::kAdcChannels;
  // Running before the DMA starts: a driver may complete the first half before start() returns.
  m_running = true;
  const Status adc_status = m_hal.adc.start(adc, Span<hal::AdcCode>(m_dma_buffer, codes), *this);
  if (adc_status != Status::ok) {
    m_running = false;
    return adc_status;
  }
  for (bool& known : m_led_known) known = false;
  set_led(hal::LedId::logo, hal::LedColour::on);
  set_led(hal::LedId::comm, hal::LedColour::off);
  set_led(hal::LedId::voltage, hal::LedColour::off);
  set_led(hal::LedId::current, hal::LedColour::off);
  return Status::ok;
}

void Firmware::stop() {
  if (m_running) {
    m_hal.adc.stop();
    m_running = false;
  }
  set_led(hal::LedId::logo, hal::LedColour::off);
  set_led(hal::LedId::comm, hal::LedColour::off);
  set_led(hal::LedId::voltage, hal::LedColour::off);
  set_led(hal::LedId::current, hal::LedColour::off);
}

void Firmware::poll() {
  set_led(hal::LedId::logo, m_running ? hal::LedColour::on : hal::LedColour::off);
  const Measurements& m = m_metering.latest();
  bool voltage_present = false;
  if (m_running && m.window_count > 0) {
    for (const auto& phase : m.phase)
      voltage_present = voltage_present || phase.voltage_v >= kVoltagePresentV;
  }
  set_led(hal::LedId::voltage, voltage_present ? hal::LedColour::green : hal::LedColour::off);
  // Wiring diagnostics (phase sequence, CT placement) are not implemented yet.
  set_led(hal::LedId::current, hal::LedColour::off);
}

void Firmware::on_half_complete() { process_half(0); }

void Firmware::on_full_complete() { process_half(1); }

void Firmware::process_half(std::size_t half) {
  if (!m_running) return;
  const std::size_t codes = std::size_t{m_config.dma_frames_per_half} * hal::kAdcChannels;
  m_metering.process(Span<const hal::AdcCode>(m_dma_buffer + half * codes, codes));
}

void Firmware::set_led(hal::LedId led, hal::LedColour colour) {
  const auto i = static_cast<std::size_t>(led);
  if (m_led_known[i] && m_led_colour[i] == colour) return;
  m_hal.leds.set(led, colour);
  m_led_colour[i] = colour;
  m_led_known[i] = true;
}

MeteringConfig metering_config_for(const BoardDesign& board, std::uint32_t sample_rate_hz) {
  MeteringConfig config;
  config.sample_rate_hz = sample_rate_hz;
  config.nominal_frequency_hz = static_cast<float>(board.nominal_frequency_hz);
  const double volts_per_code = board.adc_reference_v / std::ldexp(1.0, board.adc_bits);
  const double divider_ratio =
      board.divider_bottom_ohm / (board.divider_top_ohm + board.divider_bottom_ohm);
  for (int p = 0; p < kPhases; ++p) {
    config.voltage[p].gain = static_cast<float>(volts_per_code / divider_ratio);
    config.voltage[p].phase_deg = 0.0f;
    config.current[p].gain = static_cast<float>(volts_per_code / board.burden_ohm * board.ct_ratio);
    config.current[p].phase_deg = static_cast<float>(board.ct_phase_lead_deg);
  }
  return config;
}

}  // namespace amprig::fw
