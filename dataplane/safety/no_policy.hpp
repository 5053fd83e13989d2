// What passes before any policy exists when --no-policy closed is chosen
// (failure mode 1): essentials that keep a ward's network alive (ARP, IPv6
// neighbour discovery, DHCP, IGMP/MLD, STP, LLDP, EAPOL) and the telemetry
// listed with --bootstrap-bypass. Everything else is dropped with
// Reason::NoPolicy. (--no-policy open, the default, bridges every frame.)
#pragma once

#include <cstdint>
#include <span>

#include "packet_meta.hpp"
#include "safety/config.hpp"

namespace wg::safety {

enum class NoPolicyVerdict : uint8_t { Essential = 0, Telemetry = 1, Drop = 2 };

bool bootstrap_match(const dp::PacketMeta& m, const BootstrapBypass& b);

NoPolicyVerdict no_policy_classify(const dp::PacketMeta& m,
                                   std::span<const BootstrapBypass> bootstrap);

}  // namespace wg::safety
