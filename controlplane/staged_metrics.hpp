// Prometheus metrics of the staged policy (issue 13 part 3, docs/operations.md):
// the differences per class pair from the dataplane's stats, the staged
// generation/hash, and the control plane's own staged load attempts.
#pragma once

#include <mutex>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "mgmt/messages.hpp"
#include "staged_reloader.hpp"
#include "stats/snapshot.hpp"

namespace wg::cp {

// Appends the staged families to `out` (nothing when the dataplane never had a
// staged policy). Counters are summed by class names over generations, so a
// reload of either policy does not restart a series.
void render_staged(const mgmt::Status& status, const stats::Snapshot& snap,
                   std::vector<prometheus::MetricFamily>& out);

// The control plane's side: staged load attempts and failures.
class StagedLoadMetrics : public prometheus::Collectable {
  public:
    void update(const StagedState& s) {
        std::lock_guard lk(mu_);
        s_ = s;
    }
    std::vector<prometheus::MetricFamily> Collect() const override;

  private:
    mutable std::mutex mu_;
    StagedState s_;
};

}  // namespace wg::cp
