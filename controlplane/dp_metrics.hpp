// Mirrors the dataplane's counters into Prometheus. The dataplane keeps the
// authoritative monotonic counters; this Collectable renders them from the
// latest snapshot (prometheus-cpp objects never touch a worker). Rendering
// happens once per poll on the io_context thread; a scrape only copies the
// result under a lock.
//
// Label sets are bounded by the policy (class, rule), fixed enums (verdict,
// reason, path, port) and the lcore count. No per-host labels, ever.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <prometheus/client_metric.h>
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "latency_window.hpp"
#include "mgmt/messages.hpp"
#include "stats/snapshot.hpp"

namespace wg::cp {

class DataplaneCollector : public prometheus::Collectable {
  public:
    using Clock = std::chrono::steady_clock;
    // `now` is injectable for tests (rates and the latency window use it).
    void update(const mgmt::Status& status, const stats::Snapshot& snap,
                Clock::time_point now = Clock::now());
    void set_down();
    std::vector<prometheus::MetricFamily> Collect() const override;

  private:
    std::vector<prometheus::MetricFamily> render(const mgmt::Status& status,
                                                 const stats::Snapshot& snap,
                                                 Clock::time_point now);

    mutable std::mutex mu_;  // scrape threads vs the io_context thread
    bool up_ = false;
    double last_seen_unix_ = 0;
    uint64_t downs_ = 0;
    std::vector<prometheus::MetricFamily> families_;

    // Derived values need the previous poll (io_context thread only).
    struct Prev {
        Clock::time_point t;
        uint32_t pid = 0;
        uint64_t new_flows = 0;
        std::map<uint32_t, stats::WorkerCounters> workers;
    };
    std::optional<Prev> prev_;
    std::map<uint32_t, std::pair<uint64_t, Clock::time_point>> heartbeat_seen_;
    double new_flows_rate_ = 0;
    LatencyWindow window_;
};

}  // namespace wg::cp
