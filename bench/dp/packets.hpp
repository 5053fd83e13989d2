// Frame construction for the in-process benchmarks: writes Ethernet + IPv4/IPv6
// + TCP/UDP headers of a Flow into an mbuf, at a given frame size, in either
// direction. Called outside the timed region (it plays the NIC's DMA).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <rte_mbuf.h>

#include "gen.hpp"

namespace wg::bench {

// Frame sizes are Ethernet frame sizes including the 4-byte FCS, as in RFC
// 2544 (a "64 B" frame is 60 bytes in the mbuf). A size too small for the
// headers (IPv6 + TCP needs 78 B) is raised to the minimum.
enum class SizeMix : uint8_t { B64, B512, Imix };
const char* size_name(SizeMix s);
// Frame size (incl. FCS) of packet number `i` of a trace.
uint16_t frame_size(SizeMix s, uint64_t i);
// Mean frame size over the IMIX pattern (or the fixed size), incl. FCS, for `family`.
double mean_frame_size(SizeMix s, uint8_t family, uint8_t proto);
uint16_t min_frame_size(uint8_t family, uint8_t proto);

constexpr uint8_t kTcpSyn = 0x02, kTcpAck = 0x10, kTcpSynAck = 0x12, kTcpPshAck = 0x18;

// Writes the frame into `m` (resets data_len/pkt_len). `reverse` = the
// responder's packet (core -> clinical). Returns the frame size incl. FCS.
uint16_t stamp(rte_mbuf* m, const Flow& f, uint16_t frame_size_fcs, bool reverse,
               uint8_t tcp_flags);

}  // namespace wg::bench
