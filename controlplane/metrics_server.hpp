// The /metrics HTTP listener: one event-driven thread (epoll), so a client
// that connects and never finishes its request costs a descriptor and a few
// KB, never a worker: no number of slow or idle clients can delay a scrape.
// Before, civetweb bound one of 16 worker threads to each connection until
// its request arrived or timed out, so 64 idle clients delayed every scrape
// by 8 s. See docs/operations.md, "Metrics".
#pragma once

#include <prometheus/collectable.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace wg::cp {

struct MetricsServerConfig {
    // Connections open at once. A new connection past it closes the oldest
    // one whose request has not arrived, so a flood of idle connections
    // cannot lock Prometheus out either.
    std::size_t max_connections = 256;
    // A connection whose request has not fully arrived after this long is
    // closed.
    unsigned request_timeout_ms = 2000;
    // A response not fully read by the client after this long is dropped.
    unsigned response_timeout_ms = 10000;
    // Request line and headers; a longer request is answered 431 and closed.
    std::size_t max_request_bytes = 16384;
};

class MetricsServer {
  public:
    // Listens on ADDR:PORT ("127.0.0.1:9470", "[::1]:9470"; port 0 = any);
    // throws std::runtime_error when the address cannot be parsed or bound.
    explicit MetricsServer(const std::string& addr, const MetricsServerConfig& cfg = {});
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    // Same names as prometheus::Exposer, which this replaces.
    void RegisterCollectable(const std::weak_ptr<prometheus::Collectable>& c);
    std::vector<int> GetListeningPorts() const { return {port_}; }

  private:
    struct Conn;
    void run();
    std::string respond(const std::string& request);

    MetricsServerConfig cfg_;
    int listen_fd_ = -1, stop_fd_ = -1, epoll_fd_ = -1;
    int port_ = 0;
    std::mutex mu_;  // collectables_
    std::vector<std::weak_ptr<prometheus::Collectable>> collectables_;
    std::thread thread_;
};

std::unique_ptr<MetricsServer> make_metrics_server(const std::string& addr,
                                                   const MetricsServerConfig& cfg = {});

}  // namespace wg::cp
