// TCP resets for an L7 violation (rule or class `on_violation: reset`): from
// the client segment the gateway drops, two frames that end the connection at
// both ends at once, so a client fails fast instead of retransmitting into a
// denied flow until its own timeout.
//
// The gateway is a bump in the wire with no addresses of its own: each reset
// is written as if its peer had sent it, on the segment's own L2 framing.
//  - to the client, "from the server": MACs swapped, the same VLAN tag(s),
//    addresses and ports swapped, seq = the segment's ACK number (the next
//    byte the client expects from the server, exactly what RFC 5961 3.2
//    accepts without a challenge ACK), ACK = seg.seq + its length;
//  - to the server, "from the client": the segment's MACs and tag(s), seq =
//    seg.seq (the dropped segment's first byte, which the server has not
//    received: its RCV.NXT), ACK = the segment's ACK number.
// Fresh IPv4/IPv6 headers (no options, no extension headers), TTL / hop limit
// 64, the segment's DSCP, correct IP and TCP checksums, padded to 60 bytes.
//
// Pure and allocation-free over byte buffers (no DPDK): the dataplane calls it
// on its worker with mbuf data, the tests and the fuzzer on plain arrays.
#pragma once

#include <cstddef>
#include <cstdint>

#include "l7/result.hpp"

namespace wg::l7 {

// The longest frame built: Ethernet + 2 VLAN tags + IPv6 + TCP (82 bytes).
inline constexpr size_t kRstFrameMax = 14 + 2 * 4 + 40 + 20;
// Ethernet's minimum frame without FCS: shorter resets are zero-padded.
inline constexpr size_t kRstFrameMin = 60;
// How much of the violating frame the builder reads at most (its headers):
// Ethernet, two tags, IPv4 with options or IPv6 with a few extension
// headers, and the TCP header with options. Callers copy min(frame, this).
inline constexpr size_t kRstInputMax = 256;

struct RstFrames {
    uint8_t to_client[kRstFrameMax];
    uint8_t to_server[kRstFrameMax];
    uint16_t to_client_len = 0;
    uint16_t to_server_len = 0;
};

// Fills `out` from the head of the violating client frame (Ethernet, at most
// two 802.1Q / 802.1ad tags, IPv4 or IPv6, TCP). Returns false, `out` unset,
// for a frame it cannot answer: not TCP over IPv4/IPv6, an IPv4 fragment, an
// IPv6 fragment or unknown extension header, headers beyond `frame` or
// inconsistent lengths. The caller then only drops.
bool build_tcp_resets(Bytes frame, RstFrames& out);

}  // namespace wg::l7
