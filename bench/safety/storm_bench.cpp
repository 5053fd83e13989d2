// wg-bench-safety-storm [--policy DIR] [--bursts N] [--out FILE]
//
// Telemetry latency under the seed incident's scan storm, in-process, on the
// real pipeline (process_burst) with the real policy tables of the safety
// test policy (tests/e2e/safety/policy) and the worker's safety block
// (source limiter, quarantine, denial cache). One worker, bursts of 32.
//
// Phases, in the same run (A and B are interleaved burst by burst so
// frequency scaling and cache state hit both alike):
//   A  baseline: each burst = 4 telemetry + 28 packets of established pump flows
//   B  storm:    each burst = 4 telemetry + 28 SYNs of a port-445 scan (new flows)
//   C  storm without the scan defences (no limiter / quarantine / denial cache)
//   D  scan only: 32 SYNs per burst, for the worker's cost per scan SYN
// The telemetry latency of a burst is its processing time (RX return -> ready
// to TX; one stamp per burst, as the worker records it). Reported: p50/p99 of
// A, B, C, the ratios B/A and C/A, and the largest scan rate one worker
// absorbs while still serving the telemetry stream within its budget:
//   max_storm_pps = (1 s - telemetry_rate * cost_per_telemetry) / cost_per_scan_syn.
// Timings are printed, never asserted.
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline.hpp"
#include "policy/compiler.hpp"
#include "policy/tables.hpp"
#include "safety/worker_safety.hpp"

using namespace wg;
using Frame = std::vector<uint8_t>;

namespace {

uint16_t csum(const uint8_t* p, size_t n) {
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2) s += uint32_t(p[i]) << 8 | p[i + 1];
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return uint16_t(~s);
}

Frame ip_frame(const char* src, const char* dst, uint8_t proto, const std::vector<uint8_t>& l4) {
    Frame f = {0x02, 0, 0, 0, 0, 0x0b, 0x02, 0, 0, 0, 0, 0x0a, 0x08, 0x00};
    uint8_t ip[20] = {0x45, 0, 0, 0, 0, 1, 0, 0, 64, proto, 0, 0};
    const uint16_t tot = uint16_t(20 + l4.size());
    ip[2] = uint8_t(tot >> 8);
    ip[3] = uint8_t(tot);
    inet_pton(AF_INET, src, ip + 12);
    inet_pton(AF_INET, dst, ip + 16);
    const uint16_t c = csum(ip, 20);
    ip[10] = uint8_t(c >> 8);
    ip[11] = uint8_t(c);
    f.insert(f.end(), ip, ip + 20);
    f.insert(f.end(), l4.begin(), l4.end());
    return f;
}
Frame udp(const char* s, const char* d, uint16_t sp, uint16_t dp) {
    std::vector<uint8_t> u(8 + 64, 0);
    u[0] = uint8_t(sp >> 8), u[1] = uint8_t(sp), u[2] = uint8_t(dp >> 8), u[3] = uint8_t(dp);
    u[4] = 0, u[5] = uint8_t(u.size());
    return ip_frame(s, d, 17, u);
}
Frame tcp(const char* s, const char* d, uint16_t sp, uint16_t dp, uint8_t flags) {
    std::vector<uint8_t> t(20, 0);
    t[0] = uint8_t(sp >> 8), t[1] = uint8_t(sp), t[2] = uint8_t(dp >> 8), t[3] = uint8_t(dp);
    t[12] = 5 << 4;
    t[13] = flags;
    t[14] = 0xfa, t[15] = 0xf0;
    return ip_frame(s, d, 6, t);
}

struct Bench {
    rte_mempool* pool;
    dp::WorkerCtx ctx;
    safety::WorkerSafety ws;
    const dp::PolicyTables* t;
    uint64_t hz;
    std::vector<rte_mbuf*> in, out;
    std::vector<dp::PktTag> tags;

    Bench(rte_mempool* p, const dp::PolicyTables* tables, unsigned id)
        : pool(p),
          ctx(id, 65536, rte_get_tsc_hz()),
          ws(id, 0, rte_get_tsc_hz(), safety::WorkerSafetyConfig{}),
          t(tables),
          hz(rte_get_tsc_hz()),
          in(256),
          out(256),
          tags(256) {
        ctx.safety = &ws;
    }
    // Processes one burst; returns its cycles.
    uint64_t burst(const std::vector<const Frame*>& frames) {
        const uint16_t n = uint16_t(frames.size());
        for (uint16_t i = 0; i < n; ++i) {
            rte_mbuf* m = rte_pktmbuf_alloc(pool);
            if (!m) {
                std::fprintf(stderr, "mbuf pool exhausted\n");
                std::exit(2);
            }
            std::memcpy(rte_pktmbuf_append(m, uint16_t(frames[i]->size())), frames[i]->data(),
                        frames[i]->size());
            in[i] = m;
        }
        const uint64_t t0 = rte_rdtsc();
        const uint16_t nf =
            dp::process_burst(ctx, t, dp::kClinical, in.data(), n, t0, out.data(), tags.data());
        const uint64_t c = rte_rdtsc() - t0;
        for (uint16_t i = 0; i < nf; ++i) rte_pktmbuf_free(out[i]);
        return c;
    }
};

double pct(std::vector<uint64_t> v, double p, uint64_t hz) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const size_t k = std::min(v.size() - 1, size_t(p * double(v.size() - 1) + 0.5));
    return double(v[k]) * 1e9 / double(hz);
}

}  // namespace

int main(int argc, char** argv) {
    std::string policy_dir = "tests/e2e/safety/policy", out_path;
    unsigned bursts = 20000;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--policy")
            policy_dir = argv[i + 1];
        else if (a == "--bursts")
            bursts = unsigned(std::stoul(argv[i + 1]));
        else if (a == "--out")
            out_path = argv[i + 1];
    }
    const std::string prefix = "wg-bench-storm-" + std::to_string(getpid());
    std::vector<std::string> eal = {
        "storm",         "--no-huge", "-m", "512", "--no-pci",    "--no-shconf",
        "--file-prefix", prefix,      "-l", "0",   "--log-level", "1"};
    std::vector<char*> ev;
    for (auto& s : eal) ev.push_back(s.data());
    if (rte_eal_init(int(ev.size()), ev.data()) < 0) return 2;
    rte_mempool* pool =
        rte_pktmbuf_pool_create("storm_pool", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    auto cr = policy::compile_directory(policy_dir);
    if (!pool || !cr.ok()) {
        std::fprintf(stderr, "setup failed (policy %s)\n", policy_dir.c_str());
        return 2;
    }
    std::string err;
    auto tables = dp::PolicyTables::build(*cr.policy, 1, 0, err);
    if (!tables) {
        std::fprintf(stderr, "tables: %s\n", err.c_str());
        return 2;
    }

    // Frames. Telemetry: monitor -> central station UDP 7001 (bypass).
    // Background: 28 established pump flows. Storm: cart SYN scan of 445.
    const Frame tele = udp("198.18.10.11", "198.18.10.254", 40000, 7001);
    std::vector<Frame> est_syn, est_ack;
    for (unsigned i = 0; i < 28; ++i) {
        est_syn.push_back(tcp("198.18.10.12", "198.18.10.201", uint16_t(20000 + i), 443, 0x02));
        est_ack.push_back(tcp("198.18.10.12", "198.18.10.201", uint16_t(20000 + i), 443, 0x10));
    }
    std::vector<Frame> scan;
    for (unsigned i = 0; i < 8192; ++i) {
        const std::string dst = "198.18.10." + std::to_string(128 + i % 126);
        scan.push_back(tcp("198.18.10.66", dst.c_str(), uint16_t(10000 + i), 445, 0x02));
    }

    nlohmann::json j;
    {  // the rigs are destroyed before EAL is torn down
        Bench with(pool, tables.get(), 0), without(pool, tables.get(), 1);
        without.ctx.safety = nullptr;  // phase C: no scan defences
        // Open the pump flows on both rigs.
        for (Bench* b : {&with, &without}) {
            std::vector<const Frame*> f;
            for (auto& s : est_syn) f.push_back(&s);
            b->burst(f);
        }
        auto mixed = [&](const std::vector<Frame>& bg, unsigned off) {
            std::vector<const Frame*> f;
            for (unsigned k = 0; k < 32; ++k)
                f.push_back(k % 8 == 0 ? &tele : &bg[(off + k) % bg.size()]);
            return f;
        };
        std::vector<uint64_t> A, B, C, D;
        A.reserve(bursts), B.reserve(bursts), C.reserve(bursts);
        uint64_t scan_pos = 0;
        for (unsigned r = 0; r < bursts; ++r) {
            A.push_back(with.burst(mixed(est_ack, r)));
            B.push_back(with.burst(mixed(scan, unsigned(scan_pos))));
            C.push_back(without.burst(mixed(scan, unsigned(scan_pos))));
            scan_pos += 28;
        }
        // Costs: telemetry-only bursts and scan-only bursts (defences on).
        std::vector<uint64_t> T;
        std::vector<const Frame*> tele_only(32, &tele);
        for (unsigned r = 0; r < bursts / 4; ++r) {
            T.push_back(with.burst(tele_only));
            std::vector<const Frame*> f;
            for (unsigned k = 0; k < 32; ++k) f.push_back(&scan[(scan_pos + k) % scan.size()]);
            scan_pos += 32;
            D.push_back(with.burst(f));
        }
        const uint64_t hz = rte_get_tsc_hz();
        auto mean_ns_per_pkt = [&](const std::vector<uint64_t>& v) {
            double s = 0;
            for (auto c : v) s += double(c);
            return s / double(v.size()) / 32.0 * 1e9 / double(hz);
        };
        const double tele_ns = mean_ns_per_pkt(T), syn_ns = mean_ns_per_pkt(D);
        const double tele_rate = 10000;  // telemetry budget: a ward's monitors, pps
        const double max_storm = (1e9 - tele_rate * tele_ns) / syn_ns;
        const auto& sc = with.ws;
        j = {{"bursts_per_phase", bursts},
             {"baseline_p50_ns", pct(A, 0.50, hz)},
             {"baseline_p99_ns", pct(A, 0.99, hz)},
             {"storm_p50_ns", pct(B, 0.50, hz)},
             {"storm_p99_ns", pct(B, 0.99, hz)},
             {"storm_undefended_p50_ns", pct(C, 0.50, hz)},
             {"storm_undefended_p99_ns", pct(C, 0.99, hz)},
             {"ratio_p50", pct(B, 0.50, hz) / pct(A, 0.50, hz)},
             {"ratio_p99", pct(B, 0.99, hz) / pct(A, 0.99, hz)},
             {"ratio_undefended_p99", pct(C, 0.99, hz) / pct(A, 0.99, hz)},
             {"ns_per_telemetry_pkt", tele_ns},
             {"ns_per_scan_syn", syn_ns},
             {"max_storm_syn_per_sec_one_worker", max_storm},
             {"telemetry_budget_pps", tele_rate},
             {"scanners_flagged", sc.get(safety::kSafScannersFlagged)},
             {"rate_limited", sc.get(safety::kSafRateLimited)},
             {"quarantined_drops", sc.get(safety::kSafQuarantinedDrops)},
             {"neg_cache_hits", sc.get(safety::kSafNegCacheHits)},
             {"tsc_hz", hz}};
        std::printf(
            "telemetry latency per burst (ns): baseline p50 %.0f p99 %.0f | storm p50 %.0f "
            "p99 %.0f | storm without defences p50 %.0f p99 %.0f\n",
            pct(A, 0.5, hz), pct(A, 0.99, hz), pct(B, 0.5, hz), pct(B, 0.99, hz), pct(C, 0.5, hz),
            pct(C, 0.99, hz));
        std::printf("ratio storm/baseline: p50 %.2f p99 %.2f (without defences p99 %.2f)\n",
                    double(j["ratio_p50"]), double(j["ratio_p99"]),
                    double(j["ratio_undefended_p99"]));
        std::printf(
            "cost: %.1f ns per telemetry packet, %.1f ns per scan SYN -> one worker absorbs "
            "%.0f scan SYN/s beside %.0f telemetry pps\n",
            tele_ns, syn_ns, max_storm, tele_rate);
    }
    std::printf("%s\n", j.dump().c_str());
    std::fflush(stdout);
    if (!out_path.empty()) std::ofstream(out_path) << j.dump(1) << "\n";
    rte_mempool_free(pool);
    tables.reset();
    rte_eal_cleanup();
    return 0;
}
