// Wire-port discovery and setup: exactly two ports, with roles.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <rte_mempool.h>

#include "options.hpp"

namespace wg::dp {

enum Side : uint8_t { kClinical = 0, kCore = 1 };
inline const char* side_name(unsigned s) {
    return s == kClinical ? "clinical" : "core";
}

struct PortInfo {
    uint16_t id = 0;
    std::string name;
};

// Resolves a port given by id ("0") or DPDK device name ("net_pcap0").
std::optional<std::string> resolve_port(const std::string& spec, PortInfo& out);

// Checks that exactly the two role ports exist and differ.
std::optional<std::string> check_port_set(const PortInfo& clinical, const PortInfo& core);

// The RSS key of every port with more than one queue: 0x6d5a repeated makes
// the Toeplitz hash symmetric (swapping source and destination addresses and
// ports gives the same hash), so both directions of a flow land on the same
// queue index of either port, hence on one worker (docs/dataplane.md,
// "Multi-core"). The in-process bench splits its traffic with it too.
inline constexpr unsigned kSymRssKeyLen = 40;
const uint8_t* sym_rss_key();
// The queue the default redirection table (entry i -> queue i % queues, 128
// entries or more) gives a Toeplitz hash.
inline uint16_t rss_queue(uint32_t hash, uint16_t queues) {
    return static_cast<uint16_t>((hash & 127) % queues);
}

// Configures `queues` rx/tx queue pairs, enables promiscuous mode (a bump in
// the wire must see every frame) and starts the port.
std::optional<std::string> start_port(const PortInfo& p, uint16_t queues, rte_mempool* pool,
                                      const Options& o);

}  // namespace wg::dp
