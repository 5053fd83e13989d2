// Failure-mode configuration of the dataplane (command-line options that
// follow the EAL arguments and `--`, next to the dataplane's own). Policy
// settings (per-class on_failure, default_on_failure, new_flows_per_sec /
// burst, quarantine_scanners / quarantine_s) travel with the policy image;
// these are the ones that must hold before any policy exists or that belong
// to the host (timeouts, NIC watchdog).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/options.hpp"
#include "safety/hw_bypass.hpp"
#include "safety/overload.hpp"

namespace wg::safety {

// A telemetry match known before any policy: UDP from or to `prefix` with a
// destination port in [port_lo, port_hi].
struct BootstrapBypass {
    uint8_t family = 4;
    uint8_t len = 0;
    std::array<uint8_t, 16> addr{};
    uint16_t port_lo = 0, port_hi = 65535;
};

struct SafetyOptions {
    // 5. worker stall
    uint32_t stall_timeout_ms = 200;
    uint32_t recover_ms = 50;
    HwBypassMode hw_bypass = HwBypassMode::Auto;
    uint32_t hw_bypass_timeout_ms = 1500;
    // 4. overload
    uint32_t overload_burst_us = 500;  // 0 = off
    uint32_t overload_backlog = 0;     // 0 = 3/4 of the RX ring
    uint32_t overload_strikes = 4;
    uint32_t overload_quiet_ms = 100;
    OverloadAction overload_action = OverloadAction::Class;
    // 3. mempool
    uint32_t pool_low_pct = 5;
    // 1. no policy
    bool no_policy_closed = false;  // default: open (a transparent bridge)
    std::vector<BootstrapBypass> bootstrap;
    // scan storms
    uint32_t limiter_hosts = 16384;
    uint32_t neg_cache_ms = 2000;
};

// Declares the options above (parsing and help text) in the program's table.
void add_safety_options(opt::Table& t, SafetyOptions& o);
// Cross-checks once every option is parsed.
std::optional<std::string> check_safety_options(const SafetyOptions& o);

// "198.18.20.0/24:5000-5999", "239.1.1.1:7000", "2001:db8::/32" (any port),
// comma-separated lists allowed. Returns an error message on bad input.
std::optional<std::string> parse_bootstrap_list(const std::string& s,
                                                std::vector<BootstrapBypass>& out);

const char* overload_action_name(OverloadAction a);

}  // namespace wg::safety
