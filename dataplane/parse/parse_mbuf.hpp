// Parser adapter for mbufs: parses in place when the headers lie in the first
// segment (the common case), otherwise from a bounded copy of the first
// kParseWindow bytes, so multi-segment (jumbo, scattered) frames are parsed
// without ever reading past a segment. Also the transport checksum check of
// frame admission, which needs the whole packet (parse/l4_checksum.hpp).
#pragma once

#include <rte_mbuf.h>

#include "parse/l4_checksum.hpp"
#include "parse/parser.hpp"

namespace wg::dp {

// `verify_l4`: check TCP/UDP checksums in software where the NIC's RX flags
// do not report them (admission `transport_checksum: verify` and enforced).
inline void parse_mbuf(const rte_mbuf* mb, PacketMeta& m, bool verify_l4 = false) {
    const uint32_t wire = rte_pktmbuf_pkt_len(mb);
    const uint32_t want = wire < kParseWindow ? wire : kParseWindow;
    if (rte_pktmbuf_data_len(mb) >= want) {
        parse_frame(rte_pktmbuf_mtod(mb, const uint8_t*), rte_pktmbuf_data_len(mb), wire, m);
    } else {
        alignas(8) uint8_t buf[kParseWindow];
        const void* p = rte_pktmbuf_read(mb, 0, want, buf);
        if (!p) {  // pkt_len larger than the chain holds: a broken mbuf
            m = PacketMeta{};
            m.kind = L2Kind::Malformed;
            m.reason = Reason::TruncatedL2;
            return;
        }
        parse_frame(static_cast<const uint8_t*>(p), want, wire, m);
    }
    check_checksums(mb, m, verify_l4);
}

}  // namespace wg::dp
