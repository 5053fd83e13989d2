#include "staged_metrics.hpp"

#include <map>
#include <tuple>

#include "metric_util.hpp"

namespace wg::cp {

using prometheus::MetricType;

void render_staged(const mgmt::Status& status, const stats::Snapshot& snap,
                   std::vector<prometheus::MetricFamily>& out) {
    const auto& g = snap.staged;
    if (g.generation == 0 && g.pairs.empty() && g.evaluated == 0) return;

    auto gen =
        family("wardgate_staged_policy_generation",
               "Staged policy generation in the dataplane (0 = none staged)", MetricType::Gauge);
    add_gauge(gen, {}, static_cast<double>(g.generation));
    out.push_back(std::move(gen));
    if (g.generation) {
        auto info = family("wardgate_staged_policy_info",
                           "The staged policy's content hash and git commit", MetricType::Gauge);
        add_gauge(info, {{"hash", g.hash}, {"commit", g.commit}}, 1);
        out.push_back(std::move(info));
    }
    auto same = family("wardgate_staged_policy_identical",
                       "1 when the staged policy's content equals the enforced one (promoted)",
                       MetricType::Gauge);
    add_gauge(same, {}, g.generation && !g.hash.empty() && g.hash == status.policy_hash ? 1 : 0);
    out.push_back(std::move(same));

    auto ev =
        family("wardgate_staged_evaluated_flows_total",
               "New flows judged by both the enforced and the staged policy", MetricType::Counter);
    add_counter(ev, {}, static_cast<double>(g.evaluated));
    out.push_back(std::move(ev));
    auto ov = family("wardgate_staged_uncounted_total",
                     "Staged differences not counted per class pair (a worker's pair table full)",
                     MetricType::Counter);
    add_counter(ov, {}, static_cast<double>(g.overflow));
    out.push_back(std::move(ov));

    using Key = std::tuple<std::string, std::string, std::string, std::string>;
    std::map<Key, std::pair<uint64_t, uint64_t>> sum;
    for (const auto& p : g.pairs) {
        auto& s = sum[{p.enforced_src, p.enforced_dst, p.staged_src, p.staged_dst}];
        s.first += p.would_deny;
        s.second += p.would_allow;
    }
    auto f = family("wardgate_staged_flows_total",
                    "New flows the staged policy would treat differently, by class pair "
                    "(src_class/dst_class: enforced policy; staged_src_class/staged_dst_class: "
                    "staged policy) and difference (would_deny: forwarded now, dropped if "
                    "promoted; would_allow: dropped now, forwarded if promoted)",
                    MetricType::Counter);
    for (const auto& [k, v] : sum)
        for (auto [name, n] :
             {std::pair{"would_deny", v.first}, std::pair{"would_allow", v.second}})
            add_counter(f,
                        {{"src_class", std::get<0>(k)},
                         {"dst_class", std::get<1>(k)},
                         {"staged_src_class", std::get<2>(k)},
                         {"staged_dst_class", std::get<3>(k)},
                         {"difference", name}},
                        static_cast<double>(n));
    out.push_back(std::move(f));
}

std::vector<prometheus::MetricFamily> StagedLoadMetrics::Collect() const {
    std::lock_guard lk(mu_);
    std::vector<prometheus::MetricFamily> out;
    auto a = family("wardgate_staged_policy_load_attempts_total",
                    "Staged policy compile-and-push attempts", MetricType::Counter);
    add_counter(a, {}, static_cast<double>(s_.attempts));
    out.push_back(std::move(a));
    auto f = family("wardgate_staged_policy_load_failures_total",
                    "Staged policy attempts that failed (did not compile, or the dataplane "
                    "refused it); the previous staged policy stays, the enforced one is never "
                    "affected",
                    MetricType::Counter);
    add_counter(f, {}, static_cast<double>(s_.failures));
    out.push_back(std::move(f));
    auto ok = family("wardgate_staged_policy_last_load_ok",
                     "1 when the last staged policy attempt succeeded", MetricType::Gauge);
    add_gauge(ok, {}, s_.ok ? 1 : 0);
    out.push_back(std::move(ok));
    return out;
}

}  // namespace wg::cp
