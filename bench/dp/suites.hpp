// The benchmark suites of wg-bench-dp. Each returns one JSON object for the
// results file; none asserts anything about timings.
#pragma once

#include <string>

#include <rte_mempool.h>
#include <nlohmann/json.hpp>

namespace wg::bench {

struct SuiteContext {
    bool quick = false;
    unsigned reps = 5;
    double tsc_hz = 0;
    rte_mempool* pool = nullptr;
    std::string filter;  // run only cases whose id contains this ("" = all)
};

nlohmann::json suite_ceiling(const SuiteContext& c);
nlohmann::json suite_acl(const SuiteContext& c);
// The in-process pipeline matrix, flow-table memory and policy reload. These
// need the fast path's bench hook (dataplane/pipeline.hpp); without it they
// say so in a "status"/"reason" pair instead of results.
nlohmann::json suite_pipeline(const SuiteContext& c);
nlohmann::json suite_flowmem(const SuiteContext& c);
nlohmann::json suite_reload(const SuiteContext& c);
// Installing big policies: time and peak RSS per build step, rte_acl alone.
nlohmann::json suite_install(const SuiteContext& c);
// Protocol inspection: new constrained vs unconstrained flows, first payload
// per protocol, established packets after the verdict.
nlohmann::json suite_l7(const SuiteContext& c);
// One worker against two on two lcores at once (suite_workers.cpp).
nlohmann::json suite_workers(const SuiteContext& c);
// Staged policy: new-flow cycles with and without a staged policy, same run.
nlohmann::json suite_staged(const SuiteContext& c);

}  // namespace wg::bench
