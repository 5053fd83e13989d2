// Trace recipes shared by the ceiling and the pipeline suites, so both see
// exactly the same packets.
#pragma once

#include <cstdint>
#include <vector>

#include "gen.hpp"
#include "harness.hpp"
#include "packets.hpp"

namespace wg::bench {

// Established traffic: packet i belongs to flow flows[order[i]]; bursts
// alternate between the clinical side (initiator -> responder) and the core
// side (the reply direction), as a worker polling both ports sees them.
inline Stamper established_trace(const std::vector<Flow>& flows, const std::vector<uint32_t>& order,
                                 SizeMix size) {
    return [&flows, &order, size](uint64_t i, rte_mbuf* m) {
        const unsigned side = static_cast<unsigned>((i / kBurst) & 1);
        const Flow& f = flows[order[i % order.size()]];
        stamp(m, f, frame_size(size, i), side == 1, f.proto == 6 ? kTcpPshAck : 0);
        return side;
    };
}

// Every packet a new flow from the clinical side: packet i is flows[i].
inline Stamper new_flow_trace(const std::vector<Flow>& flows, SizeMix size, uint8_t tcp_flags) {
    return [&flows, size, tcp_flags](uint64_t i, rte_mbuf* m) {
        const Flow& f = flows[i % flows.size()];
        stamp(m, f, frame_size(size, i), false, f.proto == 6 ? tcp_flags : 0);
        return 0u;
    };
}

// Telemetry: clinical-side packets of bypass flows, Zipf popularity.
inline Stamper bypass_trace(const std::vector<Flow>& flows, const std::vector<uint32_t>& order,
                            SizeMix size) {
    return [&flows, &order, size](uint64_t i, rte_mbuf* m) {
        stamp(m, flows[order[i % order.size()]], frame_size(size, i), false, 0);
        return 0u;
    };
}

}  // namespace wg::bench
