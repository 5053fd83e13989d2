// rte_acl classification alone, on the rules of a generated policy: what the
// new-flow classifier costs without parsing, identity lookup or flow state.
//
// Field layout (one category): protocol (1 B), initiator class and responder
// class (2 x u16 ranges), source and destination address (masks; IPv6 as four
// 32-bit words each), source and destination port (u16 ranges). Class fields
// carry the identity the pipeline resolves before classification, so the
// rules stay one per (rule, responder prefix, port range) rather than being
// expanded over every host of a class.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "gen.hpp"

namespace wg::bench {

struct AclOptions {
    unsigned flows = 100000;  // distinct tuples classified (Zipf popularity)
    uint64_t keys_per_rep = 1 << 20;
    unsigned reps = 5;
    bool classify = true;  // false: build time / memory only
};

// Builds the context for `w`'s rules and measures it. Returns a JSON object
// with the build (time, DPDK heap bytes, peak RSS growth) and, per classify
// algorithm available on this CPU, cycles per key for allowed and denied
// tuples (with the share of keys that matched, as a correctness check).
nlohmann::json acl_bench(const Workload& w, const AclOptions& o, double tsc_hz);

}  // namespace wg::bench
