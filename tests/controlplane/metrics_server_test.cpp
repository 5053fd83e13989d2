// /metrics must answer Prometheus while other clients hold connections open
// with unfinished requests (a stuck exporter check, a port scanner, a
// slowloris on the management network).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "metrics_server.hpp"

namespace {

struct OneMetric : prometheus::Collectable {
    std::vector<prometheus::MetricFamily> Collect() const override {
        prometheus::MetricFamily f;
        f.name = "wardgate_test_up";
        f.help = "test";
        f.type = prometheus::MetricType::Gauge;
        prometheus::ClientMetric m;
        m.gauge.value = 1;
        f.metric.push_back(m);
        return {f};
    }
};

// A connected TCP socket to 127.0.0.1:port whose reads give up after
// `timeout_s` (the bound only keeps a broken server from hanging the test).
int connect_local(int port, int timeout_s) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    timeval tv{timeout_s, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    return fd;
}

void send_all(int fd, const std::string& s) {
    REQUIRE(::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size()));
}

// One scrape; the response text ("" if none arrived within the socket's timeout).
std::string scrape(int port, int timeout_s) {
    int fd = connect_local(port, timeout_s);
    send_all(fd, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    std::string resp;
    char buf[4096];
    for (;;) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        resp.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return resp;
}

}  // namespace

TEST_CASE("metrics: a scrape succeeds while clients idle with unfinished headers",
          "[metrics][http]") {
    auto server = wg::cp::make_metrics_server("127.0.0.1:0");
    auto metric = std::make_shared<OneMetric>();
    server->RegisterCollectable(metric);
    auto ports = server->GetListeningPorts();
    REQUIRE(ports.size() == 1);
    int port = ports[0];

    // Fewer idle clients than workers: the scrape is served at once.
    std::vector<int> idle;
    for (int i = 0; i < 8; ++i) {
        idle.push_back(connect_local(port, 2));
        send_all(idle.back(), "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n");  // no blank line
    }
    // 8 s: well under Prometheus' default 10 s scrape timeout; the old
    // single-threaded listener needed 30 s per idle client.
    auto resp = scrape(port, 8);
    CHECK(resp.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(resp.find("wardgate_test_up 1") != std::string::npos);
    for (int fd : idle) ::close(fd);
}

TEST_CASE("metrics: 64 idle clients do not delay a scrape", "[metrics][http]") {
    // With one worker thread per connection (civetweb, 16 threads) each 16
    // idle clients held every worker for a whole request timeout: 8 s at 64
    // with 2 s. With a 60 s timeout that was minutes; event-driven, no wait.
    wg::cp::MetricsServerConfig cfg;
    cfg.request_timeout_ms = 60000;
    auto server = wg::cp::make_metrics_server("127.0.0.1:0", cfg);
    auto metric = std::make_shared<OneMetric>();
    server->RegisterCollectable(metric);
    int port = server->GetListeningPorts().at(0);
    std::vector<int> idle;
    for (int i = 0; i < 64; ++i) {
        idle.push_back(connect_local(port, 2));
        send_all(idle.back(), "GET /metrics HTTP/1.1\r\n");
    }
    auto resp = scrape(port, 10);  // a hang-guard, not a timing assertion
    CHECK(resp.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(resp.find("wardgate_test_up 1") != std::string::npos);
    for (int fd : idle) ::close(fd);
}

TEST_CASE("metrics: past the connection cap the oldest idle client is closed, scrapes go on",
          "[metrics][http]") {
    wg::cp::MetricsServerConfig cfg;
    cfg.max_connections = 8;
    cfg.request_timeout_ms = 60000;
    auto server = wg::cp::make_metrics_server("127.0.0.1:0", cfg);
    auto metric = std::make_shared<OneMetric>();
    server->RegisterCollectable(metric);
    int port = server->GetListeningPorts().at(0);
    std::vector<int> idle;
    for (int i = 0; i < 20; ++i) {
        idle.push_back(connect_local(port, 10));
        send_all(idle.back(), "GET /metrics HTTP/1.1\r\n");
    }
    auto resp = scrape(port, 10);
    CHECK(resp.rfind("HTTP/1.1 200", 0) == 0);
    // The first idle client was closed to make room: EOF, or a reset if its
    // request was still unread (not a 10 s receive timeout).
    char c;
    errno = 0;
    ssize_t n = ::recv(idle[0], &c, 1, 0);
    CHECK((n == 0 || errno == ECONNRESET));
    for (int fd : idle) ::close(fd);
}

TEST_CASE("metrics: other paths, methods and oversized requests are refused", "[metrics][http]") {
    auto server = wg::cp::make_metrics_server("127.0.0.1:0");
    int port = server->GetListeningPorts().at(0);
    auto ask = [&](const std::string& req) {
        int fd = connect_local(port, 10);
        send_all(fd, req);
        std::string resp;
        char buf[4096];
        for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) resp.append(buf, size_t(n));
        ::close(fd);
        return resp;
    };
    CHECK(ask("GET / HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 404", 0) == 0);
    CHECK(ask("POST /metrics HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 405", 0) == 0);
    CHECK(ask("nonsense\r\n\r\n").rfind("HTTP/1.1 400", 0) == 0);
    CHECK(ask("GET /metrics HTTP/1.1\r\nX: " + std::string(20000, 'a')).rfind("HTTP/1.1 431", 0) ==
          0);
    CHECK(ask("GET /metrics?x=1 HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 200", 0) == 0);
}

TEST_CASE("metrics: an address that cannot be bound or parsed throws", "[metrics][http]") {
    CHECK_THROWS(wg::cp::make_metrics_server("127.0.0.1"));
    CHECK_THROWS(wg::cp::make_metrics_server("nonsense:1"));
    auto server = wg::cp::make_metrics_server("127.0.0.1:0");
    int port = server->GetListeningPorts().at(0);
    CHECK_THROWS(wg::cp::make_metrics_server("127.0.0.1:" + std::to_string(port)));
    CHECK_NOTHROW(wg::cp::make_metrics_server("[::1]:0"));
}
