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

void ReloadMetrics::set_gateway(const std::string& name) {
    std::lock_guard lk(mu_);
    gateway_ = name;
}

void ReloadMetrics::enable_git() {
    std::lock_guard lk(mu_);
    git_ = true;
}

void ReloadMetrics::record_fetch(bool ok, const std::string& commit, double unix_time) {
    std::lock_guard lk(mu_);
    ++fetch_total_[ok ? 0 : 1];
    if (ok) {
        last_fetch_ok_ = unix_time;
        remote_commit_ = commit;
    }
}

void ReloadMetrics::record_refusal(const std::string& reason, const std::string& commit) {
    std::lock_guard lk(mu_);
    for (size_t i = 0; i < kRefusalReasons.size(); ++i)
        if (reason == kRefusalReasons[i]) ++refused_total_[i];
    refused_commit_ = commit;
    refused_reason_ = reason;
}

void ReloadMetrics::clear_refused() {
    std::lock_guard lk(mu_);
    refused_commit_.clear();
    refused_reason_.clear();
}

void ReloadMetrics::set_revision(const std::string& commit, const std::string& signer,
                                 const std::string& key, double commit_time) {
    std::lock_guard lk(mu_);
    rev_commit_ = commit;
    rev_signer_ = signer;
    rev_key_ = key;
    rev_time_ = commit_time;
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
    if (!gateway_.empty()) {
        auto gw = family("wardgate_gateway_info",
                         "This gateway's name in the fleet (--gateway / --gateway-name)",
                         MetricType::Gauge);
        add_gauge(gw, {{"name", gateway_}}, 1);
        out.push_back(std::move(gw));
    }
    if (!git_) return out;
    auto ft = family("wardgate_policy_fetch_total",
                     "Fetches of the policy repository (--policy-git) by result (ok, failed)",
                     MetricType::Counter);
    add_counter(ft, {{"result", "ok"}}, static_cast<double>(fetch_total_[0]));
    add_counter(ft, {{"result", "failed"}}, static_cast<double>(fetch_total_[1]));
    out.push_back(std::move(ft));
    auto lf = family("wardgate_policy_last_fetch_success_timestamp_seconds",
                     "Unix time of the last successful fetch of the policy repository",
                     MetricType::Gauge);
    add_gauge(lf, {}, last_fetch_ok_);
    out.push_back(std::move(lf));
    auto rem =
        family("wardgate_policy_remote_info",
               "The followed branch's newest fetched commit (applied or not)", MetricType::Gauge);
    add_gauge(rem, {{"commit", remote_commit_}}, 1);
    out.push_back(std::move(rem));
    auto rt = family("wardgate_policy_revision_refused_total",
                     "Fetched revisions refused and never applied, by reason (not-fast-forward = "
                     "force-push or rewritten history; unsigned, bad-signature, unknown-signer, "
                     "expired-key, revoked-key, unverified: --require-signed)",
                     MetricType::Counter);
    for (size_t i = 0; i < kRefusalReasons.size(); ++i)
        add_counter(rt, {{"reason", kRefusalReasons[i]}}, static_cast<double>(refused_total_[i]));
    out.push_back(std::move(rt));
    auto rn = family("wardgate_policy_revision_refused",
                     "1 while the branch's newest revision is refused (commit and reason "
                     "labelled); the running policy stays",
                     MetricType::Gauge);
    add_gauge(rn, {{"commit", refused_commit_}, {"reason", refused_reason_}},
              refused_commit_.empty() ? 0 : 1);
    out.push_back(std::move(rn));
    auto rv = family("wardgate_policy_revision_info",
                     "The applied policy revision and who signed it (signer \"\" when "
                     "signatures are not required)",
                     MetricType::Gauge);
    add_gauge(rv, {{"commit", rev_commit_}, {"signer", rev_signer_}, {"key", rev_key_}}, 1);
    out.push_back(std::move(rv));
    auto rts = family("wardgate_policy_revision_timestamp_seconds",
                      "Committer time of the applied revision (fleet drift: a gateway behind "
                      "the newest revision of the others)",
                      MetricType::Gauge);
    add_gauge(rts, {}, rev_time_);
    out.push_back(std::move(rts));
    return out;
}

}  // namespace wg::cp
