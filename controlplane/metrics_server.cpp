#include "metrics_server.hpp"

#include <vector>

namespace wg::cp {

std::unique_ptr<prometheus::Exposer> make_metrics_server(const std::string& addr,
                                                         const MetricsServerConfig& cfg) {
    // civetweb options (prometheus-cpp passes them through). A worker is
    // bound to a connection until its request is complete, so with one
    // thread (our old setting) a single client that never finishes its
    // headers blocked every scrape for 30 s per connection.
    std::vector<std::string> options = {
        "listening_ports",
        addr,
        "num_threads",
        std::to_string(cfg.threads),
        "request_timeout_ms",
        std::to_string(cfg.request_timeout_ms),
        // Prometheus opens a connection per scrape; keep-alive would only let
        // idle clients hold workers longer.
        "enable_keep_alive",
        "no",
    };
    return std::make_unique<prometheus::Exposer>(std::move(options));
}

}  // namespace wg::cp
