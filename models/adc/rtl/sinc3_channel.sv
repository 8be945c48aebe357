// One channel of the decimator: a third-order CIC (sinc3) filter on a delta-sigma bitstream,
// and the scaling of its output to an ADC code.
//
// The integrators run at the modulator clock and wrap around modulo 2^WIDTH; the combs run
// once per output sample, on the `dump` clock. Wrapping is harmless as long as the true
// output, at most ratio^3, fits in WIDTH bits: two's-complement differences undo the wraps
// (Hogenauer). With WIDTH = 32 the ratio may go up to 1024 (1 + 3 * 10 = 31 bits).
//
// The integrators add the new value of the stage before them, so the sample completed on the
// `dump` clock already includes that clock's bit: it is the sum of the last 3 * ratio - 2 bits
// weighted by the sinc3 taps, with no pipeline delay.
module sinc3_channel #(
    parameter int WIDTH = 32,
    parameter int CODE_BITS = 16,
    parameter int SHIFT_BITS = 6
) (
    input  logic                  clk,
    input  logic                  rst_n,     // synchronous, active low
    input  logic                  mod_bit,   // the modulator's output, 1 = +reference
    input  logic                  dump,      // this clock completes an output sample
    input  logic [31:0]           scale,     // code = round(sinc3 * scale / 2^shift)
    input  logic [SHIFT_BITS-1:0] shift,
    input  logic [CODE_BITS-1:0]  max_code,  // codes above it are clamped to it
    output logic [CODE_BITS-1:0]  code,
    output logic                  clipped    // the latest sample was clamped, or all zeros
);
  logic [WIDTH-1:0] integ1, integ2, integ3;  // integrators, wrapping
  logic [WIDTH-1:0] delay1, delay2, delay3;  // the combs' previous inputs

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      integ1  <= '0;
      integ2  <= '0;
      integ3  <= '0;
      delay1  <= '0;
      delay2  <= '0;
      delay3  <= '0;
      code    <= '0;
      clipped <= 1'b0;
    end else begin
      // Blocking temporaries: this clock's integrator values, the combs and the scaling are
      // one combinational path, computed only when they are used.
      automatic logic [WIDTH-1:0] next1 = integ1 + WIDTH'(mod_bit);
      automatic logic [WIDTH-1:0] next2 = integ2 + next1;
      automatic logic [WIDTH-1:0] next3 = integ3 + next2;
      integ1 <= next1;
      integ2 <= next2;
      integ3 <= next3;
      if (dump) begin
        automatic logic [WIDTH-1:0] comb1 = next3 - delay1;
        automatic logic [WIDTH-1:0] comb2 = comb1 - delay2;
        automatic logic [WIDTH-1:0] comb3 = comb2 - delay3;
        // comb3 <= 2^30 and scale < 2^32: the product fits in 63 bits.
        automatic logic [63:0] scaled =
            (64'(comb3) * 64'(scale) + (64'd1 << (shift - 1'b1))) >> shift;
        delay1 <= next3;
        delay2 <= comb1;
        delay3 <= comb2;
        if (scaled > 64'(max_code)) begin
          code    <= max_code;
          clipped <= 1'b1;
        end else begin
          code    <= scaled[CODE_BITS-1:0];
          clipped <= comb3 == '0;
        end
      end
    end
  end
endmodule
