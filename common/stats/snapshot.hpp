// What the dataplane reports in a StatsResponse: plain values, no DPDK types.
// The dataplane's management thread fills it from per-lcore counters; the
// control plane turns it into Prometheus metrics. Counters are monotonic
// since dataplane start (the control plane detects restarts by pid/uptime).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "stats/latency_histogram.hpp"

namespace wg::stats {

struct PortCounters {
    std::string role;  // "clinical" | "core"
    std::string name;  // DPDK device name
    uint64_t rx_packets = 0, rx_bytes = 0;
    uint64_t tx_packets = 0, tx_bytes = 0;
    uint64_t tx_dropped = 0;  // TX ring full: freed by us
    uint64_t rx_missed = 0;   // dropped by the NIC/PMD before we saw them (imissed)
    uint64_t rx_errors = 0;
};

// Verdict slots used by per-class counters and histograms.
enum class Verdict : uint8_t { Allowed = 0, Denied = 1, WouldDeny = 2, Bypassed = 3 };
inline constexpr unsigned kVerdicts = 4;
inline constexpr const char* verdict_name(Verdict v) {
    switch (v) {
        case Verdict::Allowed: return "allowed";
        case Verdict::Denied: return "denied";
        case Verdict::WouldDeny: return "would_deny";
        case Verdict::Bypassed: return "bypassed";
    }
    return "unknown";
}

struct ClassCounters {
    std::string cls;
    std::array<uint64_t, kVerdicts> packets{};
    std::array<uint64_t, kVerdicts> bytes{};
};

struct RuleCounters {
    std::string rule;  // "<class>/<rule>" or "guardrail/<rule>" or "bypass/<entry>"
    uint64_t packets = 0, bytes = 0;
};

// L7 first-payload inspection outcomes of one class (the owner of the
// constrained rule) and protocol ("dicom", "hl7", "smb", "ntp"): flows whose
// first payload got a verdict (inspected = allowed + violated) and flows
// that got none (uninspected: pool, budget or timeout exhausted); reset:
// violations answered with TCP resets to both ends (on_violation: reset).
inline constexpr unsigned kL7Outcomes = 5;
inline constexpr const char* kL7OutcomeNames[kL7Outcomes] = {"inspected", "allowed", "violated",
                                                             "uninspected", "reset"};
struct L7Counters {
    std::string cls;
    std::string protocol;
    std::array<uint64_t, kL7Outcomes> counts{};
};

struct NamedCount {
    std::string name;
    uint64_t value = 0;
};

struct WorkerCounters {
    uint32_t lcore = 0;
    uint64_t heartbeat = 0;     // main-loop iterations
    uint64_t busy_cycles = 0;   // cycles spent on bursts that carried packets
    uint64_t total_cycles = 0;  // cycles since the worker started
    // Flow figures of this worker (its own flow table; both directions of a
    // flow meet on one worker, docs/dataplane.md "Multi-core"). A dataplane
    // older than the WorkerFlows section sends none: has_flows stays false.
    bool has_flows = false;
    uint64_t flows_created = 0;  // entries this worker inserted since start (new_flows)
    uint64_t flow_entries = 0;   // live entries in its table now
    uint64_t packets = 0;        // frames it received from both ports
};

static_assert(kHistBuckets <= 0x10000, "bucket index must fit Bucket::index (and the wire's u16)");

// One nonzero bucket of a latency histogram.
struct Bucket {
    uint16_t index = 0;  // < kHistBuckets
    uint64_t count = 0;  // != 0
    bool operator==(const Bucket&) const = default;
};

// One latency histogram (bucket layout: latency_histogram.hpp). Sparse: only
// the nonzero buckets, sorted by index, so its size follows what was counted
// (and, when decoded, what was received) rather than the 864-bucket layout.
struct Histogram {
    std::string path;  // "bypass" | "established" | "new_flow" | "l2" ...
    std::string cls;   // class name, or "" for all
    std::vector<Bucket> buckets;  // nonzero buckets, strictly increasing index
    uint64_t sum_ns = 0;
};

// The kHistBuckets dense counts of `h`, for consumers that need the whole
// layout (percentiles, Prometheus buckets): expand one histogram at a time.
inline std::vector<uint64_t> dense_counts(const Histogram& h) {
    std::vector<uint64_t> d(kHistBuckets, 0);
    for (const auto& b : h.buckets)
        if (b.index < kHistBuckets) d[b.index] = b.count;
    return d;
}

// Staged policy differences (issue 13 part 3), per class pair. A new flow is
// judged by the enforced and by the staged policy; where they disagree the
// flow counts here. Class ids differ between the two policies, so a pair is
// keyed by names: the ends' classes in the enforced and in the staged policy.
enum class StagedDifference : uint8_t { None = 0, WouldDeny = 1, WouldAllow = 2 };
inline constexpr const char* staged_difference_name(StagedDifference d) {
    switch (d) {
        case StagedDifference::None: return "none";
        case StagedDifference::WouldDeny: return "would_deny";
        case StagedDifference::WouldAllow: return "would_allow";
    }
    return "unknown";
}
struct StagedPair {
    std::string enforced_src, enforced_dst;  // class names in the enforced policy
    std::string staged_src, staged_dst;      // class names in the staged policy
    uint64_t enforced_generation = 0, staged_generation = 0;
    uint64_t would_deny = 0, would_allow = 0;  // new flows, since the dataplane started
    uint64_t first_seen_ns = 0;                // CLOCK_REALTIME of the pair's first difference
};
struct StagedStats {
    uint64_t generation = 0;  // staged generation, 0 = no staged policy
    std::string hash;         // content hash of the staged image
    std::string commit;       // its git commit, "" if none
    uint64_t evaluated = 0;   // new flows judged by both policies
    uint64_t overflow = 0;    // differences not counted per pair (per-lcore table full)
    std::vector<StagedPair> pairs;
};

struct Snapshot {
    uint64_t tsc_hz = 0;
    uint64_t uptime_ns = 0;
    std::vector<PortCounters> ports;
    std::vector<ClassCounters> classes;
    std::vector<RuleCounters> rules;
    std::vector<NamedCount> drops;      // by reason
    std::vector<NamedCount> gauges;     // flow_table_entries, flow_table_capacity, mempool_in_use, ...
    std::vector<NamedCount> counters;   // new_flows, flow_table_full, scanners_flagged, ...
    std::vector<WorkerCounters> workers;
    std::vector<Histogram> histograms;
    std::vector<L7Counters> l7;  // nonzero (class, protocol) pairs only
    StagedStats staged;          // empty unless a staged policy was ever loaded
};

}  // namespace wg::stats
