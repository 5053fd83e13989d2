// Small builders for prometheus::MetricFamily, shared by the collectors.
#pragma once

#include <string>
#include <vector>

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>

namespace wg::cp {

using Labels = std::vector<prometheus::ClientMetric::Label>;

inline prometheus::MetricFamily family(std::string name, std::string help,
                                       prometheus::MetricType t) {
    prometheus::MetricFamily f;
    f.name = std::move(name);
    f.help = std::move(help);
    f.type = t;
    return f;
}
inline void add_counter(prometheus::MetricFamily& f, Labels labels, double v) {
    prometheus::ClientMetric m;
    m.label = std::move(labels);
    m.counter.value = v;
    f.metric.push_back(std::move(m));
}
inline void add_gauge(prometheus::MetricFamily& f, Labels labels, double v) {
    prometheus::ClientMetric m;
    m.label = std::move(labels);
    m.gauge.value = v;
    f.metric.push_back(std::move(m));
}

}  // namespace wg::cp
