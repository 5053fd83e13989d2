// The one log line shape (common/log): `<LEVEL> <component>: <message>`,
// what journald filters and SIEMs parse, for both processes.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "log/log.hpp"

using namespace wg::log;

namespace {
std::vector<std::pair<Level, std::string>> g_lines;
void capture(Level l, const std::string& line) {
    g_lines.emplace_back(l, line);
}
}  // namespace

TEST_CASE("log: line shape and level names", "[log]") {
    CHECK(format_line(Level::Err, "dataplane.policy", "image rejected: bad magic") ==
          "ERR dataplane.policy: image rejected: bad magic");
    CHECK(format_line(Level::Notice, "controlplane", "stopping\n") ==
          "NOTICE controlplane: stopping");
    const std::vector<std::string> names = {"EMERG",   "ALERT",  "CRIT", "ERR",
                                            "WARNING", "NOTICE", "INFO", "DEBUG"};
    for (int i = 0; i < 8; ++i) CHECK(level_name(static_cast<Level>(i)) == names[size_t(i)]);
}

TEST_CASE("log: printf- and stream-style go through the sink", "[log]") {
    g_lines.clear();
    set_sink(capture);
    logf(Level::Warning, "dataplane.safety", "worker %u overload mode %s\n", 3u, "ON");
    Line(Level::Info, "controlplane.reload") << "reload #" << 7 << ": ok";
    const std::string big(2000, 'x');
    logf(Level::Debug, "t", "%s!", big.c_str());
    set_sink(nullptr);  // back to stderr
    REQUIRE(g_lines.size() == 3);
    CHECK(g_lines[0].first == Level::Warning);
    CHECK(g_lines[0].second == "WARNING dataplane.safety: worker 3 overload mode ON");
    CHECK(g_lines[1].second == "INFO controlplane.reload: reload #7: ok");
    CHECK(g_lines[2].second == "DEBUG t: " + big + "!");  // longer than the stack buffer
}
