// Frame parser: fills a PacketMeta from raw bytes without trusting any length
// field. Every read is bounds-checked against what is actually present; a
// frame that does not hold together gets kind = Malformed and a Reason, never
// an out-of-bounds read. Fragment evasion checks (RFC 1858 tiny first
// fragments, RFC 3128 overlapping TCP fragments) set a Reason on an Ip frame.
//
// Pure C++ (no DPDK) so it is unit-tested on byte arrays; parse_mbuf.hpp
// adapts it to (possibly multi-segment) mbufs.
#pragma once

#include <cstdint>

#include "packet_meta.hpp"

namespace wg::dp {

// Headers the parser looks at must lie within this many bytes of the frame
// start (VLAN tags + IPv6 extension chain + L4 header). Longer chains are
// refused (Ipv6ExtChainTooLong) rather than read.
inline constexpr uint32_t kParseWindow = 512;
// IPv6 extension headers followed before giving up.
inline constexpr unsigned kMaxIpv6ExtHeaders = 8;

// `p` holds the first `len` bytes of a frame of `wire_len` bytes (len <=
// wire_len; len < wire_len only when the frame is longer than the window).
void parse_frame(const uint8_t* p, uint32_t len, uint32_t wire_len, PacketMeta& m);

}  // namespace wg::dp
