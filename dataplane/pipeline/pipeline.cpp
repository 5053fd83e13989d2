#include "pipeline.hpp"

#include <rte_prefetch.h>

#include "parse/parse_mbuf.hpp"
#include "pipeline/stages.hpp"
#include "pipeline/verdict.hpp"
#include "safety/lanes.hpp"

namespace wg::dp {

namespace {
// The flow table frees an entry that still holds a pool slot (expiry, sweep,
// removal): the slot goes back to the pool.
void release_l7_slot(void* ctx, FlowEntry& e) {
    auto& w = *static_cast<WorkerCtx*>(ctx);
    l7_release(w, e);
}
}  // namespace

WorkerCtx::WorkerCtx(unsigned id, uint32_t flow_capacity, uint64_t hz)
    : wid(id),
      tsc_hz(hz),
      flows(flow_capacity),
      stats(alloc_lcore_stats()),
      l7pool(l7::kDefaultPoolSlots),
      l7_owner(std::make_unique<FlowEntry*[]>(l7::kDefaultPoolSlots)) {
    flows.set_release_hook(&release_l7_slot, this);
    l7_timeout = hz / 1000 * kL7TimeoutMs;
    frag_ttl = hz / 1000 * kFragTtlMs;
    sweep_every = hz / kSweepsPerSecond;
    sweep_slots = flows.capacity() / kSweepsPerSecond + kMinSweepSlots;
    bump(stats->flow_capacity, flows.capacity());
}

WorkerCtx::~WorkerCtx() {
    for (unsigned s = 0; s < 2; ++s)
        for (uint16_t k = 0; k < n_resets[s]; ++k) rte_pktmbuf_free(resets[s][k]);
    free_lcore_stats(stats);
}

namespace {

// Called when the worker first sees a policy generation: per-generation
// settings and the counter map that matches these tables.
void refresh_generation(WorkerCtx& w, const PolicyTables* t) {
    if (t->generation() == w.gen && (w.map || !w.maps)) return;
    const auto& st = t->policy().settings;
    const uint64_t hz = w.tsc_hz;
    w.to.tcp_syn = st.flow_timeout_tcp_syn_s * hz;
    w.to.tcp_est = st.flow_timeout_tcp_est_s * hz;
    w.to.tcp_closed = st.flow_timeout_tcp_closed_s * hz;
    w.to.udp = st.flow_timeout_udp_s * hz;
    w.to.other = st.flow_timeout_other_s * hz;
    w.audit_per_sec = st.audit_per_source_per_sec;
    w.gen = t->generation();
    // The map is published before the tables; a mismatch means a newer map
    // is already out (a reload in progress): retry on the next burst.
    w.map = nullptr;
    if (w.maps) {
        const CounterMap* m = w.maps->latest();
        if (m && m->content_hash == t->policy().content_hash) w.map = m;
    }
}

uint16_t forward_all(WorkerCtx& w, rte_mbuf** pkts, uint16_t n, rte_mbuf** out, PktTag* tags) {
    // No policy: a transparent bridge. Malformed frames are bridged too (and
    // counted): with nothing to enforce, the gateway must not alter traffic.
    uint16_t malformed = 0;
    for (uint16_t i = 0; i < n; ++i) {
        if (w.meta[i].kind == L2Kind::Malformed) ++malformed;
        out[i] = pkts[i];
        tags[i] = PktTag{static_cast<uint8_t>(Path::L2), kNoSlot};
    }
    w.stats->inc(kCtrNoPolicyForwarded, n);
    if (malformed) w.stats->inc(kCtrMalformedForwarded, malformed);
    return n;
}

}  // namespace

uint16_t process_burst(WorkerCtx& w, const PolicyTables* t, unsigned side, rte_mbuf** pkts,
                       uint16_t n, uint64_t now, rte_mbuf** out, PktTag* tags) {
    if (n > kMaxBurst) n = kMaxBurst;
    w.pkts = pkts;
    for (uint16_t i = 0; i < n && i < 4; ++i) rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));
    // Software transport checksums only when a policy enforces them.
    const bool verify_l4 =
        t && t->policy().admission.checksum == policy::ChecksumMode::Verify &&
        t->policy().admission.enforces(policy::AdmissionCheck::TransportChecksum);
    for (uint16_t i = 0; i < n; ++i) {
        if (i + 4 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 4], void*));
        parse_mbuf(pkts[i], w.meta[i], verify_l4);
        w.meta[i].arrival = static_cast<uint8_t>(side);
        w.bytes[i] = rte_pktmbuf_pkt_len(pkts[i]);
    }
    if (!t) return forward_all(w, pkts, n, out, tags);
    refresh_generation(w, t);

    // Pre stages; collect what needs the flow table.
    unsigned nl = 0, nfrag = 0;
    for (uint16_t i = 0; i < n; ++i) {
        w.ps[i] = PktState{};
        if (stage_pre(w, t, i, now)) continue;
        // Not telemetry, not essential: a quarantined scanner stops here.
        if (w.safety && safety::quarantine_drop(w, *w.safety, t, i, now)) continue;
        if (w.meta[i].frag == 2) {
            // After the flow stages: the first fragment may be in this burst.
            w.fidx[nfrag++] = i;
            continue;
        }
        w.ps[i].src_is_a = make_flow_key(w.meta[i], w.keys[i]);
        w.hashes[i] = flow_hash(w.keys[i]);
        w.flows.prefetch(w.hashes[i]);
        w.lkeys[nl] = &w.keys[i];
        w.lhash[nl] = w.hashes[i];
        w.lidx[nl] = i;
        ++nl;
    }
    // Bulk flow lookup, then established flows in place and misses batched.
    unsigned nm = 0;
    if (nl) {
        w.flows.lookup_bulk(w.lkeys, w.lhash, nl, w.lhit, now);
        for (unsigned j = 0; j < nl; ++j) {
            const unsigned i = w.lidx[j];
            if (w.lhit[j] && stage_established(w, t, side, i, w.lhit[j], now)) continue;
            w.midx[nm++] = static_cast<uint16_t>(i);
        }
    }
    if (nm) stage_new_flows(w, t, side, nm, now);
    for (unsigned k = 0; k < nfrag; ++k) stage_frag_follow(w, t, w.fidx[k], now);

    uint16_t nf = 0;
    for (uint16_t i = 0; i < n; ++i) {
        if (static_cast<Action>(w.ps[i].action) == Action::Drop) {
            rte_pktmbuf_free(pkts[i]);
            continue;
        }
        out[nf] = pkts[i];
        tags[nf] = PktTag{w.ps[i].path, w.ps[i].cls_slot};
        ++nf;
    }
    return nf;
}

void record_burst_latency(WorkerCtx& w, const PktTag* tags, uint16_t n, uint64_t ns) {
    // A burst holds few distinct (path, class) pairs: count them in a small
    // table, then one histogram update per pair. An overflowing pair (more
    // than kRuns distinct) is recorded on its own.
    constexpr unsigned kRuns = 8;
    PktTag run[kRuns];
    uint16_t count[kRuns];
    unsigned nr = 0;
    for (uint16_t i = 0; i < n; ++i) {
        unsigned r = 0;
        while (r < nr && !(run[r].path == tags[i].path && run[r].cls_slot == tags[i].cls_slot)) ++r;
        if (r < nr) {
            ++count[r];
        } else if (nr < kRuns) {
            run[nr] = tags[i];
            count[nr++] = 1;
        } else {
            w.stats->latency(static_cast<Path>(tags[i].path), tags[i].cls_slot, ns);
        }
    }
    for (unsigned r = 0; r < nr; ++r)
        w.stats->latency(static_cast<Path>(run[r].path), run[r].cls_slot, ns, count[r]);
}

void pipeline_housekeeping(WorkerCtx& w, uint64_t now) {
    __atomic_store_n(&w.stats->flow_entries, w.flows.size(), __ATOMIC_RELAXED);
    if (now < w.next_sweep) return;
    w.next_sweep = now + w.sweep_every;
    if (const unsigned freed = w.flows.age(now, w.sweep_slots))
        w.stats->inc(kCtrFlowsExpired, freed);
    l7_sweep(w, now);
}

}  // namespace wg::dp
