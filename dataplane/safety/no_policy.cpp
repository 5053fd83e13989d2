#include "safety/no_policy.hpp"

#include <cstring>

namespace wg::safety {
namespace {

bool prefix_match(const uint8_t* a, const BootstrapBypass& b) {
    const unsigned full = b.len / 8, rem = b.len % 8;
    if (std::memcmp(a, b.addr.data(), full) != 0) return false;
    if (!rem) return true;
    const uint8_t mask = static_cast<uint8_t>(0xff00u >> rem);
    return (a[full] & mask) == (b.addr[full] & mask);
}

bool is_essential_ip(const dp::PacketMeta& m) {
    if (m.proto == 17) {
        const uint16_t s = m.sport, d = m.dport;
        if ((s == 67 || s == 68) && (d == 67 || d == 68)) return true;      // DHCP
        if ((s == 546 || s == 547) && (d == 546 || d == 547)) return true;  // DHCPv6
        return false;
    }
    if (m.proto == 2) return m.family == 4;  // IGMP
    if (m.proto == 58 && m.family == 6) {
        const uint8_t t = m.icmp_type;
        if (t >= 133 && t <= 137) return true;                // ND / RA / redirect
        if ((t >= 130 && t <= 132) || t == 143) return true;  // MLD
    }
    return false;
}

}  // namespace

bool bootstrap_match(const dp::PacketMeta& m, const BootstrapBypass& b) {
    if (m.kind != dp::L2Kind::Ip || m.proto != 17 || m.family != b.family || m.frag == 2)
        return false;
    if (m.dport < b.port_lo || m.dport > b.port_hi) return false;
    return prefix_match(m.src, b) || prefix_match(m.dst, b);
}

NoPolicyVerdict no_policy_classify(const dp::PacketMeta& m,
                                   std::span<const BootstrapBypass> bootstrap) {
    switch (m.kind) {
        case dp::L2Kind::Arp:
        case dp::L2Kind::Stp:
        case dp::L2Kind::Lldp:
        case dp::L2Kind::Eapol:
            return NoPolicyVerdict::Essential;
        case dp::L2Kind::Ip:
            break;
        default:
            return NoPolicyVerdict::Drop;
    }
    if (m.reason != dp::Reason::None) return NoPolicyVerdict::Drop;
    if (is_essential_ip(m)) return NoPolicyVerdict::Essential;
    for (const auto& b : bootstrap)
        if (bootstrap_match(m, b)) return NoPolicyVerdict::Telemetry;
    return NoPolicyVerdict::Drop;
}

}  // namespace wg::safety
