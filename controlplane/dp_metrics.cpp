#include "dp_metrics.hpp"

#include <array>
#include <chrono>
#include <limits>

#include "latency_buckets.hpp"
#include "metric_util.hpp"
#include "staged_metrics.hpp"
#include "stats/latency_histogram.hpp"

namespace wg::cp {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

namespace {
double unix_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}
const stats::NamedCount* find(const std::vector<stats::NamedCount>& v, const char* name) {
    for (const auto& n : v)
        if (n.name == name) return &n;
    return nullptr;
}
// Histograms over all classes come with an empty class; name it so that
// dashboards can filter it out of per-class sums.
std::string class_label(const std::string& c) {
    return c.empty() ? "all" : c;
}
}  // namespace

void DataplaneCollector::update(const mgmt::Status& status, const stats::Snapshot& snap,
                                Clock::time_point now) {
    auto fams = render(status, snap, now);
    std::lock_guard lk(mu_);
    up_ = true;
    last_seen_unix_ = unix_now();
    families_ = std::move(fams);
}

void DataplaneCollector::set_down() {
    std::lock_guard lk(mu_);
    if (up_) ++downs_;
    up_ = false;
}

std::vector<MetricFamily> DataplaneCollector::Collect() const {
    std::lock_guard lk(mu_);
    std::vector<MetricFamily> out;
    auto up = family("wardgate_dataplane_up", "1 when the control plane can reach the dataplane",
                     MetricType::Gauge);
    add_gauge(up, {}, up_ ? 1 : 0);
    out.push_back(std::move(up));
    auto seen = family("wardgate_dataplane_last_seen_timestamp_seconds",
                       "Unix time of the last successful stats poll", MetricType::Gauge);
    add_gauge(seen, {}, last_seen_unix_);
    out.push_back(std::move(seen));
    auto lost = family("wardgate_dataplane_connection_losses_total",
                       "Times the control plane lost the dataplane", MetricType::Counter);
    add_counter(lost, {}, static_cast<double>(downs_));
    out.push_back(std::move(lost));
    // While the dataplane is unreachable its last values would be stale:
    // better absent than wrong (the dashboards show "no data" plus up=0).
    if (up_) out.insert(out.end(), families_.begin(), families_.end());
    return out;
}

std::vector<MetricFamily> DataplaneCollector::render(const mgmt::Status& status,
                                                     const stats::Snapshot& snap,
                                                     Clock::time_point now) {
    std::vector<MetricFamily> out;
    if (prev_ && prev_->pid != status.pid) {
        // A new dataplane process: its counters restarted from zero.
        prev_.reset();
        heartbeat_seen_.clear();
        window_.clear();
    }

    // --- process and policy -------------------------------------------------
    auto info = family("wardgate_dataplane_info", "Dataplane build and mode", MetricType::Gauge);
    add_gauge(info, {{"version", status.version}, {"mode", status.mode}}, 1);
    out.push_back(std::move(info));
    auto upt = family("wardgate_dataplane_uptime_seconds", "Seconds since the dataplane started",
                      MetricType::Gauge);
    add_gauge(upt, {}, double(status.uptime_ns) / 1e9);
    out.push_back(std::move(upt));
    auto gen = family("wardgate_dataplane_policy_generation",
                      "Policy generation the dataplane enforces (0 = none)", MetricType::Gauge);
    add_gauge(gen, {}, static_cast<double>(status.policy_generation));
    out.push_back(std::move(gen));
    auto fo = family("wardgate_dataplane_fail_open",
                     "1 while the dataplane forwards without enforcing (fail-open mode)",
                     MetricType::Gauge);
    add_gauge(fo, {}, status.mode == "fail-open" ? 1 : 0);
    out.push_back(std::move(fo));
    auto np = family("wardgate_dataplane_no_policy",
                     "1 while the dataplane has no policy installed", MetricType::Gauge);
    add_gauge(np, {}, status.policy_generation == 0 ? 1 : 0);
    out.push_back(std::move(np));

    // --- ports ---------------------------------------------------------------
    struct PortMetric {
        const char* name;
        const char* help;
        uint64_t stats::PortCounters::*field;
    };
    static const PortMetric port_metrics[] = {
        {"wardgate_port_rx_packets_total", "Frames received on the port",
         &stats::PortCounters::rx_packets},
        {"wardgate_port_rx_bytes_total", "Bytes received on the port",
         &stats::PortCounters::rx_bytes},
        {"wardgate_port_tx_packets_total", "Frames transmitted on the port",
         &stats::PortCounters::tx_packets},
        {"wardgate_port_tx_bytes_total", "Bytes transmitted on the port",
         &stats::PortCounters::tx_bytes},
        {"wardgate_port_tx_dropped_total", "Frames dropped because the TX ring stayed full",
         &stats::PortCounters::tx_dropped},
        {"wardgate_port_rx_missed_total",
         "Frames the NIC/PMD dropped before the dataplane saw them",
         &stats::PortCounters::rx_missed},
        {"wardgate_port_rx_errors_total", "Receive errors reported by the PMD",
         &stats::PortCounters::rx_errors},
    };
    for (const auto& pm : port_metrics) {
        auto f = family(pm.name, pm.help, MetricType::Counter);
        for (const auto& p : snap.ports)
            add_counter(f, {{"port", p.role}, {"device", p.name}},
                        static_cast<double>(p.*pm.field));
        out.push_back(std::move(f));
    }

    // --- verdicts per class --------------------------------------------------
    auto cp = family("wardgate_class_packets_total",
                     "Packets by initiator device class and verdict (allowed, denied, would_deny, "
                     "bypassed)",
                     MetricType::Counter);
    auto cb = family("wardgate_class_bytes_total", "Bytes by device class and verdict",
                     MetricType::Counter);
    for (const auto& c : snap.classes)
        for (unsigned v = 0; v < stats::kVerdicts; ++v) {
            Labels l{{"class", c.cls},
                     {"verdict", stats::verdict_name(static_cast<stats::Verdict>(v))}};
            add_counter(cp, l, static_cast<double>(c.packets[v]));
            add_counter(cb, l, static_cast<double>(c.bytes[v]));
        }
    out.push_back(std::move(cp));
    out.push_back(std::move(cb));

    auto rp = family("wardgate_rule_packets_total", "Packets decided by each policy rule",
                     MetricType::Counter);
    auto rb = family("wardgate_rule_bytes_total", "Bytes decided by each policy rule",
                     MetricType::Counter);
    for (const auto& r : snap.rules) {
        add_counter(rp, {{"rule", r.rule}}, static_cast<double>(r.packets));
        add_counter(rb, {{"rule", r.rule}}, static_cast<double>(r.bytes));
    }
    out.push_back(std::move(rp));
    out.push_back(std::move(rb));

    auto dr = family("wardgate_drops_total", "Packets dropped by the dataplane, by reason",
                     MetricType::Counter);
    for (const auto& d : snap.drops)
        add_counter(dr, {{"reason", d.name}}, static_cast<double>(d.value));
    out.push_back(std::move(dr));

    // --- protocol inspection (L7 constraints) ---------------------------------
    if (!snap.l7.empty()) {
        auto l7f = family("wardgate_l7_flows_total",
                          "Flows of constrained rules by first-payload outcome (inspected = "
                          "allowed + violated; uninspected = no verdict, on_failure applied), by "
                          "class and protocol",
                          MetricType::Counter);
        for (const auto& c : snap.l7)
            for (unsigned o = 0; o < stats::kL7Outcomes; ++o)
                add_counter(l7f,
                            {{"class", c.cls},
                             {"protocol", c.protocol},
                             {"outcome", stats::kL7OutcomeNames[o]}},
                            static_cast<double>(c.counts[o]));
        out.push_back(std::move(l7f));
    }

    render_staged(status, snap, out);  // staged policy differences (issue 13)

    // --- flow table, mempool -------------------------------------------------
    const auto* fte = find(snap.gauges, "flow_table_entries");
    const auto* ftc = find(snap.gauges, "flow_table_capacity");
    const auto* mpu = find(snap.gauges, "mempool_in_use");
    const auto* mps = find(snap.gauges, "mempool_size");
    auto gauge1 = [&](const char* name, const char* help, double v) {
        auto f = family(name, help, MetricType::Gauge);
        add_gauge(f, {}, v);
        out.push_back(std::move(f));
    };
    if (fte) gauge1("wardgate_flow_table_entries", "Flows in the flow table", double(fte->value));
    if (ftc) gauge1("wardgate_flow_table_capacity", "Flow table capacity", double(ftc->value));
    if (fte && ftc)
        gauge1("wardgate_flow_table_occupancy_ratio", "Flow table entries / capacity",
               ftc->value ? double(fte->value) / double(ftc->value) : 0.0);
    if (mpu) gauge1("wardgate_mempool_in_use", "Packet buffers (mbufs) in use", double(mpu->value));
    if (mps)
        gauge1("wardgate_mempool_size", "Packet buffers (mbufs) in the pools", double(mps->value));
    if (mpu && mps)
        gauge1("wardgate_mempool_use_ratio", "Packet buffers in use / pool size",
               mps->value ? double(mpu->value) / double(mps->value) : 0.0);
    auto other_g =
        family("wardgate_dataplane_level", "Other dataplane gauges, by name", MetricType::Gauge);
    for (const auto& g : snap.gauges)
        if (&g != fte && &g != ftc && &g != mpu && &g != mps)
            add_gauge(other_g, {{"name", g.name}}, static_cast<double>(g.value));
    if (!other_g.metric.empty()) out.push_back(std::move(other_g));

    const auto* nf = find(snap.counters, "new_flows");
    const auto* ftf = find(snap.counters, "flow_table_full");
    if (nf) {
        auto f = family("wardgate_new_flows_total", "Flows created in the flow table",
                        MetricType::Counter);
        add_counter(f, {}, double(nf->value));
        out.push_back(std::move(f));
        if (prev_ && now > prev_->t && nf->value >= prev_->new_flows)
            new_flows_rate_ = double(nf->value - prev_->new_flows) /
                              std::chrono::duration<double>(now - prev_->t).count();
        gauge1("wardgate_new_flows_per_second", "New flows per second over the last poll interval",
               new_flows_rate_);
    }
    if (ftf) {
        auto f = family("wardgate_flow_table_full_total",
                        "New flows that found the flow table full", MetricType::Counter);
        add_counter(f, {}, double(ftf->value));
        out.push_back(std::move(f));
    }
    auto ev = family("wardgate_dataplane_events_total", "Other dataplane event counters, by name",
                     MetricType::Counter);
    for (const auto& c : snap.counters)
        if (&c != nf && &c != ftf)
            add_counter(ev, {{"event", c.name}}, static_cast<double>(c.value));
    if (!ev.metric.empty()) out.push_back(std::move(ev));

    // --- workers ---------------------------------------------------------------
    auto hb = family("wardgate_worker_heartbeat_total", "Worker main-loop iterations",
                     MetricType::Counter);
    auto hba = family("wardgate_worker_heartbeat_age_seconds",
                      "Seconds since the worker's heartbeat last advanced (a stalled worker grows)",
                      MetricType::Gauge);
    auto busy = family("wardgate_worker_busy_ratio",
                       "Share of worker cycles spent on bursts that carried packets, over the last "
                       "poll interval",
                       MetricType::Gauge);
    auto bc = family("wardgate_worker_busy_cycles_total", "Worker cycles spent on non-empty bursts",
                     MetricType::Counter);
    auto tc =
        family("wardgate_worker_cycles_total", "Worker cycles since start", MetricType::Counter);
    std::map<uint32_t, stats::WorkerCounters> wmap;
    for (const auto& w : snap.workers) {
        Labels l{{"lcore", std::to_string(w.lcore)}};
        wmap[w.lcore] = w;
        add_counter(hb, l, static_cast<double>(w.heartbeat));
        add_counter(bc, l, static_cast<double>(w.busy_cycles));
        add_counter(tc, l, static_cast<double>(w.total_cycles));
        double ratio = w.total_cycles ? double(w.busy_cycles) / double(w.total_cycles) : 0.0;
        if (prev_) {
            auto it = prev_->workers.find(w.lcore);
            if (it != prev_->workers.end() && w.total_cycles > it->second.total_cycles &&
                w.busy_cycles >= it->second.busy_cycles)
                ratio = double(w.busy_cycles - it->second.busy_cycles) /
                        double(w.total_cycles - it->second.total_cycles);
        }
        add_gauge(busy, l, ratio);
        auto& seen = heartbeat_seen_[w.lcore];
        if (seen.first != w.heartbeat || seen.second == Clock::time_point{})
            seen = {w.heartbeat, now};
        add_gauge(hba, l, std::chrono::duration<double>(now - seen.second).count());
    }
    out.push_back(std::move(hb));
    out.push_back(std::move(hba));
    out.push_back(std::move(busy));
    out.push_back(std::move(bc));
    out.push_back(std::move(tc));
    // Per-worker flow figures: how RSS spreads flows over the workers (each
    // flow lives on one worker, both directions). Labelled by lcore like the
    // other worker series (`wardgate status` maps lcore to worker index).
    auto wfc =
        family("wardgate_worker_flows_created_total",
               "Flow entries created by this worker (its own flow table)", MetricType::Counter);
    auto wfe = family("wardgate_worker_flow_entries", "Live entries in this worker's flow table",
                      MetricType::Gauge);
    auto wpk = family("wardgate_worker_packets_total",
                      "Frames this worker received from both ports", MetricType::Counter);
    for (const auto& w : snap.workers) {
        if (!w.has_flows) continue;  // an older dataplane does not send them
        Labels l{{"lcore", std::to_string(w.lcore)}};
        add_counter(wfc, l, static_cast<double>(w.flows_created));
        add_gauge(wfe, l, static_cast<double>(w.flow_entries));
        add_counter(wpk, l, static_cast<double>(w.packets));
    }
    if (!wfc.metric.empty()) {
        out.push_back(std::move(wfc));
        out.push_back(std::move(wfe));
        out.push_back(std::move(wpk));
    }

    // --- latency -------------------------------------------------------------
    auto lat = family("wardgate_packet_latency_seconds",
                      "Per-packet latency through the gateway (receive to transmit), by path and "
                      "class",
                      MetricType::Histogram);
    // One family per quantile: a "quantile" label is reserved for summaries
    // (promtool lints it), and these are gauges, not a summary.
    struct QFamily {
        double q;
        MetricFamily f;
    };
    std::array<QFamily, 3> qf = {
        QFamily{0.5, family("wardgate_packet_latency_p50_seconds",
                            "Median latency over the last minute, from the dataplane's fine "
                            "histogram (about 1.6% resolution)",
                            MetricType::Gauge)},
        QFamily{0.95, family("wardgate_packet_latency_p95_seconds",
                             "95th percentile latency over the last minute (fine histogram)",
                             MetricType::Gauge)},
        QFamily{0.99, family("wardgate_packet_latency_p99_seconds",
                             "99th percentile latency over the last minute (fine histogram)",
                             MetricType::Gauge)},
    };
    std::vector<std::string> keys;
    for (const auto& h : snap.histograms) {
        Labels l{{"path", h.path}, {"class", class_label(h.cls)}};
        ClientMetric m;
        m.label = l;
        // Expanded one histogram at a time: the snapshot itself stays sparse.
        const auto counts = stats::dense_counts(h);
        auto cum = cumulative_buckets(counts);
        m.histogram.sample_count = cum.back();
        m.histogram.sample_sum = double(h.sum_ns) / 1e9;
        for (size_t i = 0; i < kLatencyBoundsNs.size(); ++i)
            m.histogram.bucket.push_back({cum[i], double(kLatencyBoundsNs[i]) / 1e9});
        m.histogram.bucket.push_back({cum.back(), std::numeric_limits<double>::infinity()});
        lat.metric.push_back(std::move(m));

        std::string key = h.path + "\x1f" + h.cls;
        keys.push_back(key);
        auto recent = window_.update(key, counts, now);
        if (stats::hist_total(recent) == 0) continue;  // nothing recent: no made-up value
        for (auto& x : qf) add_gauge(x.f, l, stats::hist_quantile(recent, x.q) / 1e9);
    }
    window_.retain(keys);
    out.push_back(std::move(lat));
    for (auto& x : qf)
        if (!x.f.metric.empty()) out.push_back(std::move(x.f));

    prev_ = Prev{now, status.pid, nf ? nf->value : 0, std::move(wmap)};
    return out;
}

}  // namespace wg::cp
