// Per-lcore stateful flow table. One instance per worker, touched only by
// that worker (symmetric RSS puts both directions of a flow on it), so there
// are no locks and no atomics on the lookup path.
//
// Layout: a fixed pool of 128-byte entries plus a bucket array of 8-way
// set-associative buckets holding 16-bit signatures and entry indices; each
// key has two candidate buckets (two-choice hashing). Lookups are done in
// bulk: hash all keys, prefetch all buckets, then compare signatures and
// keys. The table is bounded by `capacity` entries; an insert fails
// ("full") when the pool is exhausted or both buckets are full of live
// entries, after reclaiming any expired entry found there. Aging is lazy
// (an expired entry found by a lookup is a miss and is freed) plus an
// incremental sweep of a few entries per burst, so no pass ever walks the
// whole table.
#pragma once

#include <cstdint>
#include <memory>

#include "flow/flow_key.hpp"
#include "flow/tcp_state.hpp"

namespace wg::dp {

struct alignas(64) FlowEntry {
    FlowKey key;  // key.family == 0: free
    uint64_t hash = 0;
    uint64_t expires = 0;     // TSC
    uint64_t generation = 0;  // policy generation the verdict was decided by
    // Second cache line: the cached verdict and what re-evaluation needs.
    // The two MACs are also the flow's identity on the established path:
    // the initiator's packets must come from init_src_mac, the responder's
    // from init_dst_mac (stage_flow.cpp).
    uint8_t init_src_mac[6] = {}, init_dst_mac[6] = {};
    uint32_t rule = 0;
    uint16_t init_sport = 0, init_dport = 0;  // as the initiator sent them (ICMP: type/code)
    uint16_t src_class = 0, dst_class = 0, deciding_class = 0;
    uint16_t src_zone = 0, dst_zone = 0;
    uint8_t init_side = 0;  // port the initiator's packets arrive on
    uint8_t init_is_a = 0;  // initiator is key endpoint a
    uint8_t action = 0;     // dp::Action
    uint8_t reason = 0;     // dp::Reason of a would-deny
    uint8_t tier = 0;
    TcpState tcp = TcpState::SynSent;
    uint8_t fins = 0;
    uint8_t stateless = 0;
    uint8_t src_spoofed = 0;
    // L7 first-payload inspection (pipeline/stage_l7.cpp); l7 == 0 (L7None)
    // is the only value the established fast path tests.
    uint8_t l7 = 0;         // dp::L7State
    uint8_t l7_reason = 0;  // dp::Reason of an L7 denial (for its later packets)
    uint16_t l7_id = 0;     // constraint id in the generation's L7Table
    uint32_t l7_seq = 0;    // TCP: sequence number of the initiator's first payload byte
    uint32_t l7_slot = 0;   // first-payload pool slot + 1; 0 = none held
};
static_assert(sizeof(FlowEntry) == 128);

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

uint64_t flow_hash(const FlowKey& k);

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
    // with key/hash set, or nullptr when the table is full.
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
    uint32_t free_top_ = 0;
    FlowEntry* entries_ = nullptr;
    Bucket* buckets_ = nullptr;
    std::unique_ptr<uint32_t[]> free_;
    ReleaseHook release_ = nullptr;
    void* release_ctx_ = nullptr;
};

}  // namespace wg::dp
