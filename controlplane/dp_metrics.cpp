#include "dp_metrics.hpp"

#include <chrono>

namespace wg::cp {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

namespace {
MetricFamily family(std::string name, std::string help, MetricType t) {
    MetricFamily f;
    f.name = std::move(name);
    f.help = std::move(help);
    f.type = t;
    return f;
}
void add_counter(MetricFamily& f, std::vector<ClientMetric::Label> labels, double v) {
    ClientMetric m;
    m.label = std::move(labels);
    m.counter.value = v;
    f.metric.push_back(std::move(m));
}
void add_gauge(MetricFamily& f, std::vector<ClientMetric::Label> labels, double v) {
    ClientMetric m;
    m.label = std::move(labels);
    m.gauge.value = v;
    f.metric.push_back(std::move(m));
}
}  // namespace

void DataplaneCollector::update(const mgmt::Status& status, const stats::Snapshot& snap) {
    std::lock_guard lk(mu_);
    up_ = true;
    last_seen_unix_ = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count());
    status_ = status;
    snap_ = snap;
}

void DataplaneCollector::set_down() {
    std::lock_guard lk(mu_);
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
    add_gauge(seen, {}, static_cast<double>(last_seen_unix_));
    out.push_back(std::move(seen));
    if (!snap_) return out;

    struct PortMetric {
        const char* name;
        const char* help;
        uint64_t stats::PortCounters::*field;
    };
    static const PortMetric port_metrics[] = {
        {"wardgate_port_rx_packets_total", "Frames received on the port", &stats::PortCounters::rx_packets},
        {"wardgate_port_rx_bytes_total", "Bytes received on the port", &stats::PortCounters::rx_bytes},
        {"wardgate_port_tx_packets_total", "Frames transmitted on the port", &stats::PortCounters::tx_packets},
        {"wardgate_port_tx_bytes_total", "Bytes transmitted on the port", &stats::PortCounters::tx_bytes},
        {"wardgate_port_tx_dropped_total", "Frames dropped because the TX ring stayed full",
         &stats::PortCounters::tx_dropped},
        {"wardgate_port_rx_missed_total", "Frames the NIC/PMD dropped before the dataplane saw them",
         &stats::PortCounters::rx_missed},
        {"wardgate_port_rx_errors_total", "Receive errors reported by the PMD", &stats::PortCounters::rx_errors},
    };
    for (const auto& pm : port_metrics) {
        auto f = family(pm.name, pm.help, MetricType::Counter);
        for (const auto& p : snap_->ports)
            add_counter(f, {{"port", p.role}, {"device", p.name}}, static_cast<double>(p.*pm.field));
        out.push_back(std::move(f));
    }

    auto hb = family("wardgate_worker_heartbeat_total", "Worker main-loop iterations", MetricType::Counter);
    auto busy = family("wardgate_worker_busy_ratio",
                       "Share of worker cycles spent on bursts that carried packets, since start",
                       MetricType::Gauge);
    for (const auto& w : snap_->workers) {
        std::vector<ClientMetric::Label> l{{"lcore", std::to_string(w.lcore)}};
        add_counter(hb, l, static_cast<double>(w.heartbeat));
        add_gauge(busy, l, w.total_cycles ? double(w.busy_cycles) / double(w.total_cycles) : 0.0);
    }
    out.push_back(std::move(hb));
    out.push_back(std::move(busy));

    if (status_) {
        auto info = family("wardgate_dataplane_info", "Dataplane build and process", MetricType::Gauge);
        add_gauge(info, {{"version", status_->version}, {"mode", status_->mode}}, 1);
        out.push_back(std::move(info));
        auto upt = family("wardgate_dataplane_uptime_seconds", "Seconds since the dataplane started",
                          MetricType::Gauge);
        add_gauge(upt, {}, double(status_->uptime_ns) / 1e9);
        out.push_back(std::move(upt));
    }
    return out;
}

}  // namespace wg::cp
