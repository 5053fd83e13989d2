// Sample management messages with their fields filled in: the round-trip
// tests (messages_test.cpp) and the fuzz seed generator (fuzz/seedgen.cpp)
// encode the same ones, so a new field is added in one place.
#pragma once

#include "mgmt/messages.hpp"
#include "stats/latency_histogram.hpp"
#include "stats/snapshot.hpp"

namespace wg::test {

inline mgmt::Status sample_status() {
    mgmt::Status s;
    s.version = "1.2.3";
    s.pid = 42;
    s.uptime_ns = 123456789;
    s.workers = 2;
    s.ports = {{"clinical", "net_pcap0", 0}, {"core", "net_pcap1", 1}};
    s.policy_generation = 7;
    s.policy_hash = "abc";
    s.policy_commit = "deadbeef";
    s.mode = "normal";
    return s;
}

inline stats::Snapshot sample_snapshot() {
    stats::Snapshot st;
    st.tsc_hz = 3'000'000'000;
    st.uptime_ns = 5;
    st.ports.push_back({"clinical", "p0", 1, 2, 3, 4, 5, 6, 7});
    stats::ClassCounters c;
    c.cls = "infusion-pump";
    c.packets = {1, 2, 3, 4};
    c.bytes = {10, 20, 30, 40};
    st.classes.push_back(c);
    st.rules.push_back({"infusion-pump/ntp", 3, 300});
    st.drops.push_back({"malformed", 9});
    st.gauges.push_back({"flow_table_entries", 12});
    st.counters.push_back({"new_flows", 99});
    stats::WorkerCounters w0;
    w0.lcore = 1;
    w0.heartbeat = 100;
    w0.busy_cycles = 5;
    w0.total_cycles = 50;
    w0.has_flows = true;
    w0.flows_created = 31;
    w0.flow_entries = 17;
    w0.packets = 4242;
    st.workers.push_back(w0);
    stats::WorkerCounters w1 = w0;
    w1.lcore = 2;
    w1.flows_created = 33;
    w1.flow_entries = 0;
    w1.packets = 4343;
    st.workers.push_back(w1);
    stats::Histogram h;
    h.path = "bypass";
    h.buckets = {{static_cast<uint16_t>(stats::hist_index(1500)), 3},
                 {static_cast<uint16_t>(stats::kHistBuckets - 1), 1}};
    h.sum_ns = 4500;
    st.histograms.push_back(h);
    return st;
}

// One IPv6 TCP/445 denial with a suppressed count, two records lost.
inline mgmt::AuditBatch sample_audit_batch() {
    mgmt::AuditBatch b;
    b.lost = 2;
    mgmt::AuditEvent e;
    e.family = 6;
    e.proto = 6;
    e.src[15] = 1;
    e.dport = 445;
    e.rule = 12;
    e.suppressed = 5;
    b.events.push_back(e);
    return b;
}

// The sample snapshot with a staged policy and one differing class pair.
inline stats::Snapshot sample_staged_snapshot() {
    stats::Snapshot st = sample_snapshot();
    st.staged.generation = 4;
    st.staged.hash = "feed";
    st.staged.commit = "c0ffee";
    st.staged.evaluated = 17;
    st.staged.overflow = 1;
    stats::StagedPair p;
    p.enforced_src = "infusion-pump";
    p.enforced_dst = "pump-mgmt";
    p.staged_src = "infusion-pump";
    p.staged_dst = "pump-mgmt-v2";
    p.enforced_generation = 9;
    p.staged_generation = 4;
    p.would_deny = 3;
    p.would_allow = 0;
    p.first_seen_ns = 1700000000000000000ull;
    st.staged.pairs.push_back(p);
    return st;
}

// The sample batch plus a staged would-newly-allow event (and an L7-less one
// first, so the staged trailer's index is not 0).
inline mgmt::AuditBatch sample_staged_audit_batch() {
    mgmt::AuditBatch b = sample_audit_batch();
    mgmt::AuditEvent e = b.events.at(0);
    e.suppressed = 0;
    e.staged = 2;
    e.staged_generation = 4;
    e.staged_src_class = 3;
    e.staged_dst_class = 5;
    e.staged_rule = 8;
    b.events.push_back(e);
    return b;
}

}  // namespace wg::test
