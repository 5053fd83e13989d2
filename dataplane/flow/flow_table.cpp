#include "flow/flow_table.hpp"

#include <cstdlib>
#include <cstring>
#include <new>
#include <random>

#include <emmintrin.h>
#include <rte_prefetch.h>

namespace wg::dp {

namespace {
template <typename T>
T* alloc_lines(size_t n) {
    size_t bytes = (n * sizeof(T) + 63) & ~size_t(63);
    void* p = std::aligned_alloc(64, bytes);
    if (!p) throw std::bad_alloc();
    std::memset(p, 0, bytes);
    return static_cast<T*>(p);
}
}  // namespace

namespace {
// 8 slots per bucket, 2 slots per entry on average: bucket overflow is rare
// until the pool itself is nearly exhausted.
uint32_t bucket_count(uint32_t capacity) {
    uint32_t nb = 1;
    while (nb * 4 < capacity) nb <<= 1;
    return nb;
}
size_t lines(size_t bytes) {
    return (bytes + 63) & ~size_t(63);
}
}  // namespace

size_t FlowTable::bytes_for(uint32_t capacity) {
    if (capacity < 16) capacity = 16;
    return lines(size_t(capacity) * sizeof(FlowEntry)) +
           lines(size_t(capacity) * sizeof(FlowCold)) +
           lines(size_t(bucket_count(capacity)) * sizeof(Bucket));
}

FlowTable::FlowTable(uint32_t capacity) : capacity_(capacity < 16 ? 16 : capacity) {
    const uint32_t nb = bucket_count(capacity_);
    mask_ = nb - 1;
    buckets_ = alloc_lines<Bucket>(nb);
    entries_ = alloc_lines<FlowEntry>(capacity_);
    cold_ = alloc_lines<FlowCold>(capacity_);
    // The MAC fingerprint key: per table (so per process and lcore), never
    // leaves the process. Odd multipliers keep the multiply-folds bijective
    // in each operand.
    std::random_device rd;
    for (auto& k : fp_key_) k = uint64_t(rd()) << 32 | rd();
    fp_key_[1] |= 1;
    fp_key_[3] |= 1;
    // The free list runs through the cold halves of free entries (no array
    // of its own: 4 B per flow less), lowest index first.
    for (uint32_t i = 0; i < capacity_; ++i) cold_[i].rule = i + 1 < capacity_ ? i + 1 : kNoEntry;
    free_head_ = 0;
}

FlowTable::~FlowTable() {
    std::free(entries_);
    std::free(cold_);
    std::free(buckets_);
}

FlowEntry* FlowTable::find_in(const Bucket& b, uint16_t sig, const FlowKey& k) {
    for (unsigned s = 0; s < 8; ++s) {
        if (b.sig[s] != sig) continue;
        FlowEntry* e = &entries_[b.idx[s]];
        if (e->key == k) return e;
    }
    return nullptr;
}

void FlowTable::lookup_bulk(const FlowKey* const* keys, const uint64_t* hashes, unsigned n,
                            FlowEntry** out, uint64_t now) {
    // First buckets were prefetched by the caller when it hashed the keys
    // (prefetch()); an entry sits in its first bucket unless that was full.
    // Signatures next, prefetching the first candidate entry of each key,
    // so the entry misses of the burst overlap instead of following one
    // another. A key with no matching signature in either bucket is a miss.
    for (unsigned i = 0; i < n; ++i) {
        out[i] = nullptr;
        if (!keys[i]) continue;
        const __m128i want = _mm_set1_epi16(static_cast<short>(sig_of(hashes[i])));
        const Bucket* b = &buckets_[bucket1(hashes[i])];
        unsigned hit = static_cast<unsigned>(_mm_movemask_epi8(
            _mm_cmpeq_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(b->sig)), want)));
        if (!hit) {
            b = &buckets_[bucket2(hashes[i])];
            hit = static_cast<unsigned>(_mm_movemask_epi8(
                _mm_cmpeq_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(b->sig)), want)));
        }
        if (!hit) continue;
        out[i] = &entries_[b->idx[__builtin_ctz(hit) / 2]];
        rte_prefetch0(out[i]);
    }
    for (unsigned i = 0; i < n; ++i) {
        FlowEntry* e = out[i];
        if (!e) continue;
        if (!(e->key == *keys[i])) {
            // A signature collision: the full two-bucket search decides.
            out[i] = lookup(*keys[i], hashes[i], now);
        } else if (e->expires <= now) {
            remove(e);
            out[i] = nullptr;
        }
    }
}

FlowEntry* FlowTable::lookup(const FlowKey& k, uint64_t h, uint64_t now) {
    const uint16_t sig = sig_of(h);
    FlowEntry* e = find_in(buckets_[bucket1(h)], sig, k);
    if (!e) e = find_in(buckets_[bucket2(h)], sig, k);
    if (e && e->expires <= now) {
        remove(e);
        return nullptr;
    }
    return e;
}

FlowEntry* FlowTable::insert(const FlowKey& k, uint64_t h, uint64_t now) {
    const uint16_t sig = sig_of(h);
    Bucket* cand[2] = {&buckets_[bucket1(h)], &buckets_[bucket2(h)]};
    Bucket* bk = nullptr;
    unsigned slot = 0;
    for (Bucket* b : cand) {
        for (unsigned s = 0; s < 8 && !bk; ++s) {
            if (b->sig[s] == 0) {
                bk = b;
                slot = s;
            } else if (entries_[b->idx[s]].expires <= now) {
                free_entry(&entries_[b->idx[s]]);  // reclaim in place
                b->sig[s] = 0;
                bk = b;
                slot = s;
            }
        }
        if (bk) break;
    }
    if (!bk || free_head_ == kNoEntry) return nullptr;
    const uint32_t idx = free_head_;
    free_head_ = cold_[idx].rule;
    FlowEntry* e = &entries_[idx];
    *e = FlowEntry{};
    cold_[idx] = FlowCold{};
    e->key = k;
    bk->sig[slot] = sig;
    bk->idx[slot] = idx;
    ++size_;
    return e;
}

bool FlowTable::unlink(FlowEntry* e) {
    // The hash is not stored (the entry is one line): unlinking is rare
    // (expiry, removal) and recomputes it.
    const auto idx = static_cast<uint32_t>(e - entries_);
    const uint64_t h = flow_hash(e->key);
    const uint16_t sig = sig_of(h);
    for (uint32_t bi : {bucket1(h), bucket2(h)}) {
        Bucket& b = buckets_[bi];
        for (unsigned s = 0; s < 8; ++s)
            if (b.sig[s] == sig && b.idx[s] == idx) {
                b.sig[s] = 0;
                return true;
            }
    }
    return false;
}

void FlowTable::free_entry(FlowEntry* e) {
    if (cold(*e).l7_slot && release_) release_(release_ctx_, *e);
    e->key.family = 0;
    const auto idx = static_cast<uint32_t>(e - entries_);
    cold_[idx].rule = free_head_;
    free_head_ = idx;
    --size_;
}

void FlowTable::remove(FlowEntry* e) {
    if (e->key.family == 0) return;
    unlink(e);
    free_entry(e);
}

unsigned FlowTable::age(uint64_t now, unsigned slots) {
    unsigned freed = 0;
    for (unsigned visited = 0; visited < slots; ++visited) {
        FlowEntry* e = &entries_[sweep_];
        if (++sweep_ == capacity_) sweep_ = 0;
        if (e->key.family != 0 && e->expires <= now) {
            remove(e);
            ++freed;
        }
    }
    return freed;
}

}  // namespace wg::dp
