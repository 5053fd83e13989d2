#include "stats/lcore_stats.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

namespace wg::dp {

LcoreStats* alloc_lcore_stats() {
    constexpr size_t bytes =
        (sizeof(LcoreStats) + RTE_CACHE_LINE_SIZE - 1) & ~size_t(RTE_CACHE_LINE_SIZE - 1);
    void* p = std::aligned_alloc(RTE_CACHE_LINE_SIZE, bytes);
    if (!p) throw std::bad_alloc();
    std::memset(p, 0, bytes);
    return static_cast<LcoreStats*>(p);
}

void free_lcore_stats(LcoreStats* s) {
    std::free(s);
}

}  // namespace wg::dp
