#include "reload_metrics.hpp"

#include "metric_util.hpp"

namespace wg::cp {

using prometheus::MetricType;

void ReloadMetrics::record(ReloadResult r, double unix_time, size_t errors) {
    std::lock_guard lk(mu_);
    ++total_[static_cast<int>(r)];
    last_attempt_ = unix_time;
    last_errors_ = errors;
    last_ok_ = r == ReloadResult::Ok || r == ReloadResult::Unchanged;
    if (last_ok_) last_success_ = unix_time;
}

void ReloadMetrics::set_running(uint64_t generation, const std::string& commit,
                                const std::string& hash) {
    std::lock_guard lk(mu_);
    generation_ = generation;
    commit_ = commit;
    hash_ = hash;
}

void ReloadMetrics::set_persist_failed(bool failed) {
    std::lock_guard lk(mu_);
    persist_failed_ = failed;
}

void ReloadMetrics::set_state_file_failed(bool failed) {
    std::lock_guard lk(mu_);
    state_file_failed_ = failed;
}

std::vector<prometheus::MetricFamily> ReloadMetrics::Collect() const {
    std::lock_guard lk(mu_);
    std::vector<prometheus::MetricFamily> out;
    // Every result is exported from the start (at 0) so rate() and
    // increase() see the first failure instead of a series appearing.
    auto tot = family("wardgate_policy_reload_total",
                      "Policy reload attempts by result (ok, unchanged, rejected, push-failed)",
                      MetricType::Counter);
    for (size_t i = 0; i < total_.size(); ++i)
        add_counter(tot, {{"result", kReloadResultNames[i]}}, static_cast<double>(total_[i]));
    out.push_back(std::move(tot));

    auto ok = family("wardgate_policy_last_reload_success",
                     "1 if the last reload attempt succeeded (ok or unchanged), 0 if it failed",
                     MetricType::Gauge);
    add_gauge(ok, {}, last_ok_ ? 1 : 0);
    out.push_back(std::move(ok));
    auto errs = family("wardgate_policy_last_reload_errors",
                       "Errors reported by the last reload attempt", MetricType::Gauge);
    add_gauge(errs, {}, static_cast<double>(last_errors_));
    out.push_back(std::move(errs));
    auto att = family("wardgate_policy_last_reload_attempt_timestamp_seconds",
                      "Unix time of the last reload attempt", MetricType::Gauge);
    add_gauge(att, {}, last_attempt_);
    out.push_back(std::move(att));
    auto succ = family("wardgate_policy_last_reload_success_timestamp_seconds",
                       "Unix time of the last successful reload", MetricType::Gauge);
    add_gauge(succ, {}, last_success_);
    out.push_back(std::move(succ));
    auto gen = family("wardgate_policy_generation",
                      "Policy generation the dataplane acknowledged (0 = none)", MetricType::Gauge);
    add_gauge(gen, {}, static_cast<double>(generation_));
    out.push_back(std::move(gen));
    auto info = family("wardgate_policy_info", "Running policy: git commit and content hash",
                       MetricType::Gauge);
    add_gauge(info, {{"commit", commit_}, {"hash", hash_}}, 1);
    out.push_back(std::move(info));
    auto pf = family("wardgate_policy_persist_failed",
                     "1 if the last good image could not be written to the image store",
                     MetricType::Gauge);
    add_gauge(pf, {}, persist_failed_ ? 1 : 0);
    out.push_back(std::move(pf));
    auto sf = family("wardgate_policy_state_file_failed",
                     "1 if the state file (controlplane.json) could not be written after the "
                     "last reload attempt; it was removed rather than left stale",
                     MetricType::Gauge);
    add_gauge(sf, {}, state_file_failed_ ? 1 : 0);
    out.push_back(std::move(sf));
    return out;
}

}  // namespace wg::cp
