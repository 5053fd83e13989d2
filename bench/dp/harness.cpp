#include "harness.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <malloc.h>
#include <stdexcept>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

namespace wg::bench {

uint16_t NoopForward::burst(rte_mbuf** pkts, uint16_t n, unsigned /*side*/, rte_mbuf** tx) {
    uint64_t acc = 0;
    for (uint16_t i = 0; i < n; ++i) {
        if (i + 4 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 4], void*));
        const auto* eth = rte_pktmbuf_mtod(pkts[i], const rte_ether_hdr*);
        acc += eth->ether_type + rte_pktmbuf_pkt_len(pkts[i]);
        tx[i] = pkts[i];
    }
    sink += acc;
    return n;
}

RunResult run_trace(Sut& sut, rte_mempool* pool, const Stamper& stamp, uint64_t first,
                    uint64_t count, const std::function<void()>& after_chunk) {
    RunResult r;
    r.burst_cycles.reserve(count / kBurst + 1);
    rte_mbuf* chunk[kChunk];
    unsigned sides[kChunk / kBurst + 1];
    rte_mbuf* tx[kBurst];
    rte_mbuf* txall[kChunk];
    for (uint64_t done = 0; done < count;) {
        const auto n = static_cast<unsigned>(std::min<uint64_t>(kChunk, count - done));
        if (rte_pktmbuf_alloc_bulk(pool, chunk, n) != 0)
            throw std::runtime_error("mbuf pool exhausted (a SUT leaked mbufs?)");
        for (unsigned i = 0; i < n; ++i) {
            const unsigned s = stamp(first + done + i, chunk[i]);
            if (i % kBurst == 0) sides[i / kBurst] = s;
        }
        unsigned ntx = 0;
        for (unsigned b = 0; b < n; b += kBurst) {
            const auto bn = static_cast<uint16_t>(std::min(kBurst, n - b));
            const uint64_t t0 = rte_rdtsc();
            const uint16_t f = sut.burst(chunk + b, bn, sides[b / kBurst], tx);
            const uint64_t t1 = rte_rdtsc();
            r.cycles += t1 - t0;
            r.burst_cycles.push_back(
                static_cast<uint32_t>(std::min<uint64_t>(t1 - t0, UINT32_MAX)));
            std::memcpy(txall + ntx, tx, f * sizeof(rte_mbuf*));
            ntx += f;
        }
        r.pkts += n;
        r.forwarded += ntx;
        rte_pktmbuf_free_bulk(txall, ntx);
        if (after_chunk) after_chunk();
        done += n;
    }
    return r;
}

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const size_t m = v.size() / 2;
    return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

uint32_t percentile(std::vector<uint32_t>& v, double p, bool sorted) {
    if (v.empty()) return 0;
    if (!sorted) std::sort(v.begin(), v.end());
    // Nearest rank.
    size_t k = static_cast<size_t>(p / 100.0 * double(v.size()) + 0.5);
    k = std::clamp<size_t>(k, 1, v.size());
    return v[k - 1];
}

nlohmann::json summarize(const std::vector<RunResult>& reps, double tsc_hz) {
    std::vector<double> cpp, raw;
    std::vector<uint32_t> all;
    uint64_t pkts = 0, fwd = 0, stalls = 0;
    for (const auto& r : reps) {
        // The machine is shared: a burst that took far longer than the
        // typical one was preempted or interrupted, not slowed by the code.
        // Such bursts (over 20x the median burst and over 50 us) are left out
        // of the mean, and counted; the raw mean is kept beside it.
        std::vector<uint32_t> b = r.burst_cycles;
        const uint32_t medb = percentile(b, 50);
        const double lim = std::max(20.0 * medb, 50e-6 * tsc_hz);
        uint64_t kept_cycles = 0, kept = 0, n = 0;
        for (uint32_t x : r.burst_cycles) {
            if (double(x) > lim) {
                ++stalls;
            } else {
                kept_cycles += x;
                ++kept;
            }
            ++n;
        }
        const double per_burst_pkts = n ? double(r.pkts) / double(n) : 0;
        cpp.push_back(kept ? double(kept_cycles) / (double(kept) * per_burst_pkts) : 0);
        raw.push_back(r.cpp());
        all.insert(all.end(), r.burst_cycles.begin(), r.burst_cycles.end());
        pkts += r.pkts;
        fwd += r.forwarded;
    }
    std::sort(all.begin(), all.end());
    const double med = median(cpp);
    auto ns = [&](double cycles) { return cycles / tsc_hz * 1e9; };
    nlohmann::json j;
    j["reps"] = reps.size();
    j["packets_per_rep"] = reps.empty() ? 0 : reps.front().pkts;
    j["cycles_per_packet"] = med;
    j["cycles_per_packet_min"] = cpp.empty() ? 0 : *std::min_element(cpp.begin(), cpp.end());
    j["cycles_per_packet_reps"] = cpp;
    j["cycles_per_packet_raw"] = median(raw);  // every burst, stalls included
    j["stall_bursts_excluded"] = stalls;
    j["bursts"] = all.size();
    j["mpps"] = med > 0 ? tsc_hz / med / 1e6 : 0;
    j["forwarded_share"] = pkts ? double(fwd) / double(pkts) : 0;
    // In-pipeline latency: a packet leaves at the end of its burst, so the
    // burst's processing time bounds every packet's time in the pipeline.
    // Percentiles include every burst (stalls too).
    j["burst_size"] = kBurst;
    j["latency_ns"] = {
        {"p50", ns(percentile(all, 50, true))},    {"p90", ns(percentile(all, 90, true))},
        {"p99", ns(percentile(all, 99, true))},    {"p999", ns(percentile(all, 99.9, true))},
        {"max", ns(all.empty() ? 0 : all.back())},
    };
    // A compact CDF (100 points) for plots.
    std::vector<double> cdf;
    for (int q = 1; q <= 100; ++q) cdf.push_back(ns(percentile(all, q, true)));
    j["latency_cdf_ns"] = cdf;
    return j;
}

namespace {
uint64_t status_kb(const char* key) {
    std::ifstream f("/proc/self/status");
    std::string line;
    const size_t kl = std::strlen(key);
    while (std::getline(f, line))
        if (line.compare(0, kl, key) == 0) return std::stoull(line.substr(kl + 1)) * 1024;
    return 0;
}
}  // namespace

void reset_peak_rss() {
    std::ofstream f("/proc/self/clear_refs");
    f << "5";
}
uint64_t peak_rss_bytes() {
    return status_kb("VmHWM");
}
uint64_t current_rss_bytes() {
    return status_kb("VmRSS");
}

uint64_t malloc_in_use() {
    const struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

void touch_pool(rte_mempool* mp) {
    rte_mempool_obj_iter(
        mp,
        [](rte_mempool*, void*, void* obj, unsigned) {
            auto* m = static_cast<rte_mbuf*>(obj);
            std::memset(m->buf_addr, 0, m->buf_len);
        },
        nullptr);
}

uint64_t dpdk_heap_allocated() {
    uint64_t total = 0;
    for (int s = 0; s < RTE_MAX_NUMA_NODES; ++s) {
        rte_malloc_socket_stats st{};
        if (rte_malloc_get_socket_stats(s, &st) == 0) total += st.heap_allocsz_bytes;
    }
    return total;
}

}  // namespace wg::bench
