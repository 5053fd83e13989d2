// libFuzzer harness: the TCP reset builder (common/l7/rst_frame.hpp) on any
// frame bytes. Besides memory safety: a built reset has the promised length,
// valid IPv4 header and TCP checksums, is itself never answered (no reset
// for a reset), and the two resets mirror each other (ports and addresses
// swapped, MACs swapped, the same L2 header otherwise).
#include <cstdint>
#include <cstring>

#include "fuzz_check.hpp"
#include "l7/rst_frame.hpp"

namespace {

uint32_t sum16(const uint8_t* p, size_t n, uint32_t s = 0) {
    for (size_t i = 0; i + 1 < n; i += 2) s += uint32_t(p[i] << 8 | p[i + 1]);
    if (n & 1) s += uint32_t(p[n - 1]) << 8;
    return s;
}
uint16_t fold(uint32_t s) {
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return uint16_t(s);
}

// Checks one built reset; returns the offset of its IP header.
size_t check_frame(const uint8_t* f, size_t len) {
    using l7fuzz::require;
    require(len >= wg::l7::kRstFrameMin && len <= wg::l7::kRstFrameMax);
    size_t l3 = 14;
    while (l3 + 2 <= len && (f[l3 - 2] == 0x81 || f[l3 - 2] == 0x88 || f[l3 - 2] == 0x91) &&
           l3 < 22)
        l3 += 4;
    const uint16_t type = uint16_t(f[l3 - 2] << 8 | f[l3 - 1]);
    require(type == 0x0800 || type == 0x86dd);
    const uint8_t* ip = f + l3;
    if (type == 0x0800) {
        require(l3 + 40 <= len && ip[0] == 0x45 && ip[9] == 6);
        require(fold(sum16(ip, 20)) == 0xffff);
        require(fold(sum16(ip + 20, 20, sum16(ip + 12, 8, 26))) == 0xffff);
    } else {
        require(l3 + 60 <= len && (ip[0] >> 4) == 6 && ip[6] == 6);
        require(fold(sum16(ip + 40, 20, sum16(ip + 8, 32, 26))) == 0xffff);
    }
    const uint8_t* tcp = ip + (type == 0x0800 ? 20 : 40);
    require(tcp[13] & 0x04);  // RST
    return l3;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using l7fuzz::require;
    wg::l7::RstFrames r;
    if (!wg::l7::build_tcp_resets(wg::l7::Bytes(data, size), r)) return 0;
    const size_t a = check_frame(r.to_client, r.to_client_len);
    const size_t b = check_frame(r.to_server, r.to_server_len);
    require(a == b);
    require(std::memcmp(r.to_client, r.to_server + 6, 6) == 0);
    require(std::memcmp(r.to_client + 6, r.to_server, 6) == 0);
    require(std::memcmp(r.to_client + 12, r.to_server + 12, a - 12) == 0);  // tags, type
    require(std::memcmp(r.to_server, data, a) == 0);  // the segment's own L2 header
    // A reset is never answered with another one.
    wg::l7::RstFrames again;
    require(!wg::l7::build_tcp_resets(wg::l7::Bytes(r.to_server, r.to_server_len), again));
    return 0;
}
