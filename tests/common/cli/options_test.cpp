// The shared option parser (common/cli/options.*): the one-line errors every
// program gives, `--name=value`, positionals, choices, and the help text
// generated from the same table.
#include <catch2/catch.hpp>

#include "cli/options.hpp"

using wg::opt::Table;

namespace {
struct Fixture {
    std::string name;
    uint32_t count = 7;
    double rate = 1;
    bool verbose = false;
    int mode = -1;
    Table t{"usage: prog [options]"};
    Fixture() {
        t.str({"--name", "-n"}, "NAME", name, "a name");
        t.num({"--count"}, "N", count, "how many\nsecond line");
        t.num({"--rate"}, "R", rate, "per second");
        t.flag({"--verbose"}, verbose, "talk more");
        t.section("more:");
        t.choice(
            {"--mode"}, {"a", "b", "c"}, [this](size_t k) { mode = int(k); }, "pick one");
    }
};
}  // namespace

TEST_CASE("options: values, spellings and flags", "[options]") {
    Fixture f;
    REQUIRE_FALSE(
        f.t.parse({"-n", "x", "--count=12", "--rate", "2.5", "--verbose", "--mode", "b"}));
    CHECK(f.name == "x");
    CHECK(f.count == 12);
    CHECK(f.rate == 2.5);
    CHECK(f.verbose);
    CHECK(f.mode == 1);
}

TEST_CASE("options: the one-line errors the processes give", "[options]") {
    Fixture f;
    CHECK(f.t.parse({"--count"}) == std::optional<std::string>("option --count needs a value"));
    CHECK(f.t.parse({"--count", "12x"}) ==
          std::optional<std::string>("option --count: '12x' is not a number"));
    CHECK(f.t.parse({"--count", "-1"}) ==
          std::optional<std::string>("option --count: '-1' is not a number"));
    CHECK(f.t.parse({"--count", ""}) ==
          std::optional<std::string>("option --count: '' is not a number"));
    CHECK(f.count == 7);  // a bad value leaves the default alone
    CHECK(f.t.parse({"--frob"}) == std::optional<std::string>("unknown option '--frob'"));
    CHECK(f.t.parse({"--mode", "d"}) ==
          std::optional<std::string>("--mode must be a, b or c, not 'd'"));
    CHECK(f.t.parse({"--verbose=1"}) ==
          std::optional<std::string>("option --verbose takes no value"));
    CHECK(f.t.parse({"stray"}) == std::optional<std::string>("unexpected argument 'stray'"));
    // "-h" is only help when the caller asks for it.
    CHECK(f.t.parse({"-h"}) == std::optional<std::string>("unknown option '-h'"));
}

TEST_CASE("options: positionals and help", "[options]") {
    Fixture f;
    std::vector<std::string> pos;
    bool help = false;
    REQUIRE_FALSE(f.t.parse({"dir", "--count", "3", "other", "-"}, &pos, &help));
    CHECK(pos == std::vector<std::string>{"dir", "other", "-"});
    CHECK_FALSE(help);
    REQUIRE_FALSE(f.t.parse({"--help"}, &pos, &help));
    CHECK(help);
}

TEST_CASE("options: the help text comes from the same table", "[options]") {
    Fixture f;
    CHECK(f.t.help() ==
          "usage: prog [options]\n"
          "  --name, -n NAME       a name\n"
          "  --count N             how many\n"
          "                        second line\n"
          "  --rate R              per second\n"
          "  --verbose             talk more\n"
          "more:\n"
          "  --mode a|b|c          pick one\n");
}
