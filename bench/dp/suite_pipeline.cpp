// The pipeline matrix, flow-table memory and policy reload, driven through
// the fast path's in-process hook (dataplane/pipeline.hpp).
//
// The system under test is the worker's per-burst work minus the PMD calls
// (dataplane/worker.cpp, Loop::handle): rx byte accounting, process_burst()
// on the current policy generation, the per-packet latency record, then the
// per-iteration housekeeping (flow aging) and the RCU quiescent state. Audit
// events go to a real audit ring, drained untimed between chunks as the
// management thread would; per-class/rule counters use a real counter map.
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <thread>
#include <tuple>

#include <rte_cycles.h>
#include <rte_lcore.h>

#include "audit/audit_ring.hpp"
#include "gen.hpp"
#include "harness.hpp"
#include "packet_meta.hpp"
#include "pipeline.hpp"
#include "policy/holder.hpp"
#include "policy/image.hpp"
#include "stats/counter_map.hpp"
#include "stats/lcore_stats.hpp"
#include "suites.hpp"
#include "traces.hpp"

namespace wg::bench {
namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// One installed policy, as the dataplane installs it: counter map published
// first, then the image through PolicyHolder (decode, build, RCU publish).
struct PolicyEnv {
    Workload w;
    std::vector<uint8_t> image;
    std::unique_ptr<dp::PolicyHolder> holder = std::make_unique<dp::PolicyHolder>(1);
    dp::SlotRegistry slots;
    dp::CounterMapPublisher maps;
    double encode_ms = 0, install_ms = 0;
    uint64_t tables_heap_bytes = 0;

    explicit PolicyEnv(const PolicySpec& s) : w(make_workload(s)) {
        auto t0 = Clock::now();
        image = policy::encode_image(w.policy);
        encode_ms = ms_since(t0);
        holder->set_socket(static_cast<int>(rte_socket_id()));
        const uint64_t heap0 = dpdk_heap_allocated();
        t0 = Clock::now();
        auto r = install(image);
        install_ms = ms_since(t0);
        if (!r.ok) throw std::runtime_error("policy image rejected: " + r.error);
        tables_heap_bytes = dpdk_heap_allocated() - heap0;
    }
    dp::LoadResult install(const std::vector<uint8_t>& img) {
        const auto p = policy::decode_image(img);
        const dp::CounterMap* prev =
            maps.publish(std::make_unique<dp::CounterMap>(slots.map_for(p)));
        dp::LoadResult r = holder->load_image(img);
        maps.settle(r.ok, holder->parked() == 0, prev);
        return r;
    }
};

class PipelineSut final : public Sut {
  public:
    // `bare`: process_burst() alone, without the worker's accounting, latency
    // record, housekeeping and quiescent state (the breakdown column).
    PipelineSut(dp::WorkerCtx& c, dp::PolicyHolder& h, bool bare = false)
        : ctx_(c), holder_(h), bare_(bare) {
        ns_mult_ = (uint64_t(1000000000) << 32) / rte_get_tsc_hz();
    }
    uint16_t burst(rte_mbuf** pkts, uint16_t n, unsigned side, rte_mbuf** tx) override {
        const dp::PolicyTables* t = holder_.current();
        const uint64_t rx_tsc = rte_rdtsc();
        if (bare_) return dp::process_burst(ctx_, t, side, pkts, n, rx_tsc, tx, tags_);
        uint64_t bytes = 0;
        for (uint16_t i = 0; i < n; ++i) bytes += rte_pktmbuf_pkt_len(pkts[i]);
        rx_bytes += bytes;
        const uint16_t nf = dp::process_burst(ctx_, t, side, pkts, n, rx_tsc, tx, tags_);
        const uint64_t t1 = rte_rdtsc();
        if (nf) {
            const uint64_t ns = ((t1 - rx_tsc) * ns_mult_) >> 32;
            dp::record_burst_latency(ctx_, tags_, nf, ns);
        }
        dp::pipeline_housekeeping(ctx_, t1);
        holder_.quiescent(ctx_.wid);
        if (watch_gen && t && t->generation() == watch_gen && !t_gen_seen) t_gen_seen = t1;
        if (watch_gen && !t_revoke_seen && ctx_.stats->ctr[dp::kCtrFlowsRevoked] != revoked0)
            t_revoke_seen = t1;
        return nf;
    }
    uint64_t rx_bytes = 0;
    // Reload visibility probes (suite_reload): first burst run on generation
    // `watch_gen`, first burst in which an established flow was revoked.
    uint64_t watch_gen = 0, t_gen_seen = 0, revoked0 = 0, t_revoke_seen = 0;

  private:
    dp::WorkerCtx& ctx_;
    dp::PolicyHolder& holder_;
    bool bare_;
    uint64_t ns_mult_;
    dp::PktTag tags_[dp::kMaxBurst];
};

// A worker context as Dataplane::init builds it (flow table, audit ring,
// counter maps), registered with the holder as reader 0.
struct Worker {
    std::unique_ptr<dp::WorkerCtx> ctx;
    rte_ring* ring = nullptr;
    PolicyEnv& env;
    std::vector<dp::AuditRecord> drained;
    Worker(PolicyEnv& e, uint32_t capacity) : env(e) {
        ctx = std::make_unique<dp::WorkerCtx>(0, capacity, rte_get_tsc_hz());
        std::string err;
        static unsigned seq = 0;
        ring = dp::audit_ring_create(100 + seq++, static_cast<int>(rte_socket_id()), err);
        if (!ring) throw std::runtime_error("audit ring: " + err);
        ctx->audit = ring;
        ctx->maps = &env.maps;
        env.holder->register_worker(0);
    }
    ~Worker() {
        env.holder->offline(0);
        ctx.reset();
        rte_ring_free(ring);
    }
    void drain() {
        drained.clear();
        dp::audit_drain(ring, drained, dp::kAuditRingSize);
    }
    nlohmann::json counters() const {
        nlohmann::json c = nlohmann::json::object(), d = nlohmann::json::object();
        for (unsigned i = 0; i < dp::kCtrCount; ++i)
            if (ctx->stats->ctr[i]) c[dp::ctr_name(i)] = ctx->stats->ctr[i];
        for (unsigned i = 0; i < contract::kReasonCount; ++i)
            if (ctx->stats->drops[i])
                d[contract::reason_name(static_cast<dp::Reason>(i))] = ctx->stats->drops[i];
        return {{"counters", c},
                {"drops", d},
                {"flow_entries", ctx->flows.size()},
                {"flow_capacity", ctx->flows.capacity()}};
    }
};

// Warm-up for established flows: for every 32 flows, a burst of SYNs (or
// first UDP datagrams) from the clinical side, a burst of SYN-ACKs (replies)
// from the core side and a burst of ACKs from the clinical side.
Stamper handshake_trace(const std::vector<Flow>& flows) {
    return [&flows](uint64_t i, rte_mbuf* m) {
        const uint64_t g = i / (3 * kBurst), phase = (i % (3 * kBurst)) / kBurst;
        const Flow& f = flows[(g * kBurst + i % kBurst) % flows.size()];
        const uint8_t fl = phase == 0 ? kTcpSyn : phase == 1 ? kTcpSynAck : kTcpAck;
        stamp(m, f, 64, phase == 1, f.proto == 6 ? fl : 0);
        return static_cast<unsigned>(phase == 1);
    };
}
uint64_t handshake_len(size_t nflows) {
    return (nflows + kBurst - 1) / kBurst * 3 * kBurst;
}

struct CaseSpec {
    std::string path;  // established | new_denied | bypass | monitor_new | monitor_established
    uint8_t family = 4;
    SizeMix size = SizeMix::B64;
    unsigned rules = 1000, hosts = 10000, flows = 100000;
    // Frame admission profile: "strict" (the default: every check, software
    // transport checksums since bench mbufs carry no RX flags), "nic" (every
    // check, checksums from NIC flags only), "off" (nothing checked). The
    // admission rows compare the three on one path in the same run.
    std::string admission = "strict";
    // Telemetry bypass entry: "open" (any source) or "bound" (every sender's
    // address and MAC, clinical port only: issue 12). Same run, same path.
    std::string bypass = "open";
    bool monitor() const { return path.rfind("monitor", 0) == 0; }
    std::string id() const {
        return "pipeline/" + path + "/v" + std::to_string(family) + "/" + size_name(size) + "/" +
               std::to_string(rules) + "r/" + std::to_string(hosts) + "h/" + std::to_string(flows) +
               "f" + (admission == "strict" ? "" : "/admission-" + admission) +
               (bypass == "open" ? "" : "/bypass-" + bypass);
    }
};

nlohmann::json run_case(const SuiteContext& c, const CaseSpec& cs, PolicyEnv& env, uint64_t pkts) {
    const auto& w = env.w;
    const bool per_packet_new = cs.path == "new_denied" || cs.path == "monitor_new";
    std::vector<Flow> flows;
    if (cs.path == "established")
        flows = allowed_flows(w, cs.flows, 31);
    else if (cs.path == "bypass")
        flows = bypass_flows(w, cs.flows, 32);
    else if (cs.path == "monitor_established")
        flows = denied_flows(w, cs.flows, 33);
    else
        flows = denied_flows(w, static_cast<unsigned>(pkts * c.reps), 34);  // one per packet

    // Flow table as big as the case needs (production default: 65,536 per worker).
    uint32_t capacity = 65536;
    if (cs.path == "established" || cs.path == "monitor_established")
        capacity = std::max<uint32_t>(capacity, cs.flows + cs.flows / 8);
    if (cs.path == "monitor_new")
        capacity = std::max<uint32_t>(capacity, uint32_t(flows.size() + 1024));
    Worker wk(env, capacity);
    PipelineSut sut(*wk.ctx, *env.holder);
    NoopForward noop;
    auto drain = [&] { wk.drain(); };

    nlohmann::json j;
    if (cs.path == "established" || cs.path == "monitor_established") {
        const auto t0 = Clock::now();
        auto warm =
            run_trace(sut, c.pool, handshake_trace(flows), 0, handshake_len(flows.size()), drain);
        j["warmup"] = {{"packets", warm.pkts},
                       {"forwarded", warm.forwarded},
                       {"ms", ms_since(t0)},
                       {"flow_entries", wk.ctx->flows.size()}};
    }
    std::vector<uint32_t> order;
    if (!per_packet_new)
        order = Zipf(static_cast<unsigned>(flows.size()), 0.99, 35).sequence(pkts, 36);
    Stamper tr = per_packet_new        ? new_flow_trace(flows, cs.size, kTcpSyn)
                 : cs.path == "bypass" ? bypass_trace(flows, order, cs.size)
                                       : established_trace(flows, order, cs.size);
    // New-flow traces never repeat a packet: each repetition (and each of the
    // three measurements) gets its own slice; established/bypass traces are
    // replayed. Repetitions interleave ceiling, pipeline and bare pipeline.
    PipelineSut bare(*wk.ctx, *env.holder, true);
    std::vector<RunResult> pr, cr, br;
    if (!per_packet_new) run_trace(noop, c.pool, tr, 0, pkts);  // warm-up of the trace itself
    for (unsigned r = 0; r < c.reps; ++r) {
        const uint64_t first = per_packet_new ? 3 * r * pkts : 0;
        cr.push_back(run_trace(noop, c.pool, tr, first, pkts));
        pr.push_back(run_trace(sut, c.pool, tr, first + (per_packet_new ? pkts : 0), pkts, drain));
        br.push_back(
            run_trace(bare, c.pool, tr, first + (per_packet_new ? 2 * pkts : 0), pkts, drain));
    }
    auto p = summarize(pr, c.tsc_hz);
    auto ce = summarize(cr, c.tsc_hz);
    auto be = summarize(br, c.tsc_hz);
    for (auto& [k, v] : p.items()) j[k] = v;
    j["id"] = cs.id();
    j["path"] = cs.path;
    j["family"] = cs.family;
    j["size"] = size_name(cs.size);
    j["mean_frame_bytes"] = mean_frame_size(cs.size, cs.family, cs.path == "bypass" ? 17 : 6);
    j["rules"] = cs.rules;
    j["admission"] = cs.admission;
    j["bypass"] = cs.bypass;
    j["hosts"] = cs.hosts;
    j["flows"] = per_packet_new ? flows.size() : cs.flows;
    j["zipf_s"] = per_packet_new ? 0.0 : 0.99;
    j["ceiling"] = {{"cycles_per_packet", ce["cycles_per_packet"]},
                    {"cycles_per_packet_min", ce["cycles_per_packet_min"]},
                    {"mpps", ce["mpps"]},
                    {"latency_ns", ce["latency_ns"]}};
    j["process_burst_only"] = {{"cycles_per_packet", be["cycles_per_packet"]},
                               {"cycles_per_packet_reps", be["cycles_per_packet_reps"]}};
    const double pc = p["cycles_per_packet"], cc = ce["cycles_per_packet"];
    j["ratio_to_ceiling"] = cc > 0 ? pc / cc : 0;
    j["overhead_cycles"] = pc - cc;
    j["state"] = wk.counters();
    std::fprintf(stderr, "  %-52s %7.1f cyc/pkt (bare %6.1f, ceiling %5.1f) fwd %.3f\n",
                 cs.id().c_str(), pc, be["cycles_per_packet"].get<double>(), cc,
                 p["forwarded_share"].get<double>());
    return j;
}

std::vector<CaseSpec> matrix(bool quick) {
    std::vector<CaseSpec> v;
    auto add = [&](std::string path, uint8_t fam, SizeMix s, unsigned rules, unsigned hosts,
                   unsigned flows) {
        CaseSpec cs;
        cs.path = std::move(path);
        cs.family = fam;
        cs.size = s;
        cs.rules = rules;
        cs.hosts = hosts;
        cs.flows = flows;
        v.push_back(cs);
    };
    if (quick) {
        add("established", 4, SizeMix::B64, 10, 1000, 1000);
        add("new_denied", 4, SizeMix::B64, 10, 1000, 0);
        add("bypass", 4, SizeMix::B64, 10, 1000, 1000);
        add("monitor_new", 4, SizeMix::B64, 10, 1000, 0);
        add("established", 4, SizeMix::B64, 10, 1000, 1000);
        v.back().admission = "off";
        return v;
    }
    // Policy size paired with inventory size: 10 rules / 1,000 hosts,
    // 1,000 / 10,000, 10,000 / 100,000; flows 1,000 / 100,000 / 1,000,000.
    // Bounded so a full bench/run stays within ~20 minutes on 2 shared cores.
    add("established", 4, SizeMix::B64, 10, 1000, 1000);
    add("established", 4, SizeMix::B64, 10, 1000, 100000);
    add("established", 4, SizeMix::B64, 1000, 10000, 100000);
    for (unsigned f : {1000u, 100000u, 1000000u})
        add("established", 4, SizeMix::B64, 10000, 100000, f);
    add("established", 4, SizeMix::B512, 10000, 100000, 100000);
    add("established", 4, SizeMix::Imix, 10000, 100000, 100000);
    add("established", 6, SizeMix::B64, 10000, 100000, 100000);
    add("new_denied", 4, SizeMix::B64, 10, 1000, 0);
    add("new_denied", 4, SizeMix::B64, 10000, 100000, 0);
    add("bypass", 4, SizeMix::B64, 10000, 100000, 100000);
    add("bypass", 6, SizeMix::B64, 10000, 100000, 100000);
    add("monitor_new", 4, SizeMix::B64, 10000, 100000, 0);
    add("monitor_established", 4, SizeMix::B64, 10000, 100000, 100000);
    // Cost of frame admission: the same paths with admission off, checksums
    // from NIC flags only, and the strict default (rows above / in quick).
    for (const char* a : {"off", "nic"}) {
        add("established", 4, SizeMix::B64, 10, 1000, 1000);
        v.back().admission = a;
        add("established", 4, SizeMix::Imix, 10, 1000, 1000);
        v.back().admission = a;
        add("new_denied", 4, SizeMix::B64, 10, 1000, 0);
        v.back().admission = a;
        add("bypass", 4, SizeMix::B64, 10, 1000, 1000);
        v.back().admission = a;
    }
    add("established", 4, SizeMix::Imix, 10, 1000, 1000);
    add("bypass", 4, SizeMix::B64, 10, 1000, 1000);
    // Cost of the hardened bypass: senders bound by address and MAC.
    add("bypass", 4, SizeMix::B64, 10, 1000, 1000);
    v.back().bypass = "bound";
    add("bypass", 6, SizeMix::B64, 10, 1000, 1000);
    add("bypass", 6, SizeMix::B64, 10, 1000, 1000);
    v.back().bypass = "bound";
    return v;
}

}  // namespace

nlohmann::json suite_pipeline(const SuiteContext& c) {
    const uint64_t pkts = c.quick ? 32768 : (1u << 18);
    auto cases = matrix(c.quick);
    // Group by policy so each is built and installed once.
    std::stable_sort(cases.begin(), cases.end(), [](const CaseSpec& a, const CaseSpec& b) {
        return std::tuple(a.monitor(), a.family, a.rules, a.hosts, a.admission, a.bypass) <
               std::tuple(b.monitor(), b.family, b.rules, b.hosts, b.admission, b.bypass);
    });
    nlohmann::json out = nlohmann::json::array(), policies = nlohmann::json::array();
    std::unique_ptr<PolicyEnv> env;
    std::tuple<bool, uint8_t, unsigned, unsigned, std::string, std::string> key{};
    for (const auto& cs : cases) {
        if (!c.filter.empty() && cs.id().find(c.filter) == std::string::npos) continue;
        const auto k =
            std::tuple(cs.monitor(), cs.family, cs.rules, cs.hosts, cs.admission, cs.bypass);
        if (!env || k != key) {
            env.reset();
            PolicySpec ps;
            ps.rules = cs.rules;
            ps.hosts = cs.hosts;
            ps.family = cs.family;
            ps.monitor = cs.monitor();
            if (cs.admission == "off") ps.admission.enforced = 0;
            if (cs.admission == "nic") ps.admission.checksum = policy::ChecksumMode::Nic;
            ps.bypass_bound = cs.bypass == "bound";
            env = std::make_unique<PolicyEnv>(ps);
            key = k;
            policies.push_back({{"rules", cs.rules},
                                {"hosts", cs.hosts},
                                {"family", cs.family},
                                {"monitor", cs.monitor()},
                                {"admission", cs.admission},
                                {"bypass", cs.bypass},
                                {"image_bytes", env->image.size()},
                                {"encode_ms", env->encode_ms},
                                {"install_ms", env->install_ms},
                                {"tables_heap_bytes", env->tables_heap_bytes}});
        }
        out.push_back(run_case(c, cs, *env, pkts));
    }
    return {{"status", "ok"},
            {"what",
             "dp::process_burst on pre-built mbuf bursts of 32, one lcore, no PMD, with "
             "the worker's per-burst accounting, latency record, housekeeping and RCU "
             "quiescent state; each case's ceiling is the no-op loop over the same packets "
             "in the same run (interleaved repetitions)"},
            {"packets_per_rep", pkts},
            {"policies", policies},
            {"cases", out}};
}

nlohmann::json suite_flowmem(const SuiteContext& c) {
    const uint32_t n = c.quick ? 100000 : 1000000;
    const uint64_t heap0 = malloc_in_use(), rss0 = current_rss_bytes();
    const auto t0 = Clock::now();
    uint64_t heap1 = 0, rss1 = 0;
    {
        dp::FlowTable ft(n);  // allocates and zeroes everything it will ever use
        heap1 = malloc_in_use();
        rss1 = current_rss_bytes();
    }
    const double ms = ms_since(t0);
    const double per = double(heap1 - heap0) / n;
    std::fprintf(stderr,
                 "  flow table of %u entries: %.1f bytes/flow (entry %zu B), RSS +%.1f MB\n", n,
                 per, sizeof(dp::FlowEntry), double(rss1 - rss0) / 1e6);
    return {{"status", "ok"},
            {"what",
             "memory of a dp::FlowTable sized for N flows (entry pool, bucket index, free "
             "list): C-heap bytes allocated by its constructor (glibc mallinfo2), which "
             "allocates once at start, so this is also its memory when full"},
            {"flows", n},
            {"entry_bytes", sizeof(dp::FlowEntry)},
            {"table_bytes", heap1 - heap0},
            {"rss_growth_bytes", rss1 > rss0 ? rss1 - rss0 : 0},
            {"bytes_per_flow", per},
            {"index_bytes_per_flow", per - double(sizeof(dp::FlowEntry))},
            {"alloc_ms", ms}};
}

namespace {

// Pins the calling (management) thread away from the worker's lcore, as the
// dataplane's management thread runs off the worker cores.
void pin_off_lcore() {
    cpu_set_t set;
    CPU_ZERO(&set);
    const long n = sysconf(_SC_NPROCESSORS_ONLN);
    const unsigned lc = rte_lcore_id();
    for (long i = 0; i < n; ++i)
        if (n == 1 || unsigned(i) != lc) CPU_SET(i, &set);
    pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

policy::CompiledPolicy without_class_rules(const policy::CompiledPolicy& p, uint16_t cls) {
    policy::CompiledPolicy q = p;
    q.rules.clear();
    for (const auto& r : p.rules) {
        if (r.owner_class == cls) continue;
        q.rules.push_back(r);
        q.rules.back().id = static_cast<uint32_t>(q.rules.size() - 1);
    }
    q.name = p.name + "-revoke";
    return q;
}

}  // namespace

nlohmann::json suite_reload(const SuiteContext& c) {
    nlohmann::json j;
    j["status"] = "ok";
    // (a) Install cost: encode, then decode + build + publish through PolicyHolder.
    nlohmann::json inst = nlohmann::json::array();
    std::vector<unsigned> sizes =
        c.quick ? std::vector<unsigned>{1000} : std::vector<unsigned>{1000, 10000, 100000};
    for (unsigned n : sizes) {
        PolicySpec ps;
        ps.rules = n;
        ps.hosts = n >= 10000 ? 100000 : 10000;
        auto w = make_workload(ps);
        auto t0 = Clock::now();
        auto img = policy::encode_image(w.policy);
        const double enc = ms_since(t0);
        t0 = Clock::now();
        auto dec = policy::decode_image(img);
        const double decms = ms_since(t0);
        (void)dec;
        dp::PolicyHolder h(1);
        reset_peak_rss();
        const uint64_t rss0 = current_rss_bytes(), heap0 = dpdk_heap_allocated();
        t0 = Clock::now();
        auto r = h.load_image(img);
        const double load = ms_since(t0);
        const uint64_t peak = peak_rss_bytes();
        nlohmann::json e = {{"rules", n},
                            {"hosts", ps.hosts},
                            {"ok", r.ok},
                            {"error", r.error},
                            {"image_bytes", img.size()},
                            {"encode_ms", enc},
                            {"decode_ms", decms},
                            {"load_image_ms", load},
                            {"tables_heap_bytes", dpdk_heap_allocated() - heap0},
                            {"peak_rss_growth_bytes", peak > rss0 ? peak - rss0 : 0}};
        std::fprintf(stderr,
                     "  install %6u rules / %6u hosts: load_image %8.1f ms, peak +%.0f MB\n", n,
                     ps.hosts, load, double(peak > rss0 ? peak - rss0 : 0) / 1e6);
        inst.push_back(e);
    }
    j["install"] = inst;

    // (b) Reloads under a steady load, and (c) how soon established flows see
    // a new policy. The worker (this lcore) runs established traffic while a
    // management thread on another CPU installs new generations.
    PolicySpec ps;
    ps.rules = c.quick ? 1000 : 10000;
    ps.hosts = c.quick ? 10000 : 100000;
    PolicyEnv env(ps);
    const unsigned nflows = c.quick ? 10000 : 100000;
    const auto flows = allowed_flows(env.w, nflows, 41);
    Worker wk(env, nflows + nflows / 8);
    PipelineSut sut(*wk.ctx, *env.holder);
    auto drain = [&] { wk.drain(); };
    run_trace(sut, c.pool, handshake_trace(flows), 0, handshake_len(flows.size()), drain);
    const auto order = Zipf(nflows, 0.99, 42).sequence(1u << 18, 43);
    const auto tr = established_trace(flows, order, SizeMix::B64);

    // Alternating images with the same rules (new content hash each time).
    auto variant = [&](int k) {
        policy::CompiledPolicy p = env.w.policy;
        p.name += "-reload-" + std::to_string(k);
        return policy::encode_image(p);
    };
    const unsigned reloads = c.quick ? 2 : 4;
    std::vector<std::vector<uint8_t>> imgs;
    for (unsigned k = 0; k < reloads; ++k) imgs.push_back(variant(int(k)));

    // Steady load before any reload: the baseline burst latency.
    auto base = run_trace(sut, c.pool, tr, 0, order.size(), drain);
    std::atomic<bool> done{false};
    std::vector<double> load_ms;
    std::string err;
    std::thread mgmt([&] {
        pin_off_lcore();
        for (const auto& img : imgs) {
            const auto t0 = Clock::now();
            auto r = env.install(img);
            load_ms.push_back(ms_since(t0));
            if (!r.ok) err = r.error;
        }
        done.store(true);
    });
    std::vector<RunResult> during;
    uint64_t pkts = 0, fwd = 0, i = 0;
    const auto deadline = Clock::now() + std::chrono::seconds(120);
    while (!done.load() && Clock::now() < deadline) {
        auto r = run_trace(sut, c.pool, tr, (i++ * kChunk) % order.size(), kChunk, drain);
        pkts += r.pkts;
        fwd += r.forwarded;
        during.push_back(std::move(r));
    }
    mgmt.join();
    nlohmann::json ul;
    ul["reloads"] = reloads;
    ul["policy_rules"] = ps.rules;
    ul["flows"] = nflows;
    ul["load_ms"] = load_ms;
    ul["error"] = err;
    ul["packets"] = pkts;
    ul["forwarded"] = fwd;
    ul["lost_packets"] = pkts - fwd;
    ul["baseline"] = summarize({base}, c.tsc_hz);
    ul["during_reload"] = summarize(during, c.tsc_hz);
    ul["generation_after"] = env.holder->generation();
    ul["state"] = wk.counters();
    j["under_load"] = ul;
    j["lost_packets"] = pkts - fwd;
    std::fprintf(stderr, "  %u reloads under load: %lu packets, %lu lost\n", reloads,
                 static_cast<unsigned long>(pkts), static_cast<unsigned long>(pkts - fwd));

    // (c) A policy that revokes class 1's allow rules: when does the worker
    // run the new generation, and when is the first revoked packet dropped?
    policy::CompiledPolicy revoke_pol = without_class_rules(env.w.policy, 1);
    const auto revoke_img = policy::encode_image(revoke_pol);
    std::atomic<uint64_t> t_pub{0};
    env.holder->set_publish_hook([&](uint64_t, uint64_t) { t_pub.store(rte_rdtsc()); });
    auto us = [&](uint64_t t) {
        return t && t_pub.load() ? double(int64_t(t - t_pub.load())) / c.tsc_hz * 1e6 : -1.0;
    };
    // Transition 0 installs the revoking policy; the later ones re-install
    // same-rule images, to repeat the generation-visibility measurement.
    const unsigned transitions = c.quick ? 2 : 6;
    std::vector<double> gen_us;
    double revoke_us = -1, observed_us = 0;
    uint64_t revoked = 0;
    nlohmann::json timeline = nlohmann::json::array();
    for (unsigned k = 0; k < transitions; ++k) {
        t_pub.store(0);
        sut.watch_gen = env.holder->generation() + 1;
        sut.revoked0 = wk.ctx->stats->ctr[dp::kCtrFlowsRevoked];
        sut.t_gen_seen = sut.t_revoke_seen = 0;
        done.store(false);
        const auto& img = k == 0 ? revoke_img : imgs[k % imgs.size()];
        std::thread m([&] {
            pin_off_lcore();
            env.install(img);
            done.store(true);
        });
        // Run until the reload is done, then 200 ms more to watch flows converge.
        const auto dl = Clock::now() + std::chrono::seconds(60);
        uint64_t stop_after = 0;
        while (Clock::now() < dl) {
            run_trace(sut, c.pool, tr, (i++ * kChunk) % order.size(), kChunk, drain);
            const uint64_t now = rte_rdtsc();
            const uint64_t rv = wk.ctx->stats->ctr[dp::kCtrFlowsRevoked] - sut.revoked0;
            if (k == 0 && t_pub.load() && (timeline.empty() || timeline.back()[1] != rv))
                timeline.push_back({double(now - t_pub.load()) / c.tsc_hz * 1e6, rv});
            if (done.load() && !stop_after) stop_after = now + rte_get_tsc_hz() / 5;
            if (stop_after && now > stop_after) break;
        }
        m.join();
        gen_us.push_back(us(sut.t_gen_seen));
        if (k == 0) {
            revoke_us = us(sut.t_revoke_seen);
            observed_us = us(rte_rdtsc());
            revoked = wk.ctx->stats->ctr[dp::kCtrFlowsRevoked] - sut.revoked0;
        }
    }
    env.holder->set_publish_hook({});
    size_t class1 = 0;
    for (const auto& f : flows) class1 += f.src_class == 1;
    j["visibility"] = {
        {"what",
         "a policy revoking class 1's allow rules is installed while established traffic runs, "
         "then same-rule images; times from the publish (PolicyHolder publish hook, management "
         "thread) to the end of the first worker burst run on the new generation, and to the "
         "first burst that dropped a packet of a revoked flow"},
        {"transitions", transitions},
        {"publish_to_first_burst_on_new_generation_us", median(gen_us)},
        {"publish_to_first_burst_on_new_generation_us_all", gen_us},
        {"publish_to_first_revoked_packet_us", revoke_us},
        {"observed_us", observed_us},
        {"class1_flows", class1},
        {"flows_revoked", revoked},
        {"revoked_timeline_us", timeline}};
    std::fprintf(stderr,
                 "  visibility: new generation after %.0f us (median of %u), first revoked packet "
                 "after %.0f us\n",
                 median(gen_us), transitions, revoke_us);
    return j;
}

}  // namespace wg::bench
