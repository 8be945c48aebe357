// The ADC's decimation filter: a sinc3 decimator for each of CHANNELS delta-sigma modulators,
// all on one modulator clock, decimating by `ratio` into CODE_BITS-bit codes.
//
// Interface: one modulator bit per channel in on every rising clk edge; every `ratio` clocks
// the codes of all channels change together and data_ready is high for one clock. `ratio`,
// `scale`, `shift` and `max_code` are sampled while rst_n is low and held by the caller
// afterwards (they change only across a reset). After reset the first sample completes on the
// ratio-th clock; it and the next one are the filter filling (sinc3 spans 3 * ratio - 2 bits).
//
// Scaling: the sinc3 sum of a bitstream lies in [0, ratio^3]; code = round(sum * 2^bits /
// ratio^3) is computed as (sum * scale + 2^(shift-1)) >> shift with scale = round(2^(shift +
// bits) / ratio^3) chosen by the caller to 32 significant bits.
module sinc3_decimator #(
    parameter int CHANNELS = 6,
    parameter int WIDTH = 32,       // CIC registers: 1 + 3 * log2(ratio) bits, wrapping
    parameter int RATIO_BITS = 11,  // ratio up to 1024
    parameter int CODE_BITS = 16,
    parameter int SHIFT_BITS = 6
) (
    input  logic                  clk,         // the modulator clock
    input  logic                  rst_n,       // synchronous, active low
    input  logic [CHANNELS-1:0]   mod_bit,     // bit c: channel c's modulator output
    input  logic [RATIO_BITS-1:0] ratio,       // decimation ratio, 2..1024
    input  logic [31:0]           scale,
    input  logic [SHIFT_BITS-1:0] shift,
    input  logic [CODE_BITS-1:0]  max_code,    // 2^bits - 1
    output logic [CODE_BITS-1:0]  code[CHANNELS],
    output logic [CHANNELS-1:0]   clipped,     // bit c: channel c's sample was clamped
    output logic                  data_ready   // high for the clock after a sample completed
);
  // Counts the clocks of a sample down to 0; the clock at 0 completes it. Derived from
  // registers only, so nothing in the design follows the inputs combinationally and a clock
  // edge is the only event the simulation has to evaluate.
  logic [RATIO_BITS-1:0] phase;
  logic [RATIO_BITS-1:0] last_phase;  // ratio - 1, sampled at reset
  logic                  dump;

  assign dump = phase == '0;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      last_phase <= ratio - 1'b1;
      phase      <= ratio - 1'b1;
      data_ready <= 1'b0;
    end else begin
      phase      <= dump ? last_phase : phase - 1'b1;
      data_ready <= dump;
    end
  end

  for (genvar c = 0; c < CHANNELS; c++) begin : g_channel
    sinc3_channel #(
        .WIDTH(WIDTH),
        .CODE_BITS(CODE_BITS),
        .SHIFT_BITS(SHIFT_BITS)
    ) channel (
        .clk,
        .rst_n,
        .mod_bit(mod_bit[c]),
        .dump,
        .scale,
        .shift,
        .max_code,
        .code(code[c]),
        .clipped(clipped[c])
    );
  end
endmodule
