// Writers of small capture files for the lifecycle tests: classic pcap
// (either byte order, micro- or nanoseconds) and pcapng blocks, so the
// reader's every branch is reached from bytes the test spells out.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace wg::test {

struct CapBytes {
    std::vector<uint8_t> b;
    bool be = false;
    CapBytes& u8(uint8_t v) {
        b.push_back(v);
        return *this;
    }
    CapBytes& u16(uint16_t v) {
        return be ? u8(uint8_t(v >> 8)).u8(uint8_t(v)) : u8(uint8_t(v)).u8(uint8_t(v >> 8));
    }
    CapBytes& u32(uint32_t v) {
        return be ? u16(uint16_t(v >> 16)).u16(uint16_t(v))
                  : u16(uint16_t(v)).u16(uint16_t(v >> 16));
    }
    CapBytes& raw(const std::vector<uint8_t>& v) {
        b.insert(b.end(), v.begin(), v.end());
        return *this;
    }
    std::string str() const { return std::string(b.begin(), b.end()); }
};

struct PcapFrame {
    uint64_t ts_ns;
    std::vector<uint8_t> data;
};

inline CapBytes pcap_file(const std::vector<PcapFrame>& frames, bool be = false, bool ns = false) {
    CapBytes c;
    c.be = be;
    c.u32(ns ? 0xa1b23c4d : 0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(65535).u32(1);
    for (auto& f : frames) {
        c.u32(uint32_t(f.ts_ns / 1000000000ull));
        c.u32(uint32_t(ns ? f.ts_ns % 1000000000ull : f.ts_ns % 1000000000ull / 1000));
        c.u32(uint32_t(f.data.size())).u32(uint32_t(f.data.size())).raw(f.data);
    }
    return c;
}

// One pcapng block: type, body padded to 4, lengths around it.
inline void ng_block(CapBytes& c, uint32_t type, std::vector<uint8_t> body) {
    while (body.size() % 4) body.push_back(0);
    const auto n = uint32_t(body.size() + 12);
    c.u32(type).u32(n).raw(body).u32(n);
}
inline std::vector<uint8_t> le32(uint32_t v) {
    return {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)};
}
inline void ng_shb(CapBytes& c) {
    std::vector<uint8_t> b = le32(0x1a2b3c4d);
    b.insert(b.end(), {1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
    ng_block(c, 0x0a0d0d0a, b);
}
// Interface description; tsresol < 0: no option (microseconds).
inline void ng_idb(CapBytes& c, uint16_t linktype = 1, int tsresol = -1) {
    std::vector<uint8_t> b = {uint8_t(linktype), uint8_t(linktype >> 8), 0, 0};
    auto s = le32(65535);
    b.insert(b.end(), s.begin(), s.end());
    if (tsresol >= 0) b.insert(b.end(), {9, 0, 1, 0, uint8_t(tsresol), 0, 0, 0, 0, 0, 0, 0});
    ng_block(c, 1, b);
}
inline void ng_epb(CapBytes& c, uint32_t iface, uint64_t ts_units, const std::vector<uint8_t>& d) {
    std::vector<uint8_t> b;
    for (uint32_t v : {iface, uint32_t(ts_units >> 32), uint32_t(ts_units), uint32_t(d.size()),
                       uint32_t(d.size())}) {
        auto x = le32(v);
        b.insert(b.end(), x.begin(), x.end());
    }
    b.insert(b.end(), d.begin(), d.end());
    ng_block(c, 6, b);
}

}  // namespace wg::test
