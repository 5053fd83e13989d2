#include "safety/config.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "policy/names.hpp"

namespace wg::safety {
namespace {

bool to_u32(const std::string& s, uint32_t& v) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

std::optional<std::string> parse_one(const std::string& item, BootstrapBypass& b) {
    std::string addr = item, ports;
    // IPv6 addresses contain ':'; ports follow the prefix length or, for
    // IPv4, the last ':'. Accept "[v6]/len:ports" and "v4[/len][:ports]".
    if (!item.empty() && item[0] == '[') {
        const auto close = item.find(']');
        if (close == std::string::npos) return "'" + item + "': missing ']'";
        addr = item.substr(1, close - 1);
        std::string rest = item.substr(close + 1);
        if (!rest.empty() && rest[0] == '/') {
            const auto c = rest.find(':');
            addr += rest.substr(0, c);
            if (c != std::string::npos) ports = rest.substr(c + 1);
        } else if (!rest.empty() && rest[0] == ':') {
            ports = rest.substr(1);
        } else if (!rest.empty()) {
            return "'" + item + "': unexpected '" + rest + "'";
        }
    } else if (std::count(item.begin(), item.end(), ':') == 1) {
        const auto c = item.find(':');
        addr = item.substr(0, c);
        ports = item.substr(c + 1);
    }
    std::string host = addr, len;
    if (const auto sl = addr.find('/'); sl != std::string::npos) {
        host = addr.substr(0, sl);
        len = addr.substr(sl + 1);
    }
    b = BootstrapBypass{};
    if (inet_pton(AF_INET, host.c_str(), b.addr.data()) == 1) {
        b.family = 4;
        b.len = 32;
    } else if (inet_pton(AF_INET6, host.c_str(), b.addr.data()) == 1) {
        b.family = 6;
        b.len = 128;
    } else {
        return "'" + item + "': '" + host + "' is not an IP address";
    }
    if (!len.empty()) {
        uint32_t l;
        if (!to_u32(len, l) || l > (b.family == 4 ? 32u : 128u))
            return "'" + item + "': bad prefix length '" + len + "'";
        b.len = static_cast<uint8_t>(l);
    }
    if (!ports.empty()) {
        const auto d = ports.find('-');
        uint32_t lo, hi;
        if (!to_u32(ports.substr(0, d), lo)) return "'" + item + "': bad port '" + ports + "'";
        hi = lo;
        if (d != std::string::npos && !to_u32(ports.substr(d + 1), hi))
            return "'" + item + "': bad port range '" + ports + "'";
        if (lo > 65535 || hi > 65535 || lo > hi)
            return "'" + item + "': bad port range '" + ports + "'";
        b.port_lo = static_cast<uint16_t>(lo);
        b.port_hi = static_cast<uint16_t>(hi);
    }
    return std::nullopt;
}

}  // namespace

const char* overload_action_name(OverloadAction a) {
    switch (a) {
        case OverloadAction::Shed:
            return "shed";
        case OverloadAction::Pass:
            return "pass";
        case OverloadAction::Class:
            return "class";
    }
    return "?";
}

std::optional<std::string> parse_bootstrap_list(const std::string& s,
                                                std::vector<BootstrapBypass>& out) {
    size_t pos = 0;
    while (pos <= s.size()) {
        const auto comma = s.find(',', pos);
        const std::string item =
            s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        if (!item.empty()) {
            BootstrapBypass b;
            if (auto e = parse_one(item, b)) return e;
            out.push_back(b);
        }
        if (comma == std::string::npos) break;
        pos = comma + 1;
    }
    return std::nullopt;
}

void add_safety_options(opt::Table& t, SafetyOptions& o) {
    t.section("clinical safety (docs/clinical-safety.md):");
    // The words and their meaning are the policy language's on_failure names.
    std::vector<std::string> fail_words;
    for (const auto& sp : policy::names::kFailMode) fail_words.emplace_back(sp.name);
    t.choice(
        {"--no-policy"}, std::move(fail_words),
        [&o](size_t k) {
            o.no_policy_closed = policy::names::kFailMode[k].value == policy::FailMode::Closed;
        },
        "before the first policy: bridge everything (open,\n"
        "default) or pass only essentials and --bootstrap-bypass");
    t.add({{"--bootstrap-bypass"},
           "LIST",
           "telemetry known before any policy, e.g.\n"
           "198.18.20.0/24:5000-5999,239.1.1.1:7000 (UDP, src or dst)",
           [&o](const std::string& v) -> std::optional<std::string> {
               if (auto e = parse_bootstrap_list(v, o.bootstrap)) return "--bootstrap-bypass " + *e;
               return std::nullopt;
           }});
    t.num({"--stall-timeout-ms"}, "N", o.stall_timeout_ms,
          "heartbeat silence before the watchdog takes a worker's\n"
          "queues and forwards them in pure bypass (default 200)");
    t.num({"--stall-recover-ms"}, "N", o.recover_ms,
          "steady heartbeat before handing them back (default 50)");
    static constexpr HwBypassMode kHw[] = {HwBypassMode::Off, HwBypassMode::Auto,
                                           HwBypassMode::Require};
    t.choice(
        {"--hw-bypass"}, {"off", "auto", "require"}, [&o](size_t k) { o.hw_bypass = kHw[k]; },
        "bypass-NIC watchdog (default auto)");
    t.num({"--hw-bypass-timeout-ms"}, "N", o.hw_bypass_timeout_ms,
          "its timeout, 1500..32000 (default 1500)");
    t.num({"--overload-burst-us"}, "N", o.overload_burst_us,
          "a burst slower than this is an overload sign (default\n500, 0 = off)");
    t.num({"--overload-backlog"}, "N", o.overload_backlog,
          "RX descriptors waiting that mean overload (default 3/4\n"
          "of the ring, where the PMD reports it)");
    t.num({"--overload-strikes"}, "N", o.overload_strikes,
          "slow bursts in a row that enter overload (default 4)");
    t.num({"--overload-quiet-ms"}, "N", o.overload_quiet_ms,
          "calm time before leaving overload (default 100)");
    // Same order as overload_action_name(): the words are the contract.
    static constexpr OverloadAction kAct[] = {OverloadAction::Shed, OverloadAction::Pass,
                                              OverloadAction::Class};
    t.choice(
        {"--overload-action"}, {"shed", "pass", "class"},
        [&o](size_t k) { o.overload_action = kAct[k]; },
        "non-telemetry while overloaded: drop,\n"
        "forward uninspected, or per class on_failure (default)");
    t.num({"--pool-low-pct"}, "N", o.pool_low_pct,
          "free mbufs below N% of the pool: overload (default 5)");
    t.num({"--scan-hosts"}, "N", o.limiter_hosts,
          "source hosts tracked per worker for new-flow limits\n(default 16384)");
    t.num({"--deny-cache-ms"}, "N", o.neg_cache_ms,
          "how long a denied flow is remembered (default 2000)");
}

std::optional<std::string> check_safety_options(const SafetyOptions& o) {
    if (o.stall_timeout_ms < 10 || o.stall_timeout_ms > 60000)
        return std::string("--stall-timeout-ms must be 10..60000");
    if (o.recover_ms < 1 || o.recover_ms > 60000)
        return std::string("--stall-recover-ms must be 1..60000");
    if (o.overload_strikes < 1 || o.overload_strikes > 1000)
        return std::string("--overload-strikes must be 1..1000");
    if (o.pool_low_pct > 90) return std::string("--pool-low-pct must be 0..90");
    if (o.limiter_hosts < 64 || o.limiter_hosts > (1u << 24))
        return std::string("--scan-hosts must be 64..16777216");
    if (o.neg_cache_ms > 600000) return std::string("--deny-cache-ms must be 0..600000");
    if (o.hw_bypass != HwBypassMode::Off && ixgbe_timeout_code(o.hw_bypass_timeout_ms) == 0)
        return std::string("--hw-bypass-timeout-ms must be at most 32000");
    return std::nullopt;
}

}  // namespace wg::safety
