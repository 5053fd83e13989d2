#include "dataplane.hpp"

#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <fstream>
#include <iterator>

#include <rte_mbuf_dyn.h>

#include "audit/audit_ring.hpp"
#include "log/log.hpp"
#include "mgmt/messages.hpp"
#include "offload_check.hpp"
#include "policy/image.hpp"
#include "safety/hw_bypass.hpp"
#include "stats/collect.hpp"

#ifndef WARDGATE_VERSION
#define WARDGATE_VERSION "dev"
#endif

namespace wg::dp {
namespace {
uint64_t clock_ns(clockid_t c) {
    timespec ts{};
    clock_gettime(c, &ts);
    return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}
uint64_t mono_ns() {
    return clock_ns(CLOCK_MONOTONIC);
}
// Audit batches are bounded so one response stays small.
constexpr unsigned kAuditBatchMax = 4096;
}  // namespace

Dataplane::Dataplane(Options o) : opt_(std::move(o)) {}

Dataplane::~Dataplane() {
    mgmt_.stop();
    holder_.reset();  // workers are stopped (offline) by now
    staged_.reset();
    for (auto* r : audit_rings_) rte_ring_free(r);
    if (ports_started_) {
        // Stopping and closing flushes what some PMDs buffer (net_pcap's
        // tx_pcap dumper), so the output files are complete.
        for (auto& p : port_) {
            rte_eth_dev_stop(p.id);
            rte_eth_dev_close(p.id);
        }
    }
    for (auto* mp : pools_) rte_mempool_free(mp);
}

std::optional<std::string> Dataplane::init() {
    start_ns_ = mono_ns();
    if (auto e = resolve_port(opt_.clinical_port, port_[kClinical])) return "clinical port: " + *e;
    if (auto e = resolve_port(opt_.core_port, port_[kCore])) return "core port: " + *e;
    if (auto e = check_port_set(port_[kClinical], port_[kCore])) return e;

    // Workers: every enabled lcore except the main one; with a single lcore
    // the main lcore forwards itself.
    std::vector<unsigned> lcores;
    unsigned lc;
    RTE_LCORE_FOREACH_WORKER(lc) lcores.push_back(lc);
    if (lcores.empty()) lcores.push_back(rte_get_main_lcore());
    const auto nq = static_cast<uint16_t>(lcores.size());

    char name[RTE_MEMPOOL_NAMESIZE];
    std::snprintf(name, sizeof(name), "wg_pool_%d", 0);
    uint32_t data_room = RTE_MBUF_DEFAULT_BUF_SIZE;
    rte_mempool* mp = rte_pktmbuf_pool_create(name, opt_.mbufs, 256, 0,
                                              static_cast<uint16_t>(data_room), rte_socket_id());
    if (!mp)
        return "cannot create a pool of " + std::to_string(opt_.mbufs) +
               " mbufs: " + rte_strerror(rte_errno) + " (lower --mbufs or raise EAL -m)";
    pools_.push_back(mp);

    for (unsigned s = 0; s < 2; ++s)
        if (auto e = start_port(port_[s], nq, mp, opt_))
            return std::string(side_name(s)) + " port: " + *e;
    ports_started_ = true;

    base_tsc_ = rte_rdtsc();
    base_realtime_ns_ = clock_ns(CLOCK_REALTIME);
    latch_.rx_limit.store(opt_.pause_after);
    holder_ = std::make_unique<PolicyHolder>(nq);
    holder_->set_socket(static_cast<int>(rte_socket_id()));
    staged_ = std::make_unique<staged::Staged>(nq);
    staged_->holder().set_socket(static_cast<int>(rte_socket_id()));
    for (uint16_t q = 0; q < nq; ++q) {
        auto ctx = std::make_unique<WorkerCtx>(q, opt_.flows, rte_get_tsc_hz());
        std::string err;
        rte_ring* ring = audit_ring_create(q, static_cast<int>(rte_socket_id()), err);
        if (!ring) return err;
        audit_rings_.push_back(ring);
        ctx->audit = ring;
        staged_->worker(q).audit = ring;  // staged differences share the ring, not the limiter
        staged_->worker(q).tsc_hz = rte_get_tsc_hz();
        ctx->maps = &maps_;
        safety::WorkerSafetyConfig scfg;
        const uint64_t hz = rte_get_tsc_hz();
        scfg.limiter_hosts = opt_.safety.limiter_hosts;
        scfg.neg_cache_ms = opt_.safety.neg_cache_ms;
        scfg.overload.burst_cycles = hz / 1000000 * opt_.safety.overload_burst_us;
        scfg.overload.backlog =
            opt_.safety.overload_backlog ? opt_.safety.overload_backlog : opt_.rx_desc * 3 / 4;
        scfg.overload.strikes = opt_.safety.overload_strikes;
        scfg.overload.quiet_cycles = hz / 1000 * opt_.safety.overload_quiet_ms;
        scfg.overload.action = opt_.safety.overload_action;
        std::unique_ptr<safety::WorkerSafety> ws;
        try {
            ws = std::make_unique<safety::WorkerSafety>(q, static_cast<int>(rte_socket_id()), hz,
                                                        scfg);
        } catch (const std::exception& e) {
            return std::string("worker ") + std::to_string(q) + ": " + e.what();
        }
        ctx->safety = ws.get();
        auto w = std::make_unique<WorkerState>();
        w->lcore = lcores[q];
        w->wid = q;
        w->queue = q;
        w->port[kClinical] = port_[kClinical].id;
        w->port[kCore] = port_[kCore].id;
        w->burst = opt_.burst;
        w->stop = &stop_;
        w->holder = holder_.get();
        w->staged = staged_.get();
        ctx->staged = &staged_->worker(q);
        w->ctx = ctx.get();
        w->latch = opt_.test_hooks ? &latch_ : nullptr;
        w->ws = ws.get();
        w->sopt = &opt_.safety;
        safeties_.push_back(std::move(ws));
        if (q == 0) w->replay_order = &opt_.replay_order;  // one worker replays
        ctxs_.push_back(std::move(ctx));
        workers_.push_back(std::move(w));
    }

    {
        // The watchdog (failure mode 5) and the bypass NIC, if any.
        std::string info, herr;
        auto hw = safety::make_hw_bypass(port_[kClinical].id, opt_.safety.hw_bypass,
                                         opt_.safety.hw_bypass_timeout_ms, info, herr);
        if (!hw) return herr;
        wg::log::logf(wg::log::Level::Info, "dataplane.safety", "%s", info.c_str());
        safety::SupervisorConfig sc;
        sc.stall_timeout_ms = opt_.safety.stall_timeout_ms;
        sc.recover_ms = opt_.safety.recover_ms;
        sc.burst = static_cast<uint16_t>(opt_.burst > 64 ? 64 : opt_.burst);
        sc.pool = mp;
        sc.pool_low_pct = opt_.safety.pool_low_pct;
        std::vector<safety::Supervised> sv;
        for (size_t q = 0; q < workers_.size(); ++q) {
            safety::Supervised s;
            s.heartbeat = &workers_[q]->heartbeat;
            s.port[kClinical] = workers_[q]->port[kClinical];
            s.port[kCore] = workers_[q]->port[kCore];
            s.queue = workers_[q]->queue;
            s.ws = safeties_[q].get();
            sv.push_back(s);
        }
        sup_ = std::make_unique<safety::Supervisor>(sc, std::move(sv), std::move(hw),
                                                    rte_get_tsc_hz());
    }

    load_start_image();

    if (auto e = mgmt_.open(opt_.socket_path, opt_.socket_group)) return e;
    return std::nullopt;
}

// Failure mode 2 at start (docs/clinical-safety.md): a missing, empty or
// corrupt persisted image must never keep the bridge down, because then
// nothing is forwarded, telemetry included. Try the current image, then the
// previous one the control plane kept beside it, then run per --no-policy
// (open by default) and say so loudly: log, Status, gauge
// policy_image_rejected. The control plane then pushes a good policy.
void Dataplane::load_start_image() {
    if (opt_.policy_image.empty()) return;  // image_state_ stays "none"
    struct Try {
        std::string path;
        std::string error;
        bool exists = false;
    };
    Try tries[2] = {{opt_.policy_image, {}, false}, {opt_.policy_image + ".prev", {}, false}};
    for (unsigned i = 0; i < 2; ++i) {
        Try& t = tries[i];
        std::ifstream f(t.path, std::ios::binary);
        if (!f) {
            t.error = t.path + ": cannot open: " + std::strerror(errno);
            continue;
        }
        t.exists = true;
        std::vector<uint8_t> img((std::istreambuf_iterator<char>(f)),
                                 std::istreambuf_iterator<char>());
        if (img.empty()) {
            t.error = t.path + ": empty file";
            continue;
        }
        LoadResult r = load_policy(img);
        if (!r.ok) {
            t.error = t.path + ": " + r.error;
            continue;
        }
        wg::log::logf(
            wg::log::Level::Notice, "dataplane.policy", "policy generation %lu (%s) from %s",
            static_cast<unsigned long>(r.generation), holder_->hash().c_str(), t.path.c_str());
        image_state_ = i == 0 ? "loaded" : "loaded-previous";
        break;
    }
    // A current image that exists but cannot be used is a rejection even when
    // the previous one saved the day: someone must look at the disk.
    image_rejected_ = tries[0].exists;
    if (image_state_ == "loaded") return;
    image_error_ = tries[0].error;
    if (image_state_ != "loaded-previous") {
        image_error_ += "; " + tries[1].error;
        image_state_ = (tries[0].exists || tries[1].exists) ? "rejected" : "missing";
        image_rejected_ = tries[0].exists || tries[1].exists;
    }
    wg::log::logf(wg::log::Level::Err, "dataplane.policy",
                  "POLICY IMAGE %s at start: %s; %s until the control plane pushes a policy",
                  image_state_ == "loaded-previous" ? "REJECTED, PREVIOUS IMAGE ENFORCED"
                  : image_state_ == "missing"       ? "MISSING"
                                                    : "REJECTED",
                  image_error_.c_str(),
                  image_state_ == "loaded-previous" ? "the previous image is enforced"
                  : opt_.safety.no_policy_closed    ? "no policy: fail-closed (--no-policy closed)"
                                                 : "no policy: forwarding everything (fail-open)");
}

uint64_t Dataplane::total_rx() const {
    uint64_t t = 0;
    for (const auto& w : workers_) t += peek(w->ctr[0].rx_pkts) + peek(w->ctr[1].rx_pkts);
    if (sup_) t += sup_->rx(0) + sup_->rx(1);  // forwarded in stall bypass
    return t;
}

void Dataplane::run() {
    // A policy load builds its tables for up to seconds: off the management
    // thread, so Status, Stats and the audit drain keep being answered.
    mgmt_.set_slow(mgmt::MsgType::LoadPolicyRequest,
                   [this](const mgmt::Frame& f, const Peer&) { return load_request(f); });
    // A staged policy builds the same tables: the same thread, so loads stay
    // serialised with each other.
    mgmt_.set_slow(mgmt::MsgType::StagedPolicyRequest, [this](const mgmt::Frame& f, const Peer&) {
        return MgmtFinish([r = staged_frame(f)] { return r; });
    });
    mgmt_.start([this](const mgmt::Frame& f, const Peer& p) { return handle(f, p); });
    const unsigned main_lc = rte_get_main_lcore();
    bool main_is_worker = false;
    for (auto& w : workers_) {
        if (w->lcore == main_lc) {
            main_is_worker = true;
            continue;
        }
        rte_eal_remote_launch(worker_main, w.get(), w->lcore);
    }
    wg::log::logf(wg::log::Level::Notice, "dataplane",
                  "bridging %s (clinical, port %u) <-> %s (core, port %u) on %zu "
                  "worker(s); socket %s\n",
                  port_[kClinical].name.c_str(), port_[kClinical].id, port_[kCore].name.c_str(),
                  port_[kCore].id, workers_.size(), opt_.socket_path.c_str());
    std::fflush(stdout);
    if (sup_) sup_->start();

    std::thread idle_watch;
    if (opt_.idle_exit_ms) {
        // Test mode: finite inputs (pcap files) end; stop once nothing has
        // arrived for idle_exit_ms.
        idle_watch = std::thread([this] {
            uint64_t last = total_rx();
            auto last_change = std::chrono::steady_clock::now();
            while (!stop_.load()) {
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
                uint64_t now = total_rx();
                // A paused replay (test latch) is waiting, not idle.
                const bool paused = latch_.rx_limit.load() != UINT64_MAX;
                if (now != last || paused) {
                    last = now;
                    last_change = std::chrono::steady_clock::now();
                } else if (std::chrono::steady_clock::now() - last_change >
                           std::chrono::milliseconds(opt_.idle_exit_ms)) {
                    stop_.store(true);
                }
            }
        });
    }
    if (main_is_worker) {
        for (auto& w : workers_)
            if (w->lcore == main_lc) worker_main(w.get());
    } else {
        while (!stop_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (sup_) sup_->stop();
    rte_eal_mp_wait_lcore();
    if (idle_watch.joinable()) idle_watch.join();
}

std::string Dataplane::counters_line() const {
    uint64_t v[2][5] = {};
    for (const auto& w : workers_)
        for (unsigned s = 0; s < 2; ++s) {
            v[s][0] += peek(w->ctr[s].rx_pkts);
            v[s][1] += peek(w->ctr[s].rx_bytes);
            v[s][2] += peek(w->ctr[s].tx_pkts);
            v[s][3] += peek(w->ctr[s].tx_bytes);
            v[s][4] += peek(w->ctr[s].tx_drop);
        }
    char buf[512];
    std::snprintf(buf, sizeof(buf),
                  "wardgate-dataplane: final counters clinical rx=%lu/%luB tx=%lu/%luB drop=%lu; "
                  "core rx=%lu/%luB tx=%lu/%luB drop=%lu",
                  v[0][0], v[0][1], v[0][2], v[0][3], v[0][4], v[1][0], v[1][1], v[1][2], v[1][3],
                  v[1][4]);
    return buf;
}

LoadResult Dataplane::load_policy(std::span<const uint8_t> image) {
    // Decoded once: the counter map and the tables are built from the same
    // model (a 100,000-rule image takes a noticeable time to decode).
    policy::CompiledPolicy p;
    try {
        p = policy::decode_image(image);
    } catch (const std::exception&) {
        return holder_->load_image(image);  // rejected with the precise reason
    }
    // Same content as the running policy: the holder keeps it and its
    // generation, so its counter map must stay as well.
    if (holder_->generation() != 0 && p.content_hash == holder_->hash())
        return holder_->load_policy(p);
    // Counter slots for the new policy are published before its tables, so
    // a worker that sees the new generation already finds its map.
    const CounterMap* prev = nullptr;
    bool published = false;
    try {
        std::unique_ptr<CounterMap> map;
        {
            std::lock_guard lk(slots_mu_);  // stats_frame reads the names
            map = std::make_unique<CounterMap>(slots_.map_for(p));
        }
        prev = maps_.publish(std::move(map));
        published = true;
    } catch (const std::exception&) {
        // No map: the tables still install; counts wait for the next map.
    }
    LoadResult r = holder_->load_policy(p);
    // Old maps are freed only once no old tables can still be in use.
    if (published) maps_.settle(r.ok, holder_->parked() == 0, prev);
    // Class names of the staged differences (docs/policy-lifecycle.md).
    if (r.ok) staged_->remember_enforced(r.generation, p);
    return r;
}

MgmtFinish Dataplane::load_request(const mgmt::Frame& req) {
    // Test latch (--test-hooks "hold-load"): the load waits here, as a long
    // table build would, at most 30 s.
    for (int i = 0; i < 3000 && hold_load_.load(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    mgmt::LoadPolicyResponse resp;
    try {
        LoadResult r = load_policy(mgmt::load_policy_image_view(req.payload));
        resp.ok = r.ok;
        resp.generation = r.generation;
        resp.error = r.error;
    } catch (const std::exception& e) {
        resp.ok = false;
        resp.generation = holder_->generation();
        resp.error = std::string("malformed load request: ") + e.what();
    }
    wg::log::logf(resp.ok ? wg::log::Level::Notice : wg::log::Level::Err, "dataplane.policy",
                  "policy load %s: generation %lu%s%s", resp.ok ? "accepted" : "rejected",
                  static_cast<unsigned long>(resp.generation), resp.ok ? "" : ": ",
                  resp.error.c_str());
    return [this, resp = std::move(resp), id = req.request_id]() -> mgmt::Frame {
        if (resp.ok) {  // a good policy supersedes whatever happened at start
            image_rejected_ = false;
            if (image_state_ != "none") image_state_ = "replaced";
        }
        return {mgmt::MsgType::LoadPolicyResponse, id, mgmt::encode(resp)};
    };
}

mgmt::Frame Dataplane::audit_frame() {
    mgmt::AuditBatch batch;
    std::vector<AuditRecord> recs;
    for (auto* r : audit_rings_) audit_drain(r, recs, kAuditBatchMax - unsigned(recs.size()));
    const uint64_t hz = rte_get_tsc_hz();
    for (const auto& rec : recs)
        batch.events.push_back(to_event(rec, hz, base_tsc_, base_realtime_ns_));
    uint64_t lost = 0;
    for (const auto& c : ctxs_) lost += peek(c->stats->ctr[kCtrAuditLost]);
    batch.lost = lost - audit_lost_seen_;
    audit_lost_seen_ = lost;
    return {mgmt::MsgType::AuditDrainResponse, 0, mgmt::encode(batch)};
}

mgmt::Frame Dataplane::staged_frame(const mgmt::Frame& req) {
    mgmt::LoadPolicyResponse resp;
    bool clear = false;
    try {
        auto image = mgmt::staged_policy_image_view(req.payload, clear);
        if (clear) {
            staged_->clear();
            resp.ok = true;
        } else {
            LoadResult r = staged_->load(image);
            resp.ok = r.ok;
            resp.error = r.error;
        }
    } catch (const std::exception& e) {
        resp.error = std::string("malformed staged-policy request: ") + e.what();
    }
    resp.generation = staged_->generation();
    wg::log::logf(resp.ok ? wg::log::Level::Notice : wg::log::Level::Err, "dataplane.staged",
                  "staged policy %s: staged generation %lu%s%s",
                  clear ? "cleared" : (resp.ok ? "accepted" : "rejected"),
                  static_cast<unsigned long>(resp.generation), resp.ok ? "" : ": ",
                  resp.error.c_str());
    return {mgmt::MsgType::StagedPolicyResponse, req.request_id, mgmt::encode(resp)};
}

mgmt::Frame Dataplane::test_hook_frame(const mgmt::Frame& req) {
    if (!opt_.test_hooks) {
        mgmt::ErrorResponse e{403, "test hooks are disabled (start with --test-hooks)"};
        return {mgmt::MsgType::Error, req.request_id, mgmt::encode(e)};
    }
    mgmt::TestHook h;
    try {
        h = mgmt::decode_test_hook(req.payload);
    } catch (const std::exception& ex) {
        mgmt::ErrorResponse e{400, std::string("bad test hook: ") + ex.what()};
        return {mgmt::MsgType::Error, req.request_id, mgmt::encode(e)};
    }
    if (h.name == "rx-pause-after") {
        latch_.rx_limit.store(h.arg);  // frames processed in total before pausing
    } else if (h.name == "rx-resume") {
        latch_.rx_limit.store(UINT64_MAX);
    } else if (h.name == "stall-worker" || h.name == "slow-burst") {
        // arg: worker index << 32 | milliseconds (stall) or microseconds
        // per burst (slow-burst, 0 ends it).
        const uint64_t wid = h.arg >> 32;
        if (wid >= safeties_.size()) {
            mgmt::ErrorResponse e{400, "no worker " + std::to_string(wid)};
            return {mgmt::MsgType::Error, req.request_id, mgmt::encode(e)};
        }
        auto& latch =
            h.name == "stall-worker" ? safeties_[wid]->stall_ms : safeties_[wid]->slow_burst_us;
        latch.store(static_cast<uint32_t>(h.arg));
    } else if (h.name == "hold-load" || h.name == "release-load") {
        hold_load_.store(h.name == "hold-load");
    } else if (h.name == "rx-processed") {
        h.arg = total_rx();
    } else {
        mgmt::ErrorResponse e{404, "unknown test hook '" + h.name + "'"};
        return {mgmt::MsgType::Error, req.request_id, mgmt::encode(e)};
    }
    return {mgmt::MsgType::TestHookResponse, req.request_id, mgmt::encode(h)};
}

mgmt::Frame Dataplane::handle(const mgmt::Frame& req, const Peer&) {
    switch (req.type) {
        case mgmt::MsgType::StatusRequest:
            return status_frame();
        case mgmt::MsgType::StatsRequest:
            return stats_frame();
        case mgmt::MsgType::LoadPolicyRequest:
            return load_frame(req);
        case mgmt::MsgType::AuditDrainRequest:
            return audit_frame();
        case mgmt::MsgType::TestHookRequest:
            return test_hook_frame(req);
        case mgmt::MsgType::StagedPolicyRequest:
            return staged_frame(req);
        default: {
            mgmt::ErrorResponse e{
                404, "unsupported request type " + std::to_string(static_cast<unsigned>(req.type))};
            return {mgmt::MsgType::Error, req.request_id, mgmt::encode(e)};
        }
    }
}

mgmt::Frame Dataplane::status_frame() const {
    mgmt::Status s;
    s.version = WARDGATE_VERSION;
    s.pid = static_cast<uint32_t>(getpid());
    s.uptime_ns = mono_ns() - start_ns_;
    s.workers = static_cast<uint32_t>(workers_.size());
    for (unsigned i = 0; i < 2; ++i) s.ports.push_back({side_name(i), port_[i].name, port_[i].id});
    s.policy_generation = holder_ ? holder_->generation() : 0;
    if (s.policy_generation) {
        s.policy_hash = holder_->hash();
        s.policy_commit = holder_->commit();
        s.mode = "normal";
    } else {
        s.mode = "no-policy";
    }
    if (const std::string m = safety_mode(); !m.empty()) s.mode = m;
    s.image_state = image_state_;
    s.image_error = image_error_;
    s.warnings = offload_hazards();
    return {mgmt::MsgType::StatusResponse, 0, mgmt::encode(s)};
}

mgmt::Frame Dataplane::stats_frame() const {
    stats::Snapshot snap;
    snap.tsc_hz = rte_get_tsc_hz();
    snap.uptime_ns = mono_ns() - start_ns_;
    for (unsigned s = 0; s < 2; ++s) {
        stats::PortCounters pc;
        pc.role = side_name(s);
        pc.name = port_[s].name;
        for (const auto& w : workers_) {
            pc.rx_packets += peek(w->ctr[s].rx_pkts);
            pc.rx_bytes += peek(w->ctr[s].rx_bytes);
            pc.tx_packets += peek(w->ctr[s].tx_pkts);
            pc.tx_bytes += peek(w->ctr[s].tx_bytes);
            pc.tx_dropped += peek(w->ctr[s].tx_drop);
        }
        if (sup_) {  // frames the watchdog forwarded for a stalled worker
            pc.rx_packets += sup_->rx(s);
            pc.rx_bytes += sup_->rx_bytes(s);
            pc.tx_packets += sup_->tx(s);
            pc.tx_bytes += sup_->tx_bytes(s);
            pc.tx_dropped += sup_->tx_drop(s);
        }
        rte_eth_stats es{};
        if (rte_eth_stats_get(port_[s].id, &es) == 0) {
            pc.rx_missed = es.imissed;
            pc.rx_errors = es.ierrors;
        }
        snap.ports.push_back(std::move(pc));
    }
    for (size_t q = 0; q < workers_.size(); ++q) {
        const auto& w = workers_[q];
        stats::WorkerCounters k{w->lcore, peek(w->heartbeat), peek(w->busy_cycles),
                                peek(w->total_cycles)};
        // Per-worker flow figures: RSS must keep both directions of a flow on
        // one worker, so these show the spread and that no flow is made twice.
        const LcoreStats* ls = ctxs_[q]->stats;
        k.has_flows = true;
        k.flows_created = peek(ls->ctr[kCtrNewFlows]);
        k.flow_entries = peek(ls->flow_entries);
        k.packets = peek(w->ctr[0].rx_pkts) + peek(w->ctr[1].rx_pkts);
        snap.workers.push_back(k);
    }
    std::vector<const LcoreStats*> lc;
    for (const auto& c : ctxs_) lc.push_back(c->stats);
    {
        std::lock_guard lk(slots_mu_);
        collect_stats(lc, slots_, snap);
    }
    if (!pools_.empty()) {
        snap.gauges.push_back({"mempool_in_use", rte_mempool_in_use_count(pools_[0])});
        snap.gauges.push_back({"mempool_size", pools_[0]->size});
    }
    snap.gauges.push_back({"policy_generation", holder_ ? holder_->generation() : 0});
    snap.gauges.push_back({"policy_image_rejected", image_rejected_ ? 1u : 0u});
    if (staged_) staged_->collect(snap.staged, rte_get_tsc_hz(), base_tsc_, base_realtime_ns_);
    snap.gauges.push_back({"checksum_offload_hazard", offload_hazard_count()});
    append_safety_stats(snap);
    return {mgmt::MsgType::StatsResponse, 0, mgmt::encode(snap)};
}

// Failure modes in the stats: gauges say which mode is active now, counters
// how often (docs/clinical-safety.md lists the alerts built on them).
void Dataplane::append_safety_stats(stats::Snapshot& snap) const {
    const bool no_policy = !holder_ || holder_->generation() == 0;
    const unsigned stalled = sup_ ? sup_->stalled_now() : 0;
    uint64_t overloaded = 0, overload_entered = 0;
    uint64_t c[safety::kSafCount] = {};
    for (const auto& ws : safeties_) {
        overloaded += ws->overload.published();
        overload_entered += ws->overload.entries();
        for (unsigned i = 0; i < safety::kSafCount; ++i)
            c[i] += ws->get(static_cast<safety::SafetyCtr>(i));
    }
    const bool np_open = no_policy && !opt_.safety.no_policy_closed;
    snap.gauges.push_back({"fail_open_active", (np_open || stalled) ? 1u : 0u});
    snap.gauges.push_back({"no_policy_fail_closed", (no_policy && !np_open) ? 1u : 0u});
    snap.gauges.push_back({"worker_stalled", stalled});
    snap.gauges.push_back({"overload_active", overloaded});
    snap.gauges.push_back({"mempool_low", sup_ && sup_->pool_low() ? 1u : 0u});
    snap.gauges.push_back({"hw_bypass_armed", sup_ && sup_->hw().armed() ? 1u : 0u});
    for (unsigned i = 0; i < safety::kSafCount; ++i)
        snap.counters.push_back({safety::saf_ctr_name(i), c[i]});
    snap.counters.push_back({"overload_entered", overload_entered});
    if (sup_) {
        snap.counters.push_back({"worker_stalls", sup_->stalls_total()});
        snap.counters.push_back({"worker_recoveries", sup_->recoveries_total()});
        snap.counters.push_back({"stall_bypass_forwarded", sup_->tx(0) + sup_->tx(1)});
        snap.counters.push_back({"hw_bypass_kicks", sup_->hw().kicks()});
    }
}

std::string Dataplane::safety_mode() const {
    if (sup_ && sup_->stalled_now()) return "stall-bypass";
    for (const auto& ws : safeties_)
        if (ws->overload.published()) return "overload";
    if ((!holder_ || holder_->generation() == 0) && opt_.safety.no_policy_closed)
        return "no-policy-fail-closed";
    return "";
}

}  // namespace wg::dp
