// Per-lcore memory of first-fragment verdicts: "the first fragment decides,
// later fragments follow". Keyed by (family, src, dst, protocol, fragment
// id, VLAN, source MAC): a later fragment from another MAC does not inherit
// the verdict (identity holds on every path that grants something). Fixed size, 4-way set-associative; when a set is full the
// oldest record is overwritten (its later fragments are then dropped as
// FragmentNoFlow, which is counted). No reassembly: fragments are forwarded
// as they come. Later fragments that arrive before their first fragment are
// dropped (FragmentNoFlow); senders retransmit the datagram.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>

#include "packet_meta.hpp"

namespace wg::dp {

struct FragVerdict {
    uint8_t action = 0;   // dp::Action
    uint8_t path = 0;     // latency path of the first fragment
    uint8_t reason = 0;   // dp::Reason when dropped
    uint8_t verdict = 0;  // stats::Verdict
    uint16_t class_slot = 0;
    uint32_t rule_slot = 0;
};

class FragTable {
  public:
    // `sets` is rounded up to a power of two; 4 records per set.
    explicit FragTable(uint32_t sets = 1024) {
        uint32_t n = 1;
        while (n < sets) n <<= 1;
        mask_ = n - 1;
        recs_ = std::make_unique<Rec[]>(size_t(n) * 4);
    }

    void record(const PacketMeta& m, const FragVerdict& v, uint64_t now, uint64_t ttl) {
        Rec* set = &recs_[size_t(index(m)) * 4];
        Rec* victim = &set[0];
        for (unsigned i = 0; i < 4; ++i) {
            Rec& r = set[i];
            if (r.expires <= now || matches(r, m)) {
                victim = &r;
                break;
            }
            if (r.expires < victim->expires) victim = &r;
        }
        fill(*victim, m);
        victim->v = v;
        victim->expires = now + ttl;
    }

    // The first fragment's verdict for a later fragment, if remembered.
    const FragVerdict* find(const PacketMeta& m, uint64_t now) const {
        const Rec* set = &recs_[size_t(index(m)) * 4];
        for (unsigned i = 0; i < 4; ++i)
            if (set[i].expires > now && matches(set[i], m)) return &set[i].v;
        return nullptr;
    }

  private:
    struct Rec {
        uint8_t src[16], dst[16];
        uint8_t mac[6];  // the first fragment's source MAC
        uint32_t id;
        uint16_t vlan;
        uint8_t proto, family;
        uint64_t expires;
        FragVerdict v;
    };
    static bool matches(const Rec& r, const PacketMeta& m) {
        return r.id == m.frag_id && r.proto == m.proto && r.family == m.family &&
               r.vlan == m.vlan && std::memcmp(r.src, m.src, 16) == 0 &&
               std::memcmp(r.dst, m.dst, 16) == 0 && std::memcmp(r.mac, m.src_mac, 6) == 0;
    }
    static void fill(Rec& r, const PacketMeta& m) {
        std::memcpy(r.src, m.src, 16);
        std::memcpy(r.dst, m.dst, 16);
        std::memcpy(r.mac, m.src_mac, 6);
        r.id = m.frag_id;
        r.vlan = m.vlan;
        r.proto = m.proto;
        r.family = m.family;
    }
    uint32_t index(const PacketMeta& m) const {
        uint32_t h = m.frag_id * 0x9e3779b1u;
        for (unsigned i = 0; i < 16; i += 4) {
            uint32_t a, b;
            std::memcpy(&a, m.src + i, 4);
            std::memcpy(&b, m.dst + i, 4);
            h = (h ^ a) * 0x85ebca6bu;
            h = (h ^ b) * 0xc2b2ae35u;
        }
        return (h ^ (h >> 15) ^ m.proto) & mask_;
    }

    uint32_t mask_ = 0;
    std::unique_ptr<Rec[]> recs_;
};

}  // namespace wg::dp
