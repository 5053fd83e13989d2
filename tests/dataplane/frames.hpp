// The frame builder of the C++ tests (dataplane, pipeline, safety lanes): header
// writers on a byte vector, and whole frames for the common cases. No scapy in
// C++ tests; the Python builder is tools/frames.py.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

namespace wg::test {

struct Bytes {
    std::vector<uint8_t> b;
    Bytes& u8(uint8_t v) {
        b.push_back(v);
        return *this;
    }
    Bytes& u16(uint16_t v) { return u8(uint8_t(v >> 8)).u8(uint8_t(v)); }
    Bytes& u32(uint32_t v) { return u16(uint16_t(v >> 16)).u16(uint16_t(v)); }
    Bytes& raw(std::initializer_list<uint8_t> l) {
        b.insert(b.end(), l);
        return *this;
    }
    Bytes& raw(const std::vector<uint8_t>& v) {
        b.insert(b.end(), v.begin(), v.end());
        return *this;
    }
    Bytes& zeros(size_t n) {
        b.insert(b.end(), n, 0);
        return *this;
    }
};

inline const std::vector<uint8_t> kMacA = {0x02, 0, 0, 0, 0, 0x0a};
inline const std::vector<uint8_t> kMacB = {0x02, 0, 0, 0, 0, 0x0b};

inline Bytes eth(uint16_t type, std::initializer_list<uint16_t> vlans = {}) {
    Bytes f;
    f.raw(kMacB).raw(kMacA);
    bool outer = true;
    for (uint16_t v : vlans) {
        f.u16(outer && vlans.size() > 1 ? 0x88a8 : 0x8100).u16(v);
        outer = false;
    }
    return f.u16(type);
}

// One's complement sum of 16-bit big-endian words (RFC 1071), not inverted.
inline uint32_t sum16(const uint8_t* p, size_t n, uint32_t sum = 0) {
    for (size_t i = 0; i + 1 < n; i += 2) sum += uint32_t(p[i] << 8 | p[i + 1]);
    if (n & 1) sum += uint32_t(p[n - 1] << 8);
    return sum;
}
inline uint16_t fold(uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return uint16_t(~sum);
}

// Ethernet between two hosts whose MACs derive from their IPv4 addresses
// (02:00:a.b.c.d): a reply built by swapping the addresses also swaps the
// MACs, as on the wire (the dataplane checks them on established flows).
inline Bytes eth_hosts(uint32_t src, uint32_t dst, uint16_t type) {
    Bytes f;
    f.raw({0x02, 0x00}).u32(dst).raw({0x02, 0x00}).u32(src);
    return f.u16(type);
}

// IPv4 header with a correct header checksum (frame admission checks it).
inline Bytes& ipv4(Bytes& f, uint32_t src, uint32_t dst, uint8_t proto, uint16_t payload,
                   uint16_t frag = 0, uint16_t id = 1, std::vector<uint8_t> opts = {}) {
    const auto ihl = uint8_t(5 + opts.size() / 4);
    const size_t at = f.b.size();
    f.u8(uint8_t(0x40 | ihl)).u8(0).u16(uint16_t(ihl * 4 + payload)).u16(id).u16(frag);
    f.u8(64).u8(proto).u16(0).u32(src).u32(dst).raw(opts);
    const uint16_t c = fold(sum16(f.b.data() + at, ihl * 4u));
    f.b[at + 10] = uint8_t(c >> 8);
    f.b[at + 11] = uint8_t(c);
    return f;
}

// Fills the TCP/UDP checksum of an untagged IPv4 frame whose L4 header
// starts at `l4` (frame admission verifies transport checksums).
inline std::vector<uint8_t> with_l4_checksum(std::vector<uint8_t> f, size_t l4 = 34) {
    const uint8_t proto = f[23];
    const size_t len = f.size() - l4;
    const size_t at = l4 + (proto == 6 ? 16 : 6);
    f[at] = f[at + 1] = 0;
    uint32_t s = sum16(f.data() + 26, 8);  // pseudo-header: addresses, proto, length
    s += proto + uint32_t(len);
    const uint16_t c = fold(sum16(f.data() + l4, len, s));
    f[at] = uint8_t(c >> 8);
    f[at + 1] = uint8_t(c);
    return f;
}

inline Bytes& ipv6(Bytes& f, uint8_t last_octet_src, uint8_t last_octet_dst, uint8_t nh,
                   uint16_t payload) {
    f.u32(0x60000000).u16(payload).u8(nh).u8(64);
    f.raw({0x20, 0x01, 0x0d, 0xb8}).zeros(11).u8(last_octet_src);
    f.raw({0x20, 0x01, 0x0d, 0xb8}).zeros(11).u8(last_octet_dst);
    return f;
}

inline Bytes& tcp(Bytes& f, uint16_t sp, uint16_t dp, uint8_t flags, uint8_t doff = 5) {
    f.u16(sp).u16(dp).u32(1).u32(0).u8(uint8_t(doff << 4)).u8(flags).u16(8192).u16(0).u16(0);
    return f;
}

inline Bytes& udp(Bytes& f, uint16_t sp, uint16_t dp, uint16_t payload) {
    return f.u16(sp).u16(dp).u16(uint16_t(8 + payload)).u16(0);
}

// Whole frames (MACs from the addresses: eth_hosts), addresses in host order.
inline constexpr uint32_t ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    return uint32_t(a) << 24 | uint32_t(b) << 16 | uint32_t(c) << 8 | d;
}
inline std::vector<uint8_t> tcp4(uint32_t s, uint32_t d, uint16_t sp, uint16_t dp, uint8_t flags) {
    Bytes f = eth_hosts(s, d, 0x0800);
    ipv4(f, s, d, 6, 20);
    tcp(f, sp, dp, flags);
    return with_l4_checksum(f.b);
}
// TCP with explicit sequence/acknowledgment numbers and a payload.
inline std::vector<uint8_t> tcp4_seg(uint32_t s, uint32_t d, uint16_t sp, uint16_t dp,
                                     uint8_t flags, uint32_t seq, uint32_t ack,
                                     const std::vector<uint8_t>& payload = {}) {
    Bytes f = eth_hosts(s, d, 0x0800);
    ipv4(f, s, d, 6, uint16_t(20 + payload.size()));
    f.u16(sp).u16(dp).u32(seq).u32(ack).u8(5 << 4).u8(flags).u16(8192).u16(0).u16(0);
    f.raw(payload);
    return with_l4_checksum(f.b);
}
// UDP with the given payload.
inline std::vector<uint8_t> udp4_data(uint32_t s, uint32_t d, uint16_t sp, uint16_t dp,
                                      const std::vector<uint8_t>& payload) {
    Bytes f = eth_hosts(s, d, 0x0800);
    ipv4(f, s, d, 17, uint16_t(8 + payload.size()));
    udp(f, sp, dp, uint16_t(payload.size()));
    f.raw(payload);
    return f.b;
}
// UDP with a 4-byte payload.
inline std::vector<uint8_t> udp4(uint32_t s, uint32_t d, uint16_t sp, uint16_t dp) {
    Bytes f = eth_hosts(s, d, 0x0800);
    ipv4(f, s, d, 17, 12);
    udp(f, sp, dp, 4);
    f.u32(0xdeadbeef);
    return f.b;
}
// ICMP echo (type 8) or reply (0) with identifier `id`, sequence 1.
inline std::vector<uint8_t> icmp4(uint32_t s, uint32_t d, uint8_t type, uint16_t id) {
    Bytes f = eth_hosts(s, d, 0x0800);
    ipv4(f, s, d, 1, 8);
    f.u8(type).u8(0).u16(0).u16(id).u16(1);
    return f.b;
}
// An ARP request, Ethernet/IPv4 (frame admission checks the format).
inline std::vector<uint8_t> arp4() {
    Bytes f = eth(0x0806);
    f.u16(1).u16(0x0800).u8(6).u8(4).u16(1).raw(kMacA).u32(0xc6120001).zeros(6).u32(0xc6120002);
    return f.b;
}

}  // namespace wg::test
