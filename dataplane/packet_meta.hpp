// What the parser extracts from a frame: everything later stages (essentials,
// bypass, flow lookup, classification) need, so none of them touches packet
// bytes again. Filled by parse/ for every received mbuf, one per burst slot.
#pragma once

#include <cstdint>

#include "contract/reasons.hpp"

namespace wg::dp {

enum class L2Kind : uint8_t {
    Ip = 0,  // IPv4 or IPv6 (see family)
    Arp,
    Stp,         // 01:80:c2:00:00:00 (BPDU)
    Lldp,        // ethertype 0x88cc
    Eapol,       // ethertype 0x888e
    OtherNonIp,  // any other ethertype
    Malformed,   // see reason
};

// Why a packet got a special verdict (counted per reason; also the audit
// event's reason code): defined once, with its names, in
// common/contract/reasons.hpp (append only: part of the audit log format).
using Reason = contract::Reason;

struct PacketMeta {
    L2Kind kind = L2Kind::Malformed;
    Reason reason = Reason::None;  // set when kind == Malformed or a check failed
    uint8_t family = 0;            // 4 | 6 | 0 (non-IP)
    uint8_t proto = 0;             // IP protocol (after IPv6 extension headers)
    uint8_t tcp_flags = 0;
    uint8_t icmp_type = 0, icmp_code = 0;
    uint8_t ttl = 0;         // IPv4 TTL / IPv6 hop limit
    uint8_t arrival = 0;     // port it arrived on (policy::Side); set by the pipeline
    uint8_t frag = 0;        // 0 = not a fragment, 1 = first fragment, 2 = later fragment
    uint8_t vlan_depth = 0;  // 0 untagged, 1 802.1Q, 2 QinQ
    uint16_t vlan = 0;       // outer VLAN id, 0 = untagged
    uint16_t inner_vlan = 0;
    uint16_t sport = 0, dport = 0;  // host order; ICMP: sport = echo id, dport = type<<8|code
    uint32_t frag_id = 0;           // IPv4 id / IPv6 fragment identification
    uint16_t frag_offset = 0;       // in 8-byte units
    uint16_t l3_offset = 0, l4_offset = 0;
    uint16_t l4_len = 0;  // bytes of L4 header+payload present in this packet
    // Frame admission checks this frame fails (policy::AdmissionCheck bits);
    // the policy's admission profile decides which of them drop it.
    uint16_t anomalies = 0;
    uint8_t src_mac[6] = {}, dst_mac[6] = {};
    alignas(8) uint8_t src[16] = {};  // network order; IPv4 in [0..3], rest zero
    alignas(8) uint8_t dst[16] = {};
};

}  // namespace wg::dp
