// Synthetic workloads for the in-process benchmarks: a CompiledPolicy of N
// rules over M inventory hosts, and flow sets that are consistent with it
// (allowed flows, denied scan-storm tuples, telemetry-bypass flows).
//
// Everything is deterministic for a given seed, so two runs of the same case
// feed the same packets. Addresses are in-process only (never on a wire), so
// the clinical side uses 10.0.0.0/8 (or fd00:c::/32) to fit 100,000 hosts.
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "policy/compiled.hpp"

namespace wg::bench {

struct PolicySpec {
    unsigned rules = 1000;   // total rules (guardrails + class allows)
    unsigned hosts = 10000;  // clinical inventory hosts
    uint8_t family = 4;      // 4 | 6
    bool monitor = false;    // every class in monitor mode
    // Frame admission profile (default: strict).
    policy::Admission admission;
    // Telemetry bypass bound to its senders (issue 12's hardened bypass):
    // every inventory host listed as a source with its MAC, arriving on the
    // clinical port. false: any source (the pre-issue-12 shape).
    bool bypass_bound = false;
    uint64_t seed = 1;
};

// One packet-level flow: the initiator's 5-tuple (clinical -> core).
struct Flow {
    std::array<uint8_t, 16> src{}, dst{};  // network order; IPv4 in [0..3]
    uint8_t family = 4;
    uint8_t proto = 6;
    uint16_t sport = 0, dport = 0;  // host order
    uint16_t src_class = 0, dst_class = 0;
    uint32_t rule = policy::kNoRule;  // allowing rule (kNoRule: expected denied)
    std::array<uint8_t, 6> src_mac{}, dst_mac{};
};

struct Workload {
    policy::CompiledPolicy policy;
    unsigned classes = 0;                               // allow-list classes (ids 1..classes)
    std::vector<std::vector<uint32_t>> rules_of_class;  // class id -> rule ids
    std::vector<std::array<uint8_t, 16>> servers;       // core-side responder hosts
    std::array<uint8_t, 16> bypass_group{};             // telemetry multicast group
    uint16_t bypass_port = 0;
};

Workload make_workload(const PolicySpec& s);

// `n` distinct flows, each allowed by a class rule of its source's class.
std::vector<Flow> allowed_flows(const Workload& w, unsigned n, uint64_t seed);
// `n` distinct flows no rule allows (destination port outside every rule's
// ports): the scan-storm / new-denied-flow case.
std::vector<Flow> denied_flows(const Workload& w, unsigned n, uint64_t seed);
// `n` distinct UDP flows to the telemetry-bypass group.
std::vector<Flow> bypass_flows(const Workload& w, unsigned n, uint64_t seed);

// Zipf(s) popularity over `n` items: sample() returns a rank mapped through a
// fixed random permutation (popular flows are not adjacent in memory).
class Zipf {
  public:
    Zipf(unsigned n, double s, uint64_t seed);
    std::vector<uint32_t> sequence(size_t len, uint64_t seed) const;

  private:
    std::vector<double> cdf_;
    std::vector<uint32_t> perm_;
};

// Address helpers.
std::array<uint8_t, 16> clinical_addr(uint8_t family, uint32_t index);
std::array<uint8_t, 16> core_addr(uint8_t family, uint32_t index);

}  // namespace wg::bench
