// Per-lcore stateful flow table. One instance per worker, touched only by
// that worker (symmetric RSS puts both directions of a flow on it), so there
// are no locks and no atomics on the lookup path.
//
// Layout: a fixed pool of 64-byte entries (one cache line: everything a
// packet of an established flow reads or writes), a parallel array of cold
// halves (FlowCold, indexed like the entry: what only new flows, reloads, L7
// inspection and audit touch), and a bucket array of 8-way set-associative
// buckets holding 16-bit signatures and entry indices; each key has two
// candidate buckets (two-choice hashing). Lookups are done in bulk: hash all
// keys, prefetch all buckets, then find the signature matches and prefetch
// their entries, then compare keys (the rte_hash bulk pattern: no dependent
// miss per packet). The table is bounded by `capacity` entries; an insert
// fails ("full") when the pool is exhausted or both buckets are full of live
// entries, after reclaiming any expired entry found there. Aging is lazy (an
// expired entry found by a lookup is a miss and is freed) plus an
// incremental sweep of a few entries per burst, so no pass ever walks the
// whole table.
#pragma once

#include <cstdint>
#include <memory>

#include <cstring>

#include <rte_hash_crc.h>
#include <rte_prefetch.h>

#include "flow/flow_key.hpp"
#include "flow/tcp_state.hpp"

namespace wg::dp {

// The hot line of a flow. The initiator and responder MACs are not stored
// here: `mac_fp` is a keyed 32-bit fingerprint of the pair (FlowTable::
// mac_fp), checked on every packet; the exact MACs are in FlowCold and only
// read when the fingerprint does not match (stage_flow.cpp).
struct alignas(64) FlowEntry {
    FlowKey key;                  // key.family == 0: free
    uint64_t expires = 0;         // TSC
    uint32_t generation = 0;      // low 32 bits of the policy generation that decided
    uint32_t mac_fp = 0;          // keyed fingerprint of (initiator MAC, responder MAC)
    uint16_t cls_slot = 0xffff;   // counter slots of the decision, cached (kNoSlot)
    uint16_t rule_slot = 0xffff;  // (0xffff: none; rule slots are < 4096)
    uint8_t action = 0;           // dp::Action
    TcpState tcp = TcpState::SynSent;
    uint8_t l7 = 0;    // dp::L7State; 0 (None) is the only value the fast path tests
    uint8_t bits = 0;  // kInitSide | kInitIsA | fins << kFinsShift | kSlotsValid

    static constexpr uint8_t kInitSide = 1;     // port the initiator's packets arrive on
    static constexpr uint8_t kInitIsA = 2;      // initiator is key endpoint a
    static constexpr unsigned kFinsShift = 2;   // 2 bits: FIN seen from initiator / responder
    static constexpr uint8_t kSlotsValid = 16;  // cls_slot/rule_slot came from a counter map
    unsigned init_side() const { return bits & kInitSide; }
    bool init_is_a() const { return (bits & kInitIsA) != 0; }
    uint8_t fins() const { return static_cast<uint8_t>((bits >> kFinsShift) & 3); }
    void set_fins(uint8_t f) {
        bits = static_cast<uint8_t>((bits & ~(3u << kFinsShift)) | (unsigned(f & 3) << kFinsShift));
    }
    void set_init(unsigned side, bool is_a) {
        bits = static_cast<uint8_t>((bits & ~(kInitSide | kInitIsA)) | (side & 1) |
                                    (is_a ? kInitIsA : 0));
    }
};
static_assert(sizeof(FlowEntry) == 64, "one cache line per established packet");

// The cold half of a flow: the cached decision's details and what
// re-evaluation, audit and L7 inspection need. Same index as its FlowEntry.
struct FlowCold {
    uint32_t rule = 0;
    uint32_t l7_seq = 0;   // TCP: sequence number of the initiator's first payload byte
    uint32_t l7_slot = 0;  // first-payload pool slot + 1; 0 = none held
    uint16_t src_class = 0, dst_class = 0, deciding_class = 0;
    uint16_t src_zone = 0, dst_zone = 0;
    uint16_t init_sport = 0, init_dport = 0;  // as the initiator sent them (ICMP: type/code)
    uint16_t l7_id = 0;                       // constraint id in the generation's L7Table
    // The flow's identity on the established path: the initiator's packets
    // must come from init_src_mac, the responder's from init_dst_mac.
    uint8_t init_src_mac[6] = {}, init_dst_mac[6] = {};
    uint8_t reason = 0;     // dp::Reason of a would-deny
    uint8_t l7_reason = 0;  // dp::Reason of an L7 denial (for its later packets)
};
static_assert(sizeof(FlowCold) <= 44, "flow table at <= 128 B per flow with its index");

// Idle timeouts in TSC cycles, by protocol and TCP state.
struct FlowTimeouts {
    uint64_t tcp_syn = 0, tcp_est = 0, tcp_closed = 0, udp = 0, other = 0;
    uint64_t for_entry(const FlowEntry& e) const {
        if (e.key.proto == 6) {
            switch (e.tcp) {
                case TcpState::SynSent:
                case TcpState::SynAck:
                    return tcp_syn;
                case TcpState::Established:
                case TcpState::Closing:
                    return tcp_est;
                case TcpState::Closed:
                    return tcp_closed;
            }
        }
        return e.key.proto == 17 ? udp : other;
    }
};

// Inline: computed for every packet.
inline uint64_t flow_hash(const FlowKey& k) {
    // Two CRC32C lanes (SSE4.2): the low half picks the first bucket, the
    // high half the second bucket and the signature.
    const auto* w = reinterpret_cast<const uint64_t*>(&k);
    uint32_t h1 = 0x9e3779b9, h2 = 0x85ebca6b;
    for (unsigned i = 0; i < sizeof(FlowKey) / 8; ++i) {
        uint64_t v;
        std::memcpy(&v, w + i, 8);
        h1 = rte_hash_crc_8byte(v, h1);
        h2 = rte_hash_crc_8byte(v ^ 0x5bd1e9955bd1e995ull, h2);
    }
    return uint64_t(h2) << 32 | h1;
}

class FlowTable {
  public:
    // `capacity` entries (at least 16); memory is allocated here, once.
    explicit FlowTable(uint32_t capacity);
    ~FlowTable();
    FlowTable(const FlowTable&) = delete;
    FlowTable& operator=(const FlowTable&) = delete;

    // Looks up n keys (hashes precomputed by flow_hash); out[i] is the entry
    // or nullptr. Entries expired at `now` are freed and reported as misses.
    void lookup_bulk(const FlowKey* const* keys, const uint64_t* hashes, unsigned n,
                     FlowEntry** out, uint64_t now);
    FlowEntry* lookup(const FlowKey& k, uint64_t hash, uint64_t now);

    // Inserts a key that lookup() reported missing. Returns a zeroed entry
    // (and zeroed cold half) with its key set, or nullptr when the table is full.
    FlowEntry* insert(const FlowKey& k, uint64_t hash, uint64_t now);
    void remove(FlowEntry* e);

    // Visits `slots` entries of the pool from where the last sweep stopped
    // and frees the expired ones. Returns how many were freed.
    unsigned age(uint64_t now, unsigned slots);

    // Called for every entry the table frees (expiry, sweep, remove) that
    // holds an L7 pool slot, so the slot goes back to its pool.
    using ReleaseHook = void (*)(void* ctx, FlowEntry& e);
    void set_release_hook(ReleaseHook fn, void* ctx) {
        release_ = fn;
        release_ctx_ = ctx;
    }

    FlowCold& cold(const FlowEntry& e) { return cold_[&e - entries_]; }

    // Keyed fingerprint of a MAC pair: a per-table random 128-bit key and two
    // 64x64->128 multiply-folds (non-linear: unlike a CRC, a colliding MAC
    // cannot be computed without the key).
    uint32_t mac_fp(const uint8_t* init_mac, const uint8_t* resp_mac) const {
        uint64_t a = 0, b = 0;
        std::memcpy(&a, init_mac, 6);
        std::memcpy(&b, resp_mac, 6);
        auto fold = [](uint64_t x, uint64_t y) {
            const unsigned __int128 p = static_cast<unsigned __int128>(x) * y;
            return static_cast<uint64_t>(p) ^ static_cast<uint64_t>(p >> 64);
        };
        const uint64_t h = fold(fold(a ^ fp_key_[0], fp_key_[1]) ^ b ^ fp_key_[2], fp_key_[3]);
        return static_cast<uint32_t>(h ^ (h >> 32));
    }

    // Prefetches the first bucket of hash `h`: call when the hash is
    // computed, well before lookup_bulk, so the bucket miss overlaps other work.
    void prefetch(uint64_t h) const { rte_prefetch0(&buckets_[bucket1(h)]); }

    // Bytes a table of `capacity` entries allocates (entries, cold halves,
    // bucket index): all of it, once, in the constructor.
    static size_t bytes_for(uint32_t capacity);

    uint32_t size() const { return size_; }
    uint32_t capacity() const { return capacity_; }

  private:
    struct alignas(64) Bucket {
        uint16_t sig[8];
        uint32_t idx[8];
    };
    uint32_t bucket1(uint64_t h) const { return static_cast<uint32_t>(h) & mask_; }
    uint32_t bucket2(uint64_t h) const {
        uint32_t b = static_cast<uint32_t>(h >> 32) & mask_;
        return b == bucket1(h) ? (b + 1) & mask_ : b;
    }
    static uint16_t sig_of(uint64_t h) { return static_cast<uint16_t>(h >> 48) | 1; }
    FlowEntry* find_in(const Bucket& b, uint16_t sig, const FlowKey& k);
    bool unlink(FlowEntry* e);
    void free_entry(FlowEntry* e);

    uint32_t capacity_;
    uint32_t mask_;
    uint32_t size_ = 0;
    uint32_t sweep_ = 0;
    static constexpr uint32_t kNoEntry = 0xffffffff;
    uint32_t free_head_ = kNoEntry;  // free entries, linked through FlowCold::rule
    FlowEntry* entries_ = nullptr;
    FlowCold* cold_ = nullptr;
    Bucket* buckets_ = nullptr;
    uint64_t fp_key_[4] = {};
    ReleaseHook release_ = nullptr;
    void* release_ctx_ = nullptr;
};

}  // namespace wg::dp
