#include "flow/flow_table.hpp"

#include <cstdlib>
#include <cstring>
#include <new>
#include <random>

#include <rte_hash_crc.h>
#include <rte_prefetch.h>

namespace wg::dp {

uint64_t flow_hash(const FlowKey& k) {
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

FlowTable::FlowTable(uint32_t capacity) : capacity_(capacity < 16 ? 16 : capacity) {
    // 8 slots per bucket, 2 slots per entry on average: bucket overflow is
    // rare until the pool itself is nearly exhausted.
    uint32_t nb = 1;
    while (nb * 4 < capacity_) nb <<= 1;
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
    free_ = std::make_unique<uint32_t[]>(capacity_);
    for (uint32_t i = 0; i < capacity_; ++i) free_[i] = capacity_ - 1 - i;
    free_top_ = capacity_;
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
    for (unsigned i = 0; i < n; ++i) {
        if (!keys[i]) continue;
        rte_prefetch0(&buckets_[bucket1(hashes[i])]);
        rte_prefetch0(&buckets_[bucket2(hashes[i])]);
    }
    // Signatures first, prefetching the first candidate entry of each key,
    // so the entry misses of the burst overlap instead of following one
    // another. A key with no matching signature in either bucket is a miss.
    for (unsigned i = 0; i < n; ++i) {
        out[i] = nullptr;
        if (!keys[i]) continue;
        const uint16_t sig = sig_of(hashes[i]);
        const Bucket& b1 = buckets_[bucket1(hashes[i])];
        const Bucket& b2 = buckets_[bucket2(hashes[i])];
        for (unsigned s = 0; s < 8; ++s)
            if (b1.sig[s] == sig) {
                out[i] = &entries_[b1.idx[s]];
                break;
            }
        if (!out[i])
            for (unsigned s = 0; s < 8; ++s)
                if (b2.sig[s] == sig) {
                    out[i] = &entries_[b2.idx[s]];
                    break;
                }
        if (out[i]) rte_prefetch0(out[i]);
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

uint32_t FlowTable::mac_fp(const uint8_t* init_mac, const uint8_t* resp_mac) const {
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
    if (!bk || free_top_ == 0) return nullptr;
    const uint32_t idx = free_[--free_top_];
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
    free_[free_top_++] = static_cast<uint32_t>(e - entries_);
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
