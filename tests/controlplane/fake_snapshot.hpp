// A plausible dataplane Status + Snapshot for rendering tests, standing in
// for the real dataplane (same shapes as common/stats/snapshot.hpp).
#pragma once

#include "mgmt/messages.hpp"
#include "stats/latency_histogram.hpp"
#include "stats/snapshot.hpp"

namespace wg::test {

inline mgmt::Status fake_status(uint64_t generation = 3, const std::string& mode = "normal") {
    mgmt::Status s;
    s.version = "0.1.0";
    s.pid = 4321;
    s.uptime_ns = 12'500'000'000ull;
    s.workers = 2;
    s.ports = {{"clinical", "net_af_packet0", 0}, {"core", "net_af_packet1", 1}};
    s.policy_generation = generation;
    s.policy_hash = "ab12";
    s.policy_commit = "deadbeef";
    s.mode = mode;
    return s;
}

// `scale` multiplies every counter, so two snapshots make a rate.
inline stats::Snapshot fake_snapshot(uint64_t scale = 1) {
    stats::Snapshot s;
    s.tsc_hz = 2'000'000'000;
    s.uptime_ns = 12'500'000'000ull;
    s.ports = {{"clinical", "net_af_packet0", 1000 * scale, 64000 * scale, 990 * scale,
                63000 * scale, 0, 0, 0},
               {"core", "net_af_packet1", 990 * scale, 63000 * scale, 1000 * scale, 64000 * scale,
                0, 0, 0}};
    stats::ClassCounters infusion{"infusion_pump", {}, {}};
    infusion.packets = {800 * scale, 20 * scale, 5 * scale, 0};
    infusion.bytes = {51200 * scale, 1280 * scale, 320 * scale, 0};
    stats::ClassCounters monitor{"patient_monitor", {}, {}};
    monitor.packets = {100 * scale, 0, 0, 70 * scale};
    monitor.bytes = {6400 * scale, 0, 0, 4480 * scale};
    s.classes = {infusion, monitor};
    s.rules = {{"infusion_pump/to-pump-server", 800 * scale, 51200 * scale}};
    s.drops = {{"default_deny", 20 * scale}, {"truncated_l3", 1 * scale}};
    s.gauges = {{"flow_table_entries", 300},
                {"flow_table_capacity", 1000},
                {"mempool_in_use", 512},
                {"mempool_size", 4096},
                {"audit_ring_used", 3}};
    s.counters = {{"new_flows", 50 * scale}, {"flow_table_full", 0}, {"scanners_flagged", 1}};
    stats::L7Counters dicom{"us_cart", "dicom", {}};
    dicom.counts = {10 * scale, 9 * scale, 1 * scale,
                    0};  // inspected, allowed, violated, uninspected
    s.l7 = {dicom};
    // A staged policy that would deny the pumps' flows to an unknown core host.
    s.staged.generation = 2;
    s.staged.hash = "cd34";
    s.staged.commit = "feedf00d";
    s.staged.evaluated = 50 * scale;
    stats::StagedPair sp;
    sp.enforced_src = sp.staged_src = "infusion_pump";
    sp.enforced_dst = sp.staged_dst = "unknown";
    sp.enforced_generation = 3;
    sp.staged_generation = 2;
    sp.would_deny = 4 * scale;
    sp.would_allow = 1 * scale;
    sp.first_seen_ns = 1'700'000'000'000'000'000ull;
    s.staged.pairs = {sp};
    s.workers = {{1, 1000 * scale, 250 * scale, 1000 * scale},
                 {2, 900 * scale, 100 * scale, 1000 * scale}};
    s.workers[0].has_flows = s.workers[1].has_flows = true;
    s.workers[0].flows_created = 30 * scale;  // 50 new_flows: 30 + 20
    s.workers[1].flows_created = 20 * scale;
    s.workers[0].flow_entries = 180;  // 300 flow_table_entries: 180 + 120
    s.workers[1].flow_entries = 120;
    s.workers[0].packets = 1100 * scale;
    s.workers[1].packets = 890 * scale;
    stats::Histogram h;
    h.path = "bypass";
    h.cls = "patient_monitor";
    auto at = [](uint64_t ns, uint64_t n) {
        return stats::Bucket{static_cast<uint16_t>(stats::hist_index(ns)), n};
    };
    // 60 packets at 3 µs, 9 at 20 µs, 1 at 40 µs (above the 32.768 µs SLO).
    h.buckets = {at(3000, 60 * scale), at(20000, 9 * scale), at(40000, 1 * scale)};
    h.sum_ns = (60 * 3000 + 9 * 20000 + 40000) * scale;
    s.histograms.push_back(h);
    h.path = "new_flow";
    h.cls = "infusion_pump";
    h.buckets = {at(8000, 50 * scale)};
    h.sum_ns = 50 * 8000 * scale;
    s.histograms.push_back(h);
    return s;
}

}  // namespace wg::test
