#include "metrics_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <prometheus/text_serializer.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <stdexcept>

namespace wg::cp {

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what + ": " + std::strerror(errno));
}

// "HOST:PORT" or "[V6]:PORT" to a socket address.
sockaddr_storage parse_addr(const std::string& addr, socklen_t& len) {
    auto colon = addr.rfind(':');
    if (colon == std::string::npos || colon + 1 == addr.size())
        throw std::runtime_error("metrics address '" + addr + "' is not ADDR:PORT");
    std::string host = addr.substr(0, colon), port_s = addr.substr(colon + 1);
    unsigned long port = 0;
    for (char c : port_s) {
        if (c < '0' || c > '9' || port > 65535)
            throw std::runtime_error("bad port in metrics address '" + addr + "'");
        port = port * 10 + unsigned(c - '0');
    }
    if (port > 65535) throw std::runtime_error("bad port in metrics address '" + addr + "'");
    sockaddr_storage ss{};
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(uint16_t(port));
        if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &a->sin6_addr) != 1)
            throw std::runtime_error("bad IPv6 address in metrics address '" + addr + "'");
        len = sizeof(sockaddr_in6);
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        a->sin_port = htons(uint16_t(port));
        if (inet_pton(AF_INET, host.empty() ? "0.0.0.0" : host.c_str(), &a->sin_addr) != 1)
            throw std::runtime_error("bad IPv4 address in metrics address '" + addr + "'");
        len = sizeof(sockaddr_in);
    }
    return ss;
}

std::string http(const char* status, const std::string& type, const std::string& body,
                 bool head = false) {
    return std::string("HTTP/1.1 ") + status + "\r\nContent-Type: " + type +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
           (head ? "" : body);
}

}  // namespace

struct MetricsServer::Conn {
    std::string in, out;
    size_t sent = 0;
    bool responding = false;
    Clock::time_point deadline;
    uint64_t seq = 0;  // accept order: eviction closes the oldest idle one
};

MetricsServer::MetricsServer(const std::string& addr, const MetricsServerConfig& cfg) : cfg_(cfg) {
    socklen_t len = 0;
    sockaddr_storage ss = parse_addr(addr, len);
    listen_fd_ = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) fail("socket");
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
        ::listen(listen_fd_, 128) != 0) {
        int e = errno;
        ::close(listen_fd_);
        errno = e;
        fail("cannot listen on " + addr);
    }
    sockaddr_storage bound{};
    socklen_t blen = sizeof bound;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &blen);
    port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                              : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (stop_fd_ < 0 || epoll_fd_ < 0) {
        ::close(listen_fd_);
        if (stop_fd_ >= 0) ::close(stop_fd_);
        fail("epoll");
    }
    for (int fd : {listen_fd_, stop_fd_}) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    }
    thread_ = std::thread([this] { run(); });
}

MetricsServer::~MetricsServer() {
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(stop_fd_, &one, sizeof one);
    if (thread_.joinable()) thread_.join();
    ::close(epoll_fd_);
    ::close(stop_fd_);
    ::close(listen_fd_);
}

void MetricsServer::RegisterCollectable(const std::weak_ptr<prometheus::Collectable>& c) {
    std::lock_guard<std::mutex> lock(mu_);
    collectables_.push_back(c);
}

std::string MetricsServer::respond(const std::string& request) {
    // Request line: METHOD SP TARGET SP VERSION.
    auto eol = request.find("\r\n");
    std::string line = request.substr(0, eol);
    auto sp1 = line.find(' ');
    auto sp2 = sp1 == std::string::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string::npos) return http("400 Bad Request", "text/plain", "bad request\n");
    std::string method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string path = target.substr(0, target.find('?'));
    if (method != "GET" && method != "HEAD")
        return http("405 Method Not Allowed", "text/plain", "GET /metrics\n");
    if (path != "/metrics") return http("404 Not Found", "text/plain", "GET /metrics\n");
    std::vector<prometheus::MetricFamily> families;
    {
        std::lock_guard<std::mutex> lock(mu_);
        for (auto& w : collectables_)
            if (auto c = w.lock()) {
                auto f = c->Collect();
                families.insert(families.end(), std::make_move_iterator(f.begin()),
                                std::make_move_iterator(f.end()));
            }
    }
    return http("200 OK", "text/plain; version=0.0.4; charset=utf-8",
                prometheus::TextSerializer().Serialize(families), method == "HEAD");
}

void MetricsServer::run() {
    std::map<int, Conn> conns;
    uint64_t seq = 0;
    auto close_conn = [&](int fd) {
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
        ::close(fd);
        conns.erase(fd);
    };
    auto ms = [](unsigned v) { return std::chrono::milliseconds(v); };
    bool listening = true;
    Clock::time_point relisten{};
    epoll_event evs[64];
    for (;;) {
        int n = ::epoll_wait(epoll_fd_, evs, 64, 100);
        auto now = Clock::now();
        for (int i = 0; i < n; ++i) {
            int fd = evs[i].data.fd;
            if (fd == stop_fd_) {
                for (auto it = conns.begin(); it != conns.end();) ::close((it++)->first);
                return;
            }
            if (fd == listen_fd_) {
                for (;;) {
                    int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (c < 0) {
                        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
                            errno == ECONNABORTED)
                            break;
                        // Out of descriptors or memory: stop accepting for
                        // 100 ms instead of spinning on a readable socket.
                        ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
                        listening = false;
                        relisten = now + ms(100);
                        break;
                    }
                    if (conns.size() >= cfg_.max_connections) {
                        // Make room: the oldest connection still waiting for
                        // its request (else the oldest of all).
                        int victim = -1;
                        uint64_t best = UINT64_MAX, best_any = UINT64_MAX;
                        int victim_any = -1;
                        for (auto& [cfd, cn] : conns) {
                            if (!cn.responding && cn.seq < best) best = cn.seq, victim = cfd;
                            if (cn.seq < best_any) best_any = cn.seq, victim_any = cfd;
                        }
                        close_conn(victim >= 0 ? victim : victim_any);
                    }
                    Conn& cn = conns[c];
                    cn.seq = seq++;
                    cn.deadline = now + ms(cfg_.request_timeout_ms);
                    epoll_event ev{};
                    ev.events = EPOLLIN | EPOLLRDHUP;
                    ev.data.fd = c;
                    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c, &ev);
                }
                continue;
            }
            auto it = conns.find(fd);
            if (it == conns.end()) continue;
            Conn& cn = it->second;
            bool done = false;
            if (!cn.responding && (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
                char buf[4096];
                for (;;) {
                    ssize_t r = ::read(fd, buf, sizeof buf);
                    if (r > 0) {
                        cn.in.append(buf, size_t(r));
                        if (cn.in.size() > cfg_.max_request_bytes) break;
                        continue;
                    }
                    if (r < 0 && (errno == EAGAIN || errno == EINTR)) break;
                    done = true;  // EOF or error before a whole request
                    break;
                }
                auto end = cn.in.find("\r\n\r\n");
                if (end != std::string::npos || cn.in.size() > cfg_.max_request_bytes) {
                    cn.out = end != std::string::npos ? respond(cn.in.substr(0, end + 2))
                                                      : http("431 Request Header Fields Too Large",
                                                             "text/plain", "request too large\n");
                    cn.in.clear();
                    cn.in.shrink_to_fit();
                    cn.responding = true;
                    cn.deadline = now + ms(cfg_.response_timeout_ms);
                    done = false;
                    epoll_event ev{};
                    ev.events = EPOLLOUT;
                    ev.data.fd = fd;
                    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
                }
            }
            if (cn.responding && !done) {
                while (cn.sent < cn.out.size()) {
                    ssize_t w =
                        ::send(fd, cn.out.data() + cn.sent, cn.out.size() - cn.sent, MSG_NOSIGNAL);
                    if (w > 0) {
                        cn.sent += size_t(w);
                        continue;
                    }
                    if (w < 0 && (errno == EAGAIN || errno == EINTR)) break;
                    done = true;
                    break;
                }
                if (cn.sent == cn.out.size()) done = true;
            }
            if (done) close_conn(fd);
        }
        for (auto it = conns.begin(); it != conns.end();) {
            int fd = it->first;
            ++it;
            if (conns[fd].deadline <= now) close_conn(fd);
        }
        if (!listening && now >= relisten) {
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.fd = listen_fd_;
            ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
            listening = true;
        }
    }
}

std::unique_ptr<MetricsServer> make_metrics_server(const std::string& addr,
                                                   const MetricsServerConfig& cfg) {
    return std::make_unique<MetricsServer>(addr, cfg);
}

}  // namespace wg::cp
