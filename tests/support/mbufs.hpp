// Frames in and out of mbufs for the in-process tests (pipeline, safety
// lanes). EAL is already up: the test main is tests/support/eal_main.cpp.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

#include <rte_mbuf.h>

namespace wg::test {

inline rte_mempool* mbuf_pool() {
    static rte_mempool* mp =
        rte_pktmbuf_pool_create("wg_test_pool", 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    REQUIRE(mp);
    return mp;
}

// One mbuf per frame, each holding a copy of it.
inline std::vector<rte_mbuf*> to_mbufs(const std::vector<std::vector<uint8_t>>& frames) {
    std::vector<rte_mbuf*> in;
    for (const auto& f : frames) {
        rte_mbuf* m = rte_pktmbuf_alloc(mbuf_pool());
        REQUIRE(m);
        char* p = rte_pktmbuf_append(m, uint16_t(f.size()));
        REQUIRE(p);
        std::copy(f.begin(), f.end(), p);
        in.push_back(m);
    }
    return in;
}

// The bytes of the first `n` mbufs, which are freed.
inline std::vector<std::vector<uint8_t>> from_mbufs(rte_mbuf* const* out, uint16_t n) {
    std::vector<std::vector<uint8_t>> res;
    for (uint16_t i = 0; i < n; ++i) {
        auto* d = rte_pktmbuf_mtod(out[i], uint8_t*);
        res.emplace_back(d, d + rte_pktmbuf_pkt_len(out[i]));
        rte_pktmbuf_free(out[i]);
    }
    return res;
}

}  // namespace wg::test
