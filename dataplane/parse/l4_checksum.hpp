// Transport (TCP/UDP) checksum check of frame admission. The NIC's RX
// checksum flags are used where the port reports them (no cost); where it
// reports nothing (virtual devices, NICs without the offload) the checksum is
// verified in software when asked: one pass over the L4 bytes, about
// 0.1 ns/byte on a current core (docs/dataplane.md "Frame admission" has the
// measured cost). Fragments are not checked (no reassembly).
#pragma once

#include <rte_ip.h>
#include <rte_mbuf.h>

#include <cstring>

#include "packet_meta.hpp"
#include "parse/admission_check.hpp"
#include "policy/admission.hpp"

namespace wg::dp {

// Software check: pseudo-header + L4 bytes sum to 0xffff (one's complement).
inline bool l4_checksum_ok(const rte_mbuf* mb, const PacketMeta& m) {
    alignas(8) uint8_t ph[40];
    const size_t n = l4_pseudo_header(m, ph);
    uint32_t sum = __rte_raw_cksum(ph, n, 0);
    uint16_t body = 0;
    if (rte_pktmbuf_data_len(mb) >= uint32_t(m.l4_offset) + m.l4_len) {
        body = rte_raw_cksum(rte_pktmbuf_mtod_offset(mb, const uint8_t*, m.l4_offset), m.l4_len);
    } else if (rte_raw_cksum_mbuf(mb, m.l4_offset, m.l4_len, &body) != 0) {
        return false;
    }
    sum += body;
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return sum == 0xffff;
}

inline void check_checksums(const rte_mbuf* mb, PacketMeta& m, bool verify_l4) {
    if (m.kind != L2Kind::Ip) return;
    using policy::AdmissionCheck;
    if ((mb->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_BAD)
        m.anomalies |= uint16_t(policy::admission_bit(AdmissionCheck::Ipv4Checksum));
    if (m.frag != 0 || (m.proto != 6 && m.proto != 17)) return;
    const uint64_t f = mb->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
    if (f == RTE_MBUF_F_RX_L4_CKSUM_BAD) {
        m.anomalies |= uint16_t(policy::admission_bit(AdmissionCheck::TransportChecksum));
        return;
    }
    // GOOD: verified by the NIC. NONE: the data is valid but the checksum
    // field is not filled in (a partial checksum from a virtual port).
    if (f != RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN || !verify_l4) return;
    if (m.proto == 17 && m.family == 4) {
        // RFC 768: checksum 0 = none computed (IPv4 only; IPv6 requires one).
        uint8_t c[2];
        const auto* p = static_cast<const uint8_t*>(rte_pktmbuf_read(mb, m.l4_offset + 6u, 2, c));
        if (p && p[0] == 0 && p[1] == 0) return;
    }
    if (!l4_checksum_ok(mb, m))
        m.anomalies |= uint16_t(policy::admission_bit(AdmissionCheck::TransportChecksum));
}

}  // namespace wg::dp
