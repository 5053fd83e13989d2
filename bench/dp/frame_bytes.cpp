#include "frame_bytes.hpp"

namespace wg::bench {

void put16(Buf& b, uint16_t v) {
    b.push_back(uint8_t(v >> 8));
    b.push_back(uint8_t(v));
}
void put32(Buf& b, uint32_t v) {
    put16(b, uint16_t(v >> 16));
    put16(b, uint16_t(v));
}

Buf ipv4_frame(uint32_t src, uint32_t dst, uint8_t proto, uint16_t sp, uint16_t dp, uint8_t flags,
               uint32_t seq, uint32_t ack, const Buf& payload) {
    Buf b = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0x10, 0x08, 0x00};
    const uint16_t l4 = proto == 6 ? 20 : 8;
    b.push_back(0x45);
    b.push_back(0);
    put16(b, uint16_t(20 + l4 + payload.size()));
    put16(b, 1);
    put16(b, 0);
    b.push_back(64);
    b.push_back(proto);
    put16(b, 0);
    put32(b, src);
    put32(b, dst);
    put16(b, sp);
    put16(b, dp);
    if (proto == 6) {
        put32(b, seq);
        put32(b, ack);
        b.push_back(5 << 4);
        b.push_back(flags);
        put16(b, 8192);
        put32(b, 0);
    } else {
        put16(b, uint16_t(8 + payload.size()));
        put16(b, 0);
    }
    b.insert(b.end(), payload.begin(), payload.end());
    // Valid IPv4 and transport checksums (frame_bytes.hpp says why).
    auto fold = [](uint32_t sum) {
        while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
        return uint16_t(~sum);
    };
    auto add = [&](size_t from, size_t to, uint32_t sum) {
        for (size_t i = from; i < to; i += 2)
            sum += (uint32_t(b[i]) << 8) | (i + 1 < to ? b[i + 1] : 0);
        return sum;
    };
    const uint16_t ipck = fold(add(14, 34, 0));
    b[24] = uint8_t(ipck >> 8);
    b[25] = uint8_t(ipck);
    const size_t l4len = b.size() - 34;
    uint32_t pseudo = add(26, 34, 0) + proto + uint32_t(l4len);
    uint16_t l4ck = fold(add(34, b.size(), pseudo));
    if (proto == 17 && l4ck == 0) l4ck = 0xffff;
    const size_t at = 34 + (proto == 6 ? 16 : 6);
    b[at] = uint8_t(l4ck >> 8);
    b[at + 1] = uint8_t(l4ck);
    while (b.size() < 60) b.push_back(0);  // Ethernet padding, outside the IP length
    return b;
}

}  // namespace wg::bench
