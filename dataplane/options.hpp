// Dataplane command line (what follows the EAL arguments and `--`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "contract/paths.hpp"
#include "safety/config.hpp"

namespace wg::dp {

struct Options {
    std::string clinical_port;  // port id or device name
    std::string core_port;
    std::string socket_path = contract::kDataplaneSocket;
    std::string socket_group;  // group allowed on the socket besides root
    std::string user;          // drop to this user after start ("" = stay)
    std::string policy_image;  // compiled image to enforce at start
    uint32_t burst = 32;
    uint32_t mbufs = 8191;  // per mempool; must fit the EAL memory (-m)
    uint32_t mtu = 1500;
    uint32_t rx_desc = 1024, tx_desc = 1024;
    uint32_t flows = 65536;     // flow-table entries per worker
    uint32_t idle_exit_ms = 0;  // tests: exit once traffic has been idle this long
    bool test_hooks = false;    // accept TestHook requests (never in production)
    // Tests on recorded inputs: the order in which to take frames from the
    // two ports, one letter per frame ('c' clinical, 'k' core).
    std::string replay_order;
    uint64_t pause_after = UINT64_MAX;  // tests: process this many frames, then wait for rx-resume
    bool help = false;
    safety::SafetyOptions safety;  // failure modes (docs/clinical-safety.md)
};

// Parses argv (after EAL's arguments were consumed). Returns an error message
// on bad input.
std::optional<std::string> parse_options(int argc, char** argv, Options& out);
std::string usage(const char* prog);
// Declares every option (parsing and help text) bound to `o`.
void add_options(opt::Table& t, Options& o);

}  // namespace wg::dp
