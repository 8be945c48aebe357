// The RTL ADC's test program: the verilated decimator, the modulators, their frequency response
// and the SystemC wrapper, in a process of its own (SystemC elaborates once per process).
#define BOOST_TEST_MODULE amprig_rtl_adc
#define BOOST_TEST_NO_MAIN
#include <memory>

#include "rtl_world.h"
#include "systemc_reports.h"

namespace amprig::models::test {
namespace {

std::unique_ptr<RtlWorld> g_world;

struct RtlFixture {
  void setup() {
    g_world = std::make_unique<RtlWorld>();
    sc_core::sc_start(sc_core::SC_ZERO_TIME);  // elaborate: completes port binding
  }
  void teardown() { g_world.reset(); }
};

}  // namespace

RtlWorld& rtl_world() { return *g_world; }

}  // namespace amprig::models::test

using amprig::models::test::RtlFixture;
BOOST_TEST_GLOBAL_FIXTURE(RtlFixture);

int sc_main(int argc, char* argv[]) { return amprig::models::test::run_tests(argc, argv); }
