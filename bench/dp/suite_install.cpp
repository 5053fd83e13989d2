// suite_install: what installing a big policy costs, step by step, and
// rte_acl alone on the same rules in the same run (issue 15, item 5).
//
// For 10,000 / 50,000 / 100,000 rules over 100,000 hosts (the reload suite's
// workload): each build step of a policy generation on its own (image decode,
// counter map, essentials, bypass, side check, identity, classifier with its
// rule expansion and rte_acl build per family, L7 table), each with its time
// and peak-RSS growth; then the whole install as the dataplane does it
// (decode once, counter map, PolicyHolder build + RCU publish); then
// acl_bench's rte_acl build (max_size 0, one trie set) on the same rules.
// Nothing here asserts a time.
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>

#include <rte_lcore.h>

#include "acl_bench.hpp"
#include "gen.hpp"
#include "harness.hpp"
#include "policy/bypass.hpp"
#include "policy/classifier.hpp"
#include "policy/essentials.hpp"
#include "policy/holder.hpp"
#include "policy/identity.hpp"
#include "policy/image.hpp"
#include "policy/l7_table.hpp"
#include "policy/side_check.hpp"
#include "stats/counter_map.hpp"
#include "suites.hpp"

namespace wg::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Runs `fn` and records its time, peak-RSS growth and DPDK heap growth.
nlohmann::json step(const char* name, const std::function<void()>& fn) {
    reset_peak_rss();
    const uint64_t rss0 = current_rss_bytes(), heap0 = dpdk_heap_allocated();
    const auto t0 = Clock::now();
    fn();
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    const uint64_t peak = peak_rss_bytes(), heap1 = dpdk_heap_allocated();
    const uint64_t rss1 = current_rss_bytes();
    return {{"step", name},
            {"ms", ms},
            {"peak_rss_growth_bytes", peak > rss0 ? peak - rss0 : 0},
            // Still resident afterwards: what the process keeps (freed heap
            // memory glibc did not return, plus what the step keeps alive).
            {"rss_growth_after_bytes", rss1 > rss0 ? rss1 - rss0 : 0},
            {"heap_growth_bytes", heap1 > heap0 ? heap1 - heap0 : 0}};
}

}  // namespace

nlohmann::json suite_install(const SuiteContext& c) {
    nlohmann::json j;
    j["status"] = "ok";
    nlohmann::json rows = nlohmann::json::array();
    std::vector<unsigned> sizes =
        c.quick ? std::vector<unsigned>{1000} : std::vector<unsigned>{10000, 50000, 100000};
    const int socket = static_cast<int>(rte_socket_id());
    for (unsigned n : sizes) {
        if (!c.filter.empty() && std::to_string(n).find(c.filter) == std::string::npos) continue;
        PolicySpec ps;
        ps.rules = n;
        ps.hosts = c.quick ? 10000 : 100000;
        auto w = make_workload(ps);
        const auto img = policy::encode_image(w.policy);
        nlohmann::json row = {{"rules", n}, {"hosts", ps.hosts}, {"image_bytes", img.size()}};

        // Each step on its own; the decoded policy feeds the others.
        nlohmann::json steps = nlohmann::json::array();
        policy::CompiledPolicy p;
        steps.push_back(step("decode_image", [&] { p = policy::decode_image(img); }));
        {
            dp::SlotRegistry slots;
            steps.push_back(step("counter_map", [&] { (void)slots.map_for(p); }));
        }
        steps.push_back(step("copy_model", [&] { policy::CompiledPolicy q = p; }));
        steps.push_back(step("essentials", [&] {
            dp::EssentialsTable t;
            t.build(p.essentials);
        }));
        steps.push_back(step("bypass", [&] {
            dp::BypassTable t(socket);
            t.build(p);
        }));
        steps.push_back(step("side_check", [&] {
            dp::SideCheck t(socket);
            t.build(p);
        }));
        steps.push_back(step("identity", [&] {
            dp::IdentityTable t(socket);
            t.build(p);
        }));
        dp::ClassifierStats cs;
        steps.push_back(step("classifier", [&] {
            dp::Classifier t(socket);
            t.build(p, 1);
            cs = t.stats();
        }));
        steps.push_back(step("l7", [&] {
            dp::L7Table t;
            t.build(p);
        }));
        row["steps"] = steps;
        row["classifier"] = {{"acl_rules4", cs.acl_rules4},
                             {"acl_rules6", cs.acl_rules6},
                             {"expand_ms", cs.expand_ms},
                             {"acl_build_ms4", cs.build_ms4},
                             {"acl_build_ms6", cs.build_ms6},
                             {"acl_builds", cs.acl_builds},
                             {"size_capped", cs.size_capped4 && cs.size_capped6},
                             {"alg", cs.alg}};
        p = policy::CompiledPolicy{};

        // The whole install, as the dataplane does it (dataplane.cpp
        // load_policy): decode, counter map, tables, RCU publish.
        {
            dp::PolicyHolder h(1);
            h.set_socket(socket);
            dp::SlotRegistry slots;
            dp::LoadResult r;
            auto all = step("install", [&] {
                const auto q = policy::decode_image(img);
                (void)slots.map_for(q);
                r = h.load_policy(q);
            });
            all["ok"] = r.ok;
            all["error"] = r.error;
            row["install"] = all;
        }
        // rte_acl alone on the same policy's rules, same run.
        AclOptions ao;
        ao.classify = false;
        row["acl_alone"] = acl_bench(w, ao, c.tsc_hz);
        std::fprintf(stderr,
                     "  install %6u rules: %8.1f ms, peak +%.0f MB, after +%.0f MB (rte_acl alone "
                     "%.1f ms, +%.0f MB; classifier %.1f ms in %u rte_acl builds)\n",
                     n, row["install"]["ms"].get<double>(),
                     double(row["install"]["peak_rss_growth_bytes"].get<uint64_t>()) / 1e6,
                     double(row["install"]["rss_growth_after_bytes"].get<uint64_t>()) / 1e6,
                     row["acl_alone"]["build_ms"].get<double>(),
                     double(row["acl_alone"]["build_peak_rss_growth_bytes"].get<uint64_t>()) / 1e6,
                     cs.build_ms4 + cs.build_ms6 + cs.expand_ms, cs.acl_builds);
        for (const auto& s : steps)
            std::fprintf(stderr, "    %-12s %9.1f ms  peak +%6.0f MB  after +%6.0f MB\n",
                         s["step"].get<std::string>().c_str(), s["ms"].get<double>(),
                         double(s["peak_rss_growth_bytes"].get<uint64_t>()) / 1e6,
                         double(s["rss_growth_after_bytes"].get<uint64_t>()) / 1e6);
        rows.push_back(row);
    }
    j["rows"] = rows;
    return j;
}

}  // namespace wg::bench
