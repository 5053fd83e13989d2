// Longest-prefix match over a flattened, sorted range array.
//
// Why not rte_lpm/rte_lpm6: both allocate a fixed 2^24-entry tbl24 (64 MB)
// per table, whatever the number of prefixes. Identity needs per-family,
// per-VLAN subnet tables plus the side spaces, and two generations coexist
// during a reload: several hundred MB for what is, in a hospital inventory, a
// few hundred subnets. Prefixes are laminar (two prefixes are nested or
// disjoint), so they flatten into at most 2n+1 elementary ranges, each
// labelled with its longest covering prefix. A lookup is a branch-free
// binary search: ~log2(2n+1) probes into an array that stays in L1/L2
// (1000 subnets: 11 probes over 8 KB of IPv4 starts).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "policy/flat_hash.hpp"
#include "policy/socket_alloc.hpp"

namespace wg::dp {

using u128 = unsigned __int128;

template <typename K>
class RangeTable {
  public:
    struct Prefix {
        K start;           // first address (host bits cleared)
        K end;             // last address
        uint8_t len;       // prefix length, orders nested prefixes
        uint32_t payload;  // returned for addresses whose longest match is this prefix
    };

    explicit RangeTable(int socket = SOCKET_ID_ANY)
        : starts_(SocketAlloc<K>(socket)), vals_(SocketAlloc<uint32_t>(socket)) {}

    // For identical prefixes the first one in `in` wins (callers list them in
    // the order that encodes their tie-break).
    void build(std::vector<Prefix> in) {
        std::stable_sort(in.begin(), in.end(), [](const Prefix& a, const Prefix& b) {
            if (a.start != b.start) return a.start < b.start;
            return a.len < b.len;  // outer (shorter) first at the same start
        });
        std::vector<K> starts{K(0)};
        std::vector<uint32_t> vals{kNoValue};
        // Label from `point` on with `val`. A later label at the same point
        // replaces the earlier one: it comes from a longer (inner) prefix.
        auto label = [&](K point, uint32_t val) {
            if (starts.back() == point) {
                vals.back() = val;
            } else if (vals.back() != val) {
                starts.push_back(point);
                vals.push_back(val);
            }
        };
        struct Open {
            K end;
            uint32_t payload;
        };
        std::vector<Open> open;  // enclosing prefixes, innermost last
        auto close = [&]() {
            const Open t = open.back();
            open.pop_back();
            // An end at the top of the key space leaves nothing after it.
            if (t.end != ~K(0)) label(t.end + 1, open.empty() ? kNoValue : open.back().payload);
        };
        const Prefix* prev = nullptr;
        for (const Prefix& p : in) {
            if (prev && prev->start == p.start && prev->len == p.len) continue;  // duplicate
            prev = &p;
            while (!open.empty() && open.back().end < p.start) close();
            label(p.start, p.payload);
            open.push_back(Open{p.end, p.payload});
        }
        while (!open.empty()) close();
        starts_.assign(starts.begin(), starts.end());
        vals_.assign(vals.begin(), vals.end());
    }

    // Payload of the longest prefix containing `key`, kNoValue if none.
    uint32_t find(K key) const {
        const K* base = starts_.data();
        size_t n = starts_.size();
        if (n <= 1) return n == 0 ? kNoValue : vals_[0];
        // Last start <= key; starts_[0] == 0 so one always exists.
        while (n > 1) {
            const size_t half = n / 2;
            base = (base[half] <= key) ? base + half : base;
            n -= half;
        }
        return vals_[static_cast<size_t>(base - starts_.data())];
    }

    size_t ranges() const { return starts_.size(); }
    size_t memory() const { return starts_.size() * (sizeof(K) + sizeof(uint32_t)); }

  private:
    SVec<K> starts_;
    SVec<uint32_t> vals_;
};

// Key helpers: network-order bytes -> integers that sort like addresses.
inline uint32_t v4_key(const uint8_t* a) {
    return (uint32_t(a[0]) << 24) | (uint32_t(a[1]) << 16) | (uint32_t(a[2]) << 8) | a[3];
}
inline u128 v6_key(const uint8_t* a) {
    uint64_t hi, lo;
    std::memcpy(&hi, a, 8);
    std::memcpy(&lo, a + 8, 8);
    return (u128(__builtin_bswap64(hi)) << 64) | __builtin_bswap64(lo);
}

// [start, end] of a prefix given its key and length in a `bits`-wide space.
template <typename K>
inline void prefix_bounds(K key, unsigned len, unsigned bits, K& start, K& end) {
    const K host = len >= bits ? K(0) : (len == 0 ? ~K(0) : ((K(1) << (bits - len)) - 1));
    start = key & ~host;
    end = start | host;
}

}  // namespace wg::dp
