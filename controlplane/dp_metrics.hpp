// Mirrors the dataplane's counters into Prometheus. The dataplane keeps the
// authoritative monotonic counters; this Collectable renders the latest
// snapshot at scrape time (prometheus-cpp objects never touch a worker).
#pragma once

#include <mutex>
#include <optional>

#include <prometheus/client_metric.h>
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "mgmt/messages.hpp"
#include "stats/snapshot.hpp"

namespace wg::cp {

class DataplaneCollector : public prometheus::Collectable {
public:
    void update(const mgmt::Status& status, const stats::Snapshot& snap);
    void set_down();
    std::vector<prometheus::MetricFamily> Collect() const override;

private:
    mutable std::mutex mu_;  // scrape threads vs the io_context thread
    bool up_ = false;
    uint64_t last_seen_unix_ = 0;
    std::optional<mgmt::Status> status_;
    std::optional<stats::Snapshot> snap_;
};

}  // namespace wg::cp
