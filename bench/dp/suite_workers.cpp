// Two workers against one: the real process_burst on one lcore, then on two
// lcores at the same time, over the same pre-generated established traffic
// split between them by the symmetric RSS hash the ports use
// (dp::sym_rss_key, Toeplitz), so each worker sees both directions of its
// own flows in its own flow table, as RSS gives them in production.
//
// Per worker the timed work is the worker's per-burst work minus the PMD
// calls (as suite_pipeline's non-bare rows): rx byte accounting,
// process_burst on the current generation, the latency record,
// housekeeping and the RCU quiescent state. Reported:
//   ratio        sum over the two workers of packets per second of their own
//                timed bursts (preempted bursts left out, harness.cpp), over
//                the same figure of the single worker: the code's scaling
//                when both run at once (shared L3, memory, the policy tables)
//   wall_ratio   packets per wall-clock second of the whole run (stamping
//                included), two workers over one: what the machine delivered,
//                which on a shared machine depends on the other load
//   cpu_share    per worker, its thread CPU time over its wall time: 1.0 =
//                it had a CPU to itself the whole run
// with the load average before and after: on a loaded 2-CPU machine the two
// workers do not really run side by side and the wall ratio shows it.
#include "suites.hpp"

#if __has_include("pipeline.hpp")
#include <pthread.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <rte_thash.h>

#include "gen.hpp"
#include "harness.hpp"
#include "pipeline.hpp"
#include "policy/holder.hpp"
#include "policy/image.hpp"
#include "ports.hpp"
#include "stats/counter_map.hpp"
#include "stats/lcore_stats.hpp"
#include "traces.hpp"

namespace wg::bench {
namespace {

constexpr unsigned kWorkers = 2;

// Toeplitz hash of a flow's IPv4 5-tuple with the ports' symmetric key.
uint32_t flow_rss(const Flow& f, bool reverse) {
    auto be32 = [](const std::array<uint8_t, 16>& a) {
        return uint32_t(a[0]) << 24 | uint32_t(a[1]) << 16 | uint32_t(a[2]) << 8 | a[3];
    };
    rte_ipv4_tuple t{};
    t.src_addr = reverse ? be32(f.dst) : be32(f.src);
    t.dst_addr = reverse ? be32(f.src) : be32(f.dst);
    t.sport = reverse ? f.dport : f.sport;
    t.dport = reverse ? f.sport : f.dport;
    return rte_softrss(reinterpret_cast<uint32_t*>(&t), RTE_THASH_V4_L4_LEN, dp::sym_rss_key());
}

double thread_cpu_s() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

std::string loadavg() {
    std::ifstream f("/proc/loadavg");
    std::string a, b, c;
    f >> a >> b >> c;
    return a + " " + b + " " + c;
}

// One worker as Dataplane::init builds it: its own flow table and counters,
// RCU reader `wid` of the shared holder, the shared counter maps.
class WorkerSut final : public Sut {
  public:
    WorkerSut(unsigned wid, uint32_t capacity, dp::PolicyHolder& h,
              const dp::CounterMapPublisher& maps)
        : ctx_(std::make_unique<dp::WorkerCtx>(wid, capacity, rte_get_tsc_hz())), holder_(h) {
        ctx_->maps = &maps;
        ns_mult_ = (uint64_t(1000000000) << 32) / rte_get_tsc_hz();
    }
    uint16_t burst(rte_mbuf** pkts, uint16_t n, unsigned side, rte_mbuf** tx) override {
        const dp::PolicyTables* t = holder_.current();
        const uint64_t rx_tsc = rte_rdtsc();
        uint64_t bytes = 0;
        for (uint16_t i = 0; i < n; ++i) bytes += rte_pktmbuf_pkt_len(pkts[i]);
        rx_bytes_ += bytes;
        const uint16_t nf = dp::process_burst(*ctx_, t, side, pkts, n, rx_tsc, tx, tags_);
        const uint64_t t1 = rte_rdtsc();
        if (nf) {
            const uint64_t ns = ((t1 - rx_tsc) * ns_mult_) >> 32;
            for (uint16_t i = 0; i < nf; ++i)
                ctx_->stats->latency(static_cast<dp::Path>(tags_[i].path), tags_[i].cls_slot, ns);
        }
        dp::pipeline_housekeeping(*ctx_, t1);
        holder_.quiescent(ctx_->wid);
        return nf;
    }
    const dp::WorkerCtx& ctx() const { return *ctx_; }

  private:
    std::unique_ptr<dp::WorkerCtx> ctx_;
    dp::PolicyHolder& holder_;
    uint64_t ns_mult_;
    uint64_t rx_bytes_ = 0;
    dp::PktTag tags_[dp::kMaxBurst];
};

// The SYN / SYN-ACK / ACK warm-up of suite_pipeline, for one worker's flows.
Stamper handshake(const std::vector<Flow>& flows) {
    return [&flows](uint64_t i, rte_mbuf* m) {
        const uint64_t g = i / (3 * kBurst), phase = (i % (3 * kBurst)) / kBurst;
        const Flow& f = flows[(g * kBurst + i % kBurst) % flows.size()];
        const uint8_t fl = phase == 0 ? kTcpSyn : phase == 1 ? kTcpSynAck : kTcpAck;
        stamp(m, f, 64, phase == 1, f.proto == 6 ? fl : 0);
        return static_cast<unsigned>(phase == 1);
    };
}

// What one worker thread runs and what it measured.
struct Job {
    WorkerSut* sut = nullptr;
    rte_mempool* pool = nullptr;
    const Stamper* trace = nullptr;
    uint64_t pkts = 0;
    const std::atomic<unsigned>* go = nullptr;  // start together
    std::atomic<unsigned>* ready = nullptr;
    RunResult result;
    double wall_s = 0, cpu_s = 0;
    std::string error;

    void run() {
        try {
            ready->fetch_add(1);
            while (go->load(std::memory_order_acquire) == 0) rte_pause();
            const double c0 = thread_cpu_s();
            const auto t0 = std::chrono::steady_clock::now();
            result = run_trace(*sut, pool, *trace, 0, pkts);
            wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            cpu_s = thread_cpu_s() - c0;
        } catch (const std::exception& e) {
            error = e.what();
        }
    }
    static int launch(void* arg) {
        static_cast<Job*>(arg)->run();
        return 0;
    }
};

// Runs the jobs at once: jobs[0] on this (main) lcore, the others on the
// worker lcores. Returns the wall time of the whole parallel region.
double run_parallel(std::vector<Job>& jobs, const std::vector<unsigned>& lcores) {
    std::atomic<unsigned> go{0}, ready{0};
    for (auto& j : jobs) {
        j.go = &go;
        j.ready = &ready;
    }
    for (size_t k = 1; k < jobs.size(); ++k)
        if (rte_eal_remote_launch(Job::launch, &jobs[k], lcores[k - 1]) != 0)
            throw std::runtime_error("cannot launch on lcore " + std::to_string(lcores[k - 1]));
    while (ready.load() + 1 < jobs.size()) rte_pause();
    const auto t0 = std::chrono::steady_clock::now();
    go.store(1, std::memory_order_release);
    jobs[0].run();
    for (size_t k = 1; k < jobs.size(); ++k) rte_eal_wait_lcore(lcores[k - 1]);
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (const auto& j : jobs)
        if (!j.error.empty()) throw std::runtime_error(j.error);
    return wall;
}

}  // namespace

nlohmann::json suite_workers(const SuiteContext& c) {
    std::vector<unsigned> lcores;
    unsigned lc;
    RTE_LCORE_FOREACH_WORKER(lc) lcores.push_back(lc);
    if (lcores.size() + 1 < kWorkers)
        return {{"status", "not_measured"},
                {"reason",
                 "needs a second EAL lcore (wg-bench-dp adds one with --suites "
                 "workers on a machine with 2 CPUs or more)"}};

    // Established 64 B IPv4 traffic, Zipf popularity, 1,000 rules / 10,000
    // hosts; the flows are split over the workers by the RSS hash.
    PolicySpec ps;
    ps.rules = c.quick ? 10 : 1000;
    ps.hosts = c.quick ? 1000 : 10000;
    const unsigned nflows = c.quick ? 4096 : 100000;
    const uint64_t pkts = c.quick ? 65536 : (1u << 20);  // per worker and repetition

    Workload w = make_workload(ps);
    const auto image = policy::encode_image(w.policy);
    dp::PolicyHolder holder(1 + kWorkers);  // reader 0: the lone worker; 1, 2: the pair
    holder.set_socket(static_cast<int>(rte_socket_id()));
    dp::SlotRegistry slots;
    dp::CounterMapPublisher maps;
    {
        const auto p = policy::decode_image(image);
        const dp::CounterMap* prev =
            maps.publish(std::make_unique<dp::CounterMap>(slots.map_for(p)));
        const auto r = holder.load_image(image);
        maps.settle(r.ok, holder.parked() == 0, prev);
        if (!r.ok) throw std::runtime_error("policy image rejected: " + r.error);
    }

    const auto flows = allowed_flows(w, nflows, 51);
    std::vector<Flow> part[kWorkers];
    bool symmetric = true;
    for (const auto& f : flows) {
        const uint32_t h = flow_rss(f, false);
        symmetric &= h == flow_rss(f, true);
        part[dp::rss_queue(h, kWorkers)].push_back(f);
    }
    if (!symmetric) throw std::runtime_error("the RSS key is not symmetric");
    for (const auto& p : part)
        if (p.empty()) throw std::runtime_error("the RSS hash left a worker without flows");

    auto capacity = [](size_t n) { return std::max<uint32_t>(65536, uint32_t(n + n / 8)); };
    WorkerSut one(0, capacity(flows.size()), holder, maps);
    std::unique_ptr<WorkerSut> pair[kWorkers];
    for (unsigned q = 0; q < kWorkers; ++q)
        pair[q] = std::make_unique<WorkerSut>(1 + q, capacity(part[q].size()), holder, maps);
    holder.register_worker(0);
    for (unsigned q = 0; q < kWorkers; ++q) holder.register_worker(1 + q);

    // Warm-up (untimed): every flow's handshake, on its worker.
    run_trace(one, c.pool, handshake(flows), 0, (flows.size() + kBurst - 1) / kBurst * 3 * kBurst);
    for (unsigned q = 0; q < kWorkers; ++q)
        run_trace(*pair[q], c.pool, handshake(part[q]), 0,
                  (part[q].size() + kBurst - 1) / kBurst * 3 * kBurst);

    const auto order = Zipf(nflows, 0.99, 52).sequence(pkts, 53);
    const Stamper tr_one = established_trace(flows, order, SizeMix::B64);
    std::vector<std::vector<uint32_t>> porder(kWorkers);
    std::vector<Stamper> tr_pair;
    for (unsigned q = 0; q < kWorkers; ++q)
        porder[q] =
            Zipf(static_cast<unsigned>(part[q].size()), 0.99, 54 + q).sequence(pkts, 56 + q);
    for (unsigned q = 0; q < kWorkers; ++q)
        tr_pair.push_back(established_trace(part[q], porder[q], SizeMix::B64));

    const std::string load_before = loadavg();
    std::vector<RunResult> r1;
    std::vector<RunResult> r2[kWorkers];
    std::vector<double> wall1, wall2, share[kWorkers];
    for (unsigned r = 0; r < c.reps; ++r) {
        std::vector<Job> solo(1);
        solo[0].sut = &one;
        solo[0].pool = c.pool;
        solo[0].trace = &tr_one;
        solo[0].pkts = pkts;
        wall1.push_back(run_parallel(solo, lcores));
        r1.push_back(solo[0].result);

        std::vector<Job> jobs(kWorkers);
        for (unsigned q = 0; q < kWorkers; ++q) {
            jobs[q].sut = pair[q].get();
            jobs[q].pool = c.pool;
            jobs[q].trace = &tr_pair[q];
            jobs[q].pkts = pkts;
        }
        wall2.push_back(run_parallel(jobs, lcores));
        for (unsigned q = 0; q < kWorkers; ++q) {
            r2[q].push_back(jobs[q].result);
            share[q].push_back(jobs[q].wall_s > 0 ? jobs[q].cpu_s / jobs[q].wall_s : 0);
        }
    }
    holder.offline(0);
    for (unsigned q = 0; q < kWorkers; ++q) holder.offline(1 + q);

    const double hz = c.tsc_hz;
    auto s1 = summarize(r1, hz);
    const double cpp1 = s1["cycles_per_packet"];
    const double pps1 = cpp1 > 0 ? hz / cpp1 : 0;
    double pps2 = 0;
    nlohmann::json per = nlohmann::json::array();
    for (unsigned q = 0; q < kWorkers; ++q) {
        auto s = summarize(r2[q], hz);
        const double cpp = s["cycles_per_packet"];
        pps2 += cpp > 0 ? hz / cpp : 0;
        per.push_back({{"lcore", q == 0 ? rte_get_main_lcore() : lcores[q - 1]},
                       {"flows", part[q].size()},
                       {"flow_entries", pair[q]->ctx().flows.size()},
                       {"flows_created", pair[q]->ctx().stats->ctr[dp::kCtrNewFlows]},
                       {"cycles_per_packet", cpp},
                       {"cycles_per_packet_reps", s["cycles_per_packet_reps"]},
                       {"forwarded_share", s["forwarded_share"]},
                       {"cpu_share", median(share[q])}});
    }
    const double tot1 = double(pkts), tot2 = double(pkts) * kWorkers;
    const double wpps1 = tot1 / median(wall1), wpps2 = tot2 / median(wall2);
    const double ratio = pps1 > 0 ? pps2 / pps1 : 0, wall_ratio = wpps1 > 0 ? wpps2 / wpps1 : 0;
    std::fprintf(stderr,
                 "  one worker %.2f Mpps (%.1f cyc/pkt), two workers %.2f Mpps: ratio %.2f "
                 "(wall %.2f, cpu share %.2f / %.2f, load %s)\n",
                 pps1 / 1e6, cpp1, pps2 / 1e6, ratio, wall_ratio, median(share[0]),
                 median(share[1]), loadavg().c_str());
    return {{"status", "ok"},
            {"what",
             "dp::process_burst with the worker's per-burst accounting, latency record, "
             "housekeeping and RCU quiescent state on one lcore, then on two lcores at once, "
             "over established 64 B IPv4 traffic (Zipf 0.99) split by the ports' symmetric "
             "RSS hash; ratio = sum of the two workers' packets/s over the single worker's, "
             "each from its own timed bursts (preempted bursts left out); wall_ratio = "
             "packets per wall-clock second, stamping included"},
            {"rules", ps.rules},
            {"hosts", ps.hosts},
            {"flows", nflows},
            {"packets_per_worker_per_rep", pkts},
            {"rss_symmetric", symmetric},
            {"one_worker",
             {{"cycles_per_packet", cpp1},
              {"cycles_per_packet_reps", s1["cycles_per_packet_reps"]},
              {"mpps", pps1 / 1e6},
              {"wall_mpps", wpps1 / 1e6},
              {"forwarded_share", s1["forwarded_share"]}}},
            {"two_workers", {{"mpps", pps2 / 1e6}, {"wall_mpps", wpps2 / 1e6}, {"workers", per}}},
            {"ratio", ratio},
            {"wall_ratio", wall_ratio},
            {"loadavg_before", load_before},
            {"loadavg_after", loadavg()}};
}

}  // namespace wg::bench
#else
namespace wg::bench {
nlohmann::json suite_workers(const SuiteContext&) {
    return {{"status", "not_measured"},
            {"reason", "the fast path's bench hook is not in the tree"}};
}
}  // namespace wg::bench
#endif
