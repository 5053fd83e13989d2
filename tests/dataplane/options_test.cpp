// Every dataplane flag spelling (its own and the clinical-safety ones) that
// the hand-written parsers accepted still parses with the shared table, the
// errors keep their wording, and --help lists every option.
#include <catch2/catch.hpp>

#include "options.hpp"

namespace {
wg::dp::Options dp_parse(std::vector<std::string> a, std::optional<std::string>& err) {
    a.insert(a.begin(), "wardgate-dataplane");
    std::vector<char*> argv;
    for (auto& s : a) argv.push_back(s.data());
    wg::dp::Options o;
    err = wg::dp::parse_options(int(argv.size()), argv.data(), o);
    return o;
}

const std::vector<std::string> kFlags = {"--clinical",
                                         "--core",
                                         "--socket",
                                         "--socket-group",
                                         "--policy-image",
                                         "--burst",
                                         "--mbufs",
                                         "--mtu",
                                         "--rx-desc",
                                         "--tx-desc",
                                         "--flows",
                                         "--idle-exit-ms",
                                         "--test-hooks",
                                         "--replay-order",
                                         "--pause-after",
                                         "--stall-timeout-ms",
                                         "--stall-recover-ms",
                                         "--overload-burst-us",
                                         "--overload-backlog",
                                         "--overload-strikes",
                                         "--overload-quiet-ms",
                                         "--overload-action",
                                         "--pool-low-pct",
                                         "--no-policy",
                                         "--bootstrap-bypass",
                                         "--hw-bypass",
                                         "--hw-bypass-timeout-ms",
                                         "--scan-hosts",
                                         "--deny-cache-ms"};
}  // namespace

TEST_CASE("dataplane: every old flag still parses", "[options]") {
    std::optional<std::string> err;
    auto o = dp_parse({"--clinical",
                       "net_null0",
                       "--core",
                       "1",
                       "--socket",
                       "/tmp/s",
                       "--socket-group",
                       "wg",
                       "--policy-image",
                       "/p.img",
                       "--burst",
                       "64",
                       "--mbufs",
                       "4095",
                       "--mtu",
                       "9000",
                       "--rx-desc",
                       "512",
                       "--tx-desc",
                       "256",
                       "--flows",
                       "1024",
                       "--idle-exit-ms",
                       "100",
                       "--test-hooks",
                       "--replay-order",
                       "ckc",
                       "--pause-after",
                       "5",
                       "--stall-timeout-ms",
                       "150",
                       "--stall-recover-ms",
                       "20",
                       "--overload-burst-us",
                       "0",
                       "--overload-backlog",
                       "9",
                       "--overload-strikes",
                       "3",
                       "--overload-quiet-ms",
                       "40",
                       "--overload-action",
                       "pass",
                       "--pool-low-pct",
                       "7",
                       "--no-policy",
                       "closed",
                       "--bootstrap-bypass",
                       "198.18.20.0/24:5000-5999",
                       "--hw-bypass",
                       "require",
                       "--hw-bypass-timeout-ms",
                       "2000",
                       "--scan-hosts",
                       "128",
                       "--deny-cache-ms",
                       "10"},
                      err);
    INFO(err.value_or(""));
    REQUIRE_FALSE(err);
    CHECK(o.clinical_port == "net_null0");
    CHECK(o.core_port == "1");
    CHECK(o.socket_path == "/tmp/s");
    CHECK(o.socket_group == "wg");
    CHECK(o.policy_image == "/p.img");
    CHECK(o.burst == 64);
    CHECK(o.mbufs == 4095);
    CHECK(o.mtu == 9000);
    CHECK(o.rx_desc == 512);
    CHECK(o.tx_desc == 256);
    CHECK(o.flows == 1024);
    CHECK(o.idle_exit_ms == 100);
    CHECK(o.test_hooks);
    CHECK(o.replay_order == "ckc");
    CHECK(o.pause_after == 5);
    CHECK(o.safety.stall_timeout_ms == 150);
    CHECK(o.safety.recover_ms == 20);
    CHECK(o.safety.overload_burst_us == 0);
    CHECK(o.safety.overload_backlog == 9);
    CHECK(o.safety.overload_strikes == 3);
    CHECK(o.safety.overload_quiet_ms == 40);
    CHECK(o.safety.overload_action == wg::safety::OverloadAction::Pass);
    CHECK(o.safety.pool_low_pct == 7);
    CHECK(o.safety.no_policy_closed);
    REQUIRE(o.safety.bootstrap.size() == 1);
    CHECK(o.safety.bootstrap[0].port_lo == 5000);
    CHECK(o.safety.hw_bypass == wg::safety::HwBypassMode::Require);
    CHECK(o.safety.hw_bypass_timeout_ms == 2000);
    CHECK(o.safety.limiter_hosts == 128);
    CHECK(o.safety.neg_cache_ms == 10);
    for (const char* h : {"--help", "-h"}) {
        auto x = dp_parse({h}, err);
        CHECK_FALSE(err);
        CHECK(x.help);
    }
}

TEST_CASE("dataplane: option errors keep their wording", "[options]") {
    std::optional<std::string> err;
    const std::vector<std::string> ports = {"--clinical", "a", "--core", "b"};
    auto with = [&](std::vector<std::string> more) {
        more.insert(more.begin(), ports.begin(), ports.end());
        dp_parse(more, err);
        return err.value_or("");
    };
    CHECK(with({"--burst"}) == "option --burst needs a value");
    CHECK(with({"--burst", "x"}) == "option --burst: 'x' is not a number");
    CHECK(with({"--frob"}) == "unknown option '--frob'");
    CHECK(with({"--burst", "0"}) == "--burst must be 1..256");
    CHECK(with({"--overload-action", "x"}) ==
          "--overload-action must be shed, pass or class, not 'x'");
    CHECK(with({"--no-policy", "x"}) == "--no-policy must be open or closed, not 'x'");
    CHECK(with({"--hw-bypass", "x"}) == "--hw-bypass must be off, auto or require, not 'x'");
    CHECK(with({"--pause-after", "3"}) == "--pause-after needs --test-hooks");
    dp_parse({"--clinical", "a"}, err);
    CHECK(err == std::optional<std::string>("missing --core PORT"));
}

TEST_CASE("dataplane: --help lists every option", "[options]") {
    const std::string help = wg::dp::usage("wardgate-dataplane");
    CHECK(help.starts_with("usage: wardgate-dataplane [EAL options] -- "));
    for (auto& f : kFlags) {
        INFO(f);
        CHECK(help.find("  " + f + " ") != std::string::npos);
    }
}
