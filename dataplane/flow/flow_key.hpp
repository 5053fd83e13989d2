// The flow key: the 5-tuple plus the outer VLAN, normalised so that both
// directions of a connection produce the same key (the lower address/port
// pair first). ICMP echo-like messages use the identifier as both "ports" so
// a request and its reply meet; other ICMP messages use type/code.
#pragma once

#include <cstddef>
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
    // Every byte is written by one 16-byte or one 8-byte store, no memset
    // first: flow_hash reads the key back as 8-byte words at once, and a word
    // assembled from several narrower stores cannot be forwarded from the
    // store buffer (a stall of a dozen cycles per packet).
    std::memcpy(k.a, src_is_a ? m.src : m.dst, 16);
    std::memcpy(k.b, src_is_a ? m.dst : m.src, 16);
    const uint16_t pa = src_is_a ? sp : dp, pb = src_is_a ? dp : sp;
    const uint64_t tail = uint64_t(pa) | uint64_t(pb) << 16 | uint64_t(m.vlan) << 32 |
                          uint64_t(m.proto) << 48 | uint64_t(m.family) << 56;
    static_assert(offsetof(FlowKey, pa) == 32 && offsetof(FlowKey, family) == 39);
    std::memcpy(reinterpret_cast<uint8_t*>(&k) + 32, &tail, 8);  // pa, pb, vlan, proto, family (LE)
    return src_is_a;
}

}  // namespace wg::dp
