// The /metrics HTTP listener (prometheus-cpp's Exposer over civetweb),
// configured so that slow or idle clients cannot starve Prometheus: several
// worker threads, and a request timeout that drops a connection whose
// headers do not arrive. See docs/operations.md, "Metrics".
#pragma once

#include <prometheus/exposer.h>

#include <cstddef>
#include <memory>
#include <string>

namespace wg::cp {

struct MetricsServerConfig {
    // Connections served at once (civetweb worker threads): up to this many
    // idle or slow clients cannot delay a scrape at all.
    std::size_t threads = 16;
    // A connection whose request has not fully arrived after this long is
    // closed, freeing its worker (civetweb's default is 30 s).
    unsigned request_timeout_ms = 2000;
};

// Listens on ADDR:PORT ("127.0.0.1:9470", "[::1]:9470"; port 0 = any).
// Throws like prometheus::Exposer when the address cannot be bound.
std::unique_ptr<prometheus::Exposer> make_metrics_server(const std::string& addr,
                                                         const MetricsServerConfig& cfg = {});

}  // namespace wg::cp
