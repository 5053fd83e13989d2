// The flow key: the 5-tuple plus the outer VLAN, normalised so that both
// directions of a connection produce the same key (the lower address/port
// pair first). ICMP echo-like messages use the identifier as both "ports" so
// a request and its reply meet; other ICMP messages use type/code.
#pragma once

#include <cstdint>
#include <cstring>

#include "packet_meta.hpp"

namespace wg::dp {

struct FlowKey {
    uint8_t a[16];  // lower endpoint address (network order)
    uint8_t b[16];
    uint16_t pa, pb;  // ports of a and b (host order)
    uint16_t vlan;
    uint8_t proto;
    uint8_t family;  // 4 | 6; 0 marks a free table entry
    friend bool operator==(const FlowKey& x, const FlowKey& y) {
        return std::memcmp(&x, &y, sizeof(FlowKey)) == 0;
    }
};
static_assert(sizeof(FlowKey) == 40, "FlowKey is hashed as 40 packed bytes");

inline bool has_ports(uint8_t proto) {
    return proto == 6 || proto == 17 || proto == 132;
}
inline bool is_icmp(uint8_t proto) {
    return proto == 1 || proto == 58;
}

// Builds the normalised key of `m` (an IP packet). Returns true when the
// packet's source is endpoint `a` of the key ("forward" orientation).
inline bool make_flow_key(const PacketMeta& m, FlowKey& k) {
    uint16_t sp = 0, dp = 0;
    if (has_ports(m.proto)) {
        sp = m.sport;
        dp = m.dport;
    } else if (is_icmp(m.proto)) {
        sp = dp = m.sport ? m.sport : m.dport;  // echo id, else type<<8|code
    }
    const unsigned alen = m.family == 6 ? 16 : 4;
    int c = std::memcmp(m.src, m.dst, alen);
    const bool src_is_a = c < 0 || (c == 0 && sp <= dp);
    std::memset(&k, 0, sizeof(k));
    if (src_is_a) {
        std::memcpy(k.a, m.src, 16);
        std::memcpy(k.b, m.dst, 16);
        k.pa = sp;
        k.pb = dp;
    } else {
        std::memcpy(k.a, m.dst, 16);
        std::memcpy(k.b, m.src, 16);
        k.pa = dp;
        k.pb = sp;
    }
    k.vlan = m.vlan;
    k.proto = m.proto;
    k.family = m.family;
    return src_is_a;
}

}  // namespace wg::dp
