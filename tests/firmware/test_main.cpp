#define BOOST_TEST_MODULE amprig_firmware
#include <boost/test/unit_test.hpp>
