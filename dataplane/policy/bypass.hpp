// Telemetry bypass: matched before everything but admission and the
// essentials and never dropped. The check runs on every packet, so its
// negative answer must be nearly free: not UDP -> no; destination port not
// used by any entry (an 8 KB bitmap) -> no. Only then is the destination
// looked up: exact destinations (telemetry hosts, multicast groups) in a
// hash, wider destination prefixes in a short list. An entry matches only
// frames arriving on its side, from an address of its sender class and, where
// the inventory gives that host's MAC, from that MAC (a few compares on the
// matching path only): anything else falls through to normal policy.
#pragma once

#include <cstdint>
#include <vector>

#include "packet_meta.hpp"
#include "policy/compiled.hpp"
#include "policy/flat_hash.hpp"
#include "policy/identity.hpp"
#include "policy/range_table.hpp"

namespace wg::dp {

class BypassTable {
  public:
    explicit BypassTable(int socket);
    void build(const policy::CompiledPolicy& p);

    // Id of the first matching entry (policy order), or -1.
    int match(const PacketMeta& m) const {
        if (entries_.empty() || m.proto != 17 || !(ports_[m.dport >> 6] >> (m.dport & 63) & 1))
            return -1;
        return match_slow(m);
    }
    size_t memory() const;

  private:
    struct Range {
        u128 start, end;
        uint8_t family;
    };
    struct Entry {
        uint32_t id;
        uint16_t vlan;
        uint16_t dlo, dhi;
        bool src_any;
        uint8_t side;                   // arrival port (policy::Side)
        uint32_t src_first, src_count;  // subnet sources, into ranges_
        uint32_t dst_first, dst_count;  // non-host destinations, into ranges_
    };
    struct SrcKey {  // (entry position, exact source address)
        uint64_t hi, lo;
        uint32_t pos, family;
        friend bool operator==(const SrcKey&, const SrcKey&) = default;
    };
    struct Span {
        uint32_t first, count;
    };

    int match_slow(const PacketMeta& m) const;
    bool entry_matches(uint32_t pos, const PacketMeta& m, u128 src) const;

    uint64_t ports_[65536 / 64] = {};
    SVec<Entry> entries_;
    SVec<Range> ranges_;
    SVec<uint32_t> list_;  // entry positions, ascending within a span
    SVec<Span> spans_;
    FlatTable<uint32_t> dst4_;  // exact IPv4 destination -> span of entry positions
    FlatTable<V6Key> dst6_;
    FlatTable<SrcKey> src_;  // exact sources -> 0, or 1 + index of the sender's MAC in macs_
    SVec<uint64_t> macs_;
    SVec<uint32_t> wide_;  // positions of entries with a non-host destination
};

}  // namespace wg::dp
