// Shared Catch2 v2 main; the TAP reporter lets meson count every test case.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
#include <catch2/catch_reporter_tap.hpp>
