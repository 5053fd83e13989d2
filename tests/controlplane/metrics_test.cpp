#include <prometheus/text_serializer.h>
#include <catch2/catch.hpp>
#include <cmath>
#include <set>
#include <sstream>

#include "audit_log.hpp"
#include "dp_metrics.hpp"
#include "fake_snapshot.hpp"
#include "reload_metrics.hpp"

using namespace wg;
using Clock = std::chrono::steady_clock;

static std::string render(const prometheus::Collectable& c) {
    return prometheus::TextSerializer().Serialize(c.Collect());
}

// Value of the sample line `name{labels}` (labels exactly as rendered), or NaN.
static double sample(const std::string& text, const std::string& series) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    }
    return std::nan("");
}

TEST_CASE("metrics: per-class verdict counters, drops and rules", "[metrics]") {
    cp::DataplaneCollector c;
    c.update(test::fake_status(), test::fake_snapshot());
    auto t = render(c);
    CHECK(sample(t, "wardgate_dataplane_up") == 1);
    CHECK(sample(t, R"(wardgate_class_packets_total{class="infusion_pump",verdict="allowed"})") ==
          800);
    CHECK(sample(t, R"(wardgate_class_packets_total{class="infusion_pump",verdict="denied"})") ==
          20);
    CHECK(
        sample(t, R"(wardgate_class_packets_total{class="infusion_pump",verdict="would_deny"})") ==
        5);
    CHECK(sample(t, R"(wardgate_class_bytes_total{class="patient_monitor",verdict="bypassed"})") ==
          4480);
    CHECK(sample(t, R"(wardgate_drops_total{reason="default_deny"})") == 20);
    CHECK(sample(t, R"(wardgate_rule_packets_total{rule="infusion_pump/to-pump-server"})") == 800);
    CHECK(sample(t, "wardgate_dataplane_policy_generation") == 3);
    CHECK(sample(t, "wardgate_dataplane_fail_open") == 0);
    CHECK(sample(t, R"(wardgate_dataplane_events_total{event="scanners_flagged"})") == 1);
    CHECK(sample(t, R"(wardgate_dataplane_level{name="audit_ring_used"})") == 3);
}

TEST_CASE("metrics: L7 inspection outcomes per class and protocol", "[metrics]") {
    cp::DataplaneCollector c;
    c.update(test::fake_status(), test::fake_snapshot());
    auto t = render(c);
    CHECK(
        sample(t,
               R"(wardgate_l7_flows_total{class="us_cart",protocol="dicom",outcome="allowed"})") ==
        9);
    CHECK(
        sample(t,
               R"(wardgate_l7_flows_total{class="us_cart",protocol="dicom",outcome="violated"})") ==
        1);
    CHECK(
        sample(
            t,
            R"(wardgate_l7_flows_total{class="us_cart",protocol="dicom",outcome="uninspected"})") ==
        0);
}

TEST_CASE("metrics: flow table, mempool, workers", "[metrics]") {
    cp::DataplaneCollector c;
    auto t0 = Clock::now();
    c.update(test::fake_status(), test::fake_snapshot(1), t0);
    c.update(test::fake_status(), test::fake_snapshot(3), t0 + std::chrono::seconds(2));
    auto t = render(c);
    CHECK(sample(t, "wardgate_flow_table_entries") == 300);
    CHECK(sample(t, "wardgate_flow_table_capacity") == 1000);
    CHECK(sample(t, "wardgate_flow_table_occupancy_ratio") == Approx(0.3));
    CHECK(sample(t, "wardgate_mempool_use_ratio") == Approx(512.0 / 4096));
    CHECK(sample(t, "wardgate_new_flows_total") == 150);
    // 100 new flows in 2 s.
    CHECK(sample(t, "wardgate_new_flows_per_second") == Approx(50));
    // Busy ratio of the last interval: (750-250)/(3000-1000).
    CHECK(sample(t, R"(wardgate_worker_busy_ratio{lcore="1"})") == Approx(0.25));
    CHECK(sample(t, R"(wardgate_worker_heartbeat_total{lcore="2"})") == 2700);
    CHECK(sample(t, R"(wardgate_worker_heartbeat_age_seconds{lcore="2"})") == 0);
}

TEST_CASE("metrics: per-worker flow figures", "[metrics]") {
    cp::DataplaneCollector c;
    c.update(test::fake_status(), test::fake_snapshot(2));
    auto t = render(c);
    CHECK(sample(t, R"(wardgate_worker_flows_created_total{lcore="1"})") == 60);
    CHECK(sample(t, R"(wardgate_worker_flows_created_total{lcore="2"})") == 40);
    CHECK(sample(t, R"(wardgate_worker_flow_entries{lcore="2"})") == 120);
    CHECK(sample(t, R"(wardgate_worker_packets_total{lcore="1"})") == 2200);
    // An older dataplane sends no flow figures: no series rather than zeros.
    auto old = test::fake_snapshot(2);
    for (auto& w : old.workers) w.has_flows = false;
    c.update(test::fake_status(), old);
    t = render(c);
    CHECK(t.find("wardgate_worker_flows_created_total") == std::string::npos);
    CHECK(t.find("wardgate_worker_packets_total") == std::string::npos);
}

TEST_CASE("metrics: a stalled worker's heartbeat age grows", "[metrics]") {
    cp::DataplaneCollector c;
    auto t0 = Clock::now();
    c.update(test::fake_status(), test::fake_snapshot(1), t0);
    c.update(test::fake_status(), test::fake_snapshot(1), t0 + std::chrono::seconds(7));
    CHECK(sample(render(c), R"(wardgate_worker_heartbeat_age_seconds{lcore="1"})") == Approx(7));
}

TEST_CASE("metrics: latency histogram buckets in seconds, exact at the SLO bound", "[metrics]") {
    cp::DataplaneCollector c;
    c.update(test::fake_status(), test::fake_snapshot());
    auto t = render(c);
    const std::string s =
        R"(wardgate_packet_latency_seconds_bucket{path="bypass",class="patient_monitor",le=")";
    CHECK(sample(t, s + "2.048e-06\"}") == 0);
    CHECK(sample(t, s + "3.072e-06\"}") == 60);  // 3 µs samples are below 3.072 µs
    CHECK(sample(t, s + "2.4576e-05\"}") == 69);
    CHECK(sample(t, s + "3.2768e-05\"}") == 69);  // SLO bound: the 40 µs packet is above
    CHECK(sample(t, s + "4.9152e-05\"}") == 70);
    CHECK(sample(t, s + "+Inf\"}") == 70);
    CHECK(
        sample(t,
               R"(wardgate_packet_latency_seconds_count{path="bypass",class="patient_monitor"})") ==
        70);
    CHECK(sample(t,
                 R"(wardgate_packet_latency_seconds_sum{path="bypass",class="patient_monitor"})") ==
          Approx(400000e-9));
    // Quantile gauges from the fine histogram (about 1.6 % resolution).
    double p50 =
        sample(t, R"(wardgate_packet_latency_p50_seconds{path="bypass",class="patient_monitor"})");
    double p99 =
        sample(t, R"(wardgate_packet_latency_p99_seconds{path="bypass",class="patient_monitor"})");
    CHECK(p50 == Approx(3e-6).epsilon(0.04));
    double p95b =
        sample(t, R"(wardgate_packet_latency_p95_seconds{path="bypass",class="patient_monitor"})");
    CHECK(p95b == Approx(20e-6).epsilon(0.04));
    CHECK(p99 == Approx(40e-6).epsilon(0.04));  // rank 70 of 70: the slow packet
    double p95 =
        sample(t, R"(wardgate_packet_latency_p95_seconds{path="new_flow",class="infusion_pump"})");
    CHECK(p95 == Approx(8e-6).epsilon(0.04));
}

TEST_CASE("metrics: no per-address labels anywhere", "[metrics]") {
    cp::DataplaneCollector c;
    c.update(test::fake_status(), test::fake_snapshot());
    const std::set<std::string> allowed = {
        "port", "device", "class", "verdict", "rule", "reason", "name", "event", "lcore", "path",
        "le", "version", "mode", "protocol", "outcome",  // L7: bounded enums
        // Staged policy: class names of both policies, a fixed enum, one hash/commit.
        "src_class", "dst_class", "staged_src_class", "staged_dst_class", "difference", "hash",
        "commit"};
    for (const auto& f : c.Collect())
        for (const auto& m : f.metric)
            for (const auto& l : m.label) {
                INFO(f.name << " label " << l.name);
                CHECK(allowed.count(l.name) == 1);
            }
}

TEST_CASE("metrics: an unreachable dataplane shows up=0 and no stale values", "[metrics]") {
    cp::DataplaneCollector c;
    c.update(test::fake_status(), test::fake_snapshot());
    c.set_down();
    auto t = render(c);
    CHECK(sample(t, "wardgate_dataplane_up") == 0);
    CHECK(sample(t, "wardgate_dataplane_connection_losses_total") == 1);
    CHECK(t.find("wardgate_class_packets_total") == std::string::npos);
    // Back: everything returns.
    c.update(test::fake_status(5, "fail-open"), test::fake_snapshot());
    t = render(c);
    CHECK(sample(t, "wardgate_dataplane_up") == 1);
    CHECK(sample(t, "wardgate_dataplane_fail_open") == 1);
    CHECK(sample(t, "wardgate_dataplane_policy_generation") == 5);
}

TEST_CASE("metrics: reload results, running policy info", "[metrics]") {
    cp::ReloadMetrics r;
    auto t = render(r);
    // All results exist from the start, at zero.
    for (const char* res : {"ok", "unchanged", "rejected", "push-failed"})
        CHECK(sample(t, std::string("wardgate_policy_reload_total{result=\"") + res + "\"}") == 0);
    r.record(cp::ReloadResult::Ok, 1000, 0);
    r.set_running(4, "abc123", "ffee");
    r.record(cp::ReloadResult::Rejected, 2000, 3);
    t = render(r);
    CHECK(sample(t, R"(wardgate_policy_reload_total{result="ok"})") == 1);
    CHECK(sample(t, R"(wardgate_policy_reload_total{result="rejected"})") == 1);
    CHECK(sample(t, "wardgate_policy_last_reload_success") == 0);
    CHECK(sample(t, "wardgate_policy_last_reload_errors") == 3);
    CHECK(sample(t, "wardgate_policy_last_reload_success_timestamp_seconds") == 1000);
    CHECK(sample(t, "wardgate_policy_last_reload_attempt_timestamp_seconds") == 2000);
    CHECK(sample(t, "wardgate_policy_generation") == 4);
    CHECK(sample(t, R"(wardgate_policy_info{commit="abc123",hash="ffee"})") == 1);
}
