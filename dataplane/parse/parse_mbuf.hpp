// Parser adapter for mbufs: parses in place when the headers lie in the first
// segment (the common case), otherwise from a bounded copy of the first
// kParseWindow bytes, so multi-segment (jumbo, scattered) frames are parsed
// without ever reading past a segment.
#pragma once

#include <rte_mbuf.h>

#include "parse/parser.hpp"

namespace wg::dp {

inline void parse_mbuf(const rte_mbuf* mb, PacketMeta& m) {
    const uint32_t wire = rte_pktmbuf_pkt_len(mb);
    const uint32_t want = wire < kParseWindow ? wire : kParseWindow;
    if (rte_pktmbuf_data_len(mb) >= want) {
        parse_frame(rte_pktmbuf_mtod(mb, const uint8_t*), rte_pktmbuf_data_len(mb), wire, m);
        return;
    }
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

}  // namespace wg::dp
