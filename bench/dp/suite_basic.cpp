// Suites that need only DPDK: the no-op ceiling and rte_acl alone.
#include <cstdio>

#include "acl_bench.hpp"
#include "gen.hpp"
#include "harness.hpp"
#include "suites.hpp"
#include "traces.hpp"

namespace wg::bench {

nlohmann::json suite_ceiling(const SuiteContext& c) {
    nlohmann::json cases = nlohmann::json::array();
    const unsigned nflows = c.quick ? 10000 : 100000;
    const uint64_t pkts = c.quick ? 65536 : 1u << 18;
    for (uint8_t fam : {uint8_t(4), uint8_t(6)}) {
        if (c.quick && fam == 6) continue;
        PolicySpec ps;
        ps.rules = 1000;
        ps.hosts = 10000;
        ps.family = fam;
        const Workload w = make_workload(ps);
        const auto flows = allowed_flows(w, nflows, 21);
        const Zipf z(nflows, 0.99, 22);
        const auto order = z.sequence(pkts, 23);
        for (SizeMix s : {SizeMix::B64, SizeMix::B512, SizeMix::Imix}) {
            const std::string id = std::string("ceiling/v") + char('0' + fam) + "/" + size_name(s);
            if (!c.filter.empty() && id.find(c.filter) == std::string::npos) continue;
            NoopForward noop;
            std::vector<RunResult> reps;
            const auto tr = established_trace(flows, order, s);
            run_trace(noop, c.pool, tr, 0, pkts);  // warm-up, untimed
            for (unsigned r = 0; r < c.reps; ++r)
                reps.push_back(run_trace(noop, c.pool, tr, 0, pkts));
            auto j = summarize(reps, c.tsc_hz);
            j["id"] = id;
            j["family"] = fam;
            j["size"] = size_name(s);
            j["mean_frame_bytes"] = mean_frame_size(s, fam, 6);
            j["flows"] = nflows;
            std::fprintf(stderr, "  %-28s %7.1f cycles/pkt\n", id.c_str(),
                         j["cycles_per_packet"].get<double>());
            cases.push_back(j);
        }
    }
    return {{"status", "ok"},
            {"what",
             "no-op forwarding loop over pre-built mbufs: read each frame's first cache "
             "line and length, hand the mbuf to tx; the ceiling every pipeline case is "
             "compared with"},
            {"cases", cases}};
}

nlohmann::json suite_acl(const SuiteContext& c) {
    nlohmann::json cases = nlohmann::json::array();
    std::vector<unsigned> rule_counts =
        c.quick ? std::vector<unsigned>{10, 1000} : std::vector<unsigned>{10, 1000, 10000, 100000};
    for (uint8_t fam : {uint8_t(4), uint8_t(6)}) {
        if (c.quick && fam == 6) continue;
        for (unsigned n : rule_counts) {
            // The 100,000-rule build takes ~10-20 s and over 1 GB: IPv4 only.
            if (fam == 6 && n > 10000) continue;
            const std::string id = "acl/v" + std::to_string(fam) + "/" + std::to_string(n) + "r";
            if (!c.filter.empty() && id.find(c.filter) == std::string::npos) continue;
            PolicySpec ps;
            ps.rules = n;
            ps.hosts = n >= 10000 ? 100000 : 10000;
            ps.family = fam;
            const Workload w = make_workload(ps);
            AclOptions o;
            o.flows = c.quick ? 10000 : 100000;
            o.keys_per_rep = c.quick ? 65536 : 1u << 18;
            o.reps = c.reps;
            auto j = acl_bench(w, o, c.tsc_hz);
            j["id"] = id;
            std::fprintf(stderr, "  %-28s build %8.1f ms, %zu acl rules\n", id.c_str(),
                         j["build_ms"].get<double>(), j["acl_rules"].get<size_t>());
            cases.push_back(j);
        }
    }
    return {{"status", "ok"},
            {"what",
             "rte_acl_classify alone (bursts of 32 keys, one category) on the rules of "
             "the generated policies; keys prebuilt, Zipf popularity over the flows"},
            {"cases", cases}};
}

}  // namespace wg::bench
