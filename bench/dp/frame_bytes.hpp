// Hand-built Ethernet + IPv4 + TCP/UDP frames as bytes, for the suites that
// push one frame at a time through process_burst (l7, staged). Checksums
// are valid: strict frame admission, the default profile, verifies them in
// software (a pool mbuf carries no NIC checksum flags) and would drop the
// frame before the stage being measured.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace wg::bench {

using Buf = std::vector<uint8_t>;

void put16(Buf& b, uint16_t v);
void put32(Buf& b, uint32_t v);

// Addresses in host order; `flags`, `seq`, `ack` are used for TCP only.
// Padded to the 60-byte Ethernet minimum (outside the IP length).
Buf ipv4_frame(uint32_t src, uint32_t dst, uint8_t proto, uint16_t sp, uint16_t dp, uint8_t flags,
               uint32_t seq, uint32_t ack, const Buf& payload);

}  // namespace wg::bench
