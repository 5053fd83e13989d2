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

class ReloadMetrics : public prometheus::Collectable {
  public:
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
};

}  // namespace wg::cp
