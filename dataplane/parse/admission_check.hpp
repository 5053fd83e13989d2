// Frame admission's decision on a parsed frame, DPDK-free so that the
// dataplane's stage_pre and `wardgate replay` share it: the parser records
// each failed check as a bit (PacketMeta::anomalies), the profile says which
// checks it enforces, and the pseudo-header of the transport checksum.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "packet_meta.hpp"
#include "policy/admission.hpp"

namespace wg::dp {

// The first failed check the profile enforces, or None. The common case (a
// clean frame under the MTU) costs one AND and one compare.
inline Reason admission_reason(const policy::Admission& a, const PacketMeta& m,
                               uint32_t frame_bytes) {
    uint32_t failed = m.anomalies;
    if (frame_bytes > uint32_t(m.l3_offset) + a.mtu && m.kind != L2Kind::Malformed)
        failed |= policy::admission_bit(policy::AdmissionCheck::Mtu);
    failed &= a.enforced;
    if (!failed) return Reason::None;
    return policy::kAdmissionReasons[unsigned(__builtin_ctz(failed))];
}

// The TCP/UDP pseudo-header (RFC 768/9293 for IPv4, RFC 8200 8.1 for IPv6)
// in network order, so its raw one's-complement sum adds to the packet
// bytes' raw sum. Returns its length (12 or 40).
inline size_t l4_pseudo_header(const PacketMeta& m, uint8_t (&ph)[40]) {
    std::memset(ph, 0, sizeof ph);
    if (m.family == 4) {
        std::memcpy(ph, m.src, 4);
        std::memcpy(ph + 4, m.dst, 4);
        ph[9] = m.proto;
        ph[10] = uint8_t(m.l4_len >> 8);
        ph[11] = uint8_t(m.l4_len);
        return 12;
    }
    std::memcpy(ph, m.src, 16);
    std::memcpy(ph + 16, m.dst, 16);
    ph[34] = uint8_t(m.l4_len >> 8);
    ph[35] = uint8_t(m.l4_len);
    ph[39] = m.proto;
    return 40;
}

}  // namespace wg::dp
