// Prints the full /metrics text the control plane would serve for a fake
// dataplane snapshot, so `promtool check metrics` can lint every family name,
// type, unit suffix and label (tests/controlplane/meson.build).
#include <prometheus/text_serializer.h>
#include <iostream>

#include "audit_log.hpp"
#include "dp_metrics.hpp"
#include "fake_snapshot.hpp"
#include "reload_metrics.hpp"

int main() {
    using namespace wg;
    cp::DataplaneCollector dp;
    auto t0 = std::chrono::steady_clock::now();
    dp.update(test::fake_status(), test::fake_snapshot(1), t0);
    dp.update(test::fake_status(), test::fake_snapshot(2), t0 + std::chrono::seconds(1));
    cp::ReloadMetrics rm;
    rm.record(cp::ReloadResult::Ok, 1.7e9, 0);
    rm.set_running(3, "deadbeef", "ab12");
    // The fleet families (--gateway, --policy-git) are linted too.
    rm.set_gateway("icu");
    rm.enable_git();
    rm.record_fetch(true, "deadbeef", 1.7e9);
    rm.record_refusal("unsigned", "cafe");
    rm.set_revision("deadbeef", "policy-lead@example.invalid", "SHA256:x", 1.7e9);
    cp::AuditLog audit({}, nullptr);
    mgmt::AuditBatch batch;
    batch.events.resize(1);
    batch.events[0].verdict = 1;
    audit.ingest(batch);
    std::vector<prometheus::MetricFamily> all = dp.Collect();
    for (auto& f : rm.Collect()) all.push_back(std::move(f));
    for (auto& f : audit.Collect()) all.push_back(std::move(f));
    std::cout << prometheus::TextSerializer().Serialize(all);
    return 0;
}
