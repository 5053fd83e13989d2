// The control plane's own policy metrics: reload outcomes, the running
// policy's generation/commit/hash and when it last changed. Rendered from
// plain fields at scrape time, like the dataplane collector.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

namespace wg::cp {

enum class ReloadResult : uint8_t { Ok = 0, Unchanged, Rejected, PushFailed };
inline constexpr std::array<const char*, 4> kReloadResultNames = {"ok", "unchanged", "rejected",
                                                                  "push-failed"};
inline const char* result_name(ReloadResult r) {
    return kReloadResultNames[static_cast<int>(r)];
}

// Why a fetched revision was refused (--policy-git): never applied, the
// running policy stays. Exported from the start, at 0.
inline constexpr std::array<const char*, 8> kRefusalReasons = {
    "not-fast-forward", "unsigned",    "bad-signature", "unknown-signer",
    "expired-key",      "revoked-key", "unverified",    "export-failed"};

class ReloadMetrics : public prometheus::Collectable {
  public:
    // --gateway NAME: wardgate_gateway_info{name}, for the fleet dashboards.
    void set_gateway(const std::string& name);
    // --policy-git: the families below are exported once this is called.
    void enable_git();
    void record_fetch(bool ok, const std::string& commit, double unix_time);
    // A refusal (reason: one of kRefusalReasons) of `commit`; `refused_now`
    // stays 1 until a later revision is accepted.
    void record_refusal(const std::string& reason, const std::string& commit);
    void clear_refused();
    // The revision the dataplane runs (after an accepted reload): who signed
    // it ("" when signatures are not required) and its committer time.
    void set_revision(const std::string& commit, const std::string& signer, const std::string& key,
                      double commit_time);
    void record(ReloadResult r, double unix_time, size_t errors);
    void set_running(uint64_t generation, const std::string& commit, const std::string& hash);
    void set_persist_failed(bool failed);
    void set_state_file_failed(bool failed);
    std::vector<prometheus::MetricFamily> Collect() const override;

  private:
    mutable std::mutex mu_;
    std::array<uint64_t, 4> total_{};
    double last_attempt_ = 0, last_success_ = 0;
    size_t last_errors_ = 0;
    bool last_ok_ = true;
    bool persist_failed_ = false;
    bool state_file_failed_ = false;
    uint64_t generation_ = 0;
    std::string commit_, hash_;
    std::string gateway_;
    bool git_ = false;
    std::array<uint64_t, 2> fetch_total_{};  // ok, failed
    double last_fetch_ok_ = 0;
    std::string remote_commit_;
    std::array<uint64_t, kRefusalReasons.size()> refused_total_{};
    std::string refused_commit_, refused_reason_;
    std::string rev_commit_, rev_signer_, rev_key_;
    double rev_time_ = 0;
};

}  // namespace wg::cp
