// MgmtServer in-process: a peer that trickles a partial frame (or sends
// nothing) is closed after the idle limit, so it cannot hold one of the 16
// connection slots; a peer that keeps asking stays connected.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "mgmt/frame.hpp"
#include "mgmt_server.hpp"

namespace {
int connect_to(const std::string& path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    path.copy(a.sun_path, sizeof(a.sun_path) - 1);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    timeval tv{5, 0};  // bound every read: never hang the test
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}
// Reads until the server closed the connection (true) or a timeout/other
// error (false). A server that closes while our unread request bytes sit in
// its receive queue makes the kernel report ECONNRESET instead of EOF: that is
// a close by the server too (which of the two depends on timing).
bool closed_by_server(int fd) {
    char b[256];
    for (;;) {
        ssize_t n = read(fd, b, sizeof(b));
        if (n == 0) return true;
        if (n < 0) return errno == ECONNRESET;
    }
}
bool status_answered(int fd) {
    auto req = wg::mgmt::encode_frame(wg::mgmt::MsgType::StatusRequest, 1, {});
    if (write(fd, req.data(), req.size()) != ssize_t(req.size())) return false;
    uint8_t hdr[wg::mgmt::kHeaderSize];
    size_t got = 0;
    while (got < sizeof(hdr)) {
        ssize_t n = read(fd, hdr + got, sizeof(hdr) - got);
        if (n <= 0) return false;
        got += size_t(n);
    }
    return hdr[6] == uint8_t(wg::mgmt::MsgType::StatusResponse);
}
}  // namespace

TEST_CASE("mgmt server: idle and slow-trickling peers are closed, active ones stay",
          "[mgmt_server]") {
    const std::string path = "/tmp/wg-mgmt-idle-" + std::to_string(getpid()) + ".sock";
    wg::dp::MgmtServer srv;
    REQUIRE_FALSE(srv.open(path, "").has_value());
    srv.set_idle_limit(std::chrono::milliseconds(1000));
    srv.start([](const wg::mgmt::Frame& f, const wg::dp::Peer&) {
        return wg::mgmt::Frame{wg::mgmt::MsgType::StatusResponse, f.request_id, {}};
    });
    int silent = connect_to(path);
    int partial = connect_to(path);
    int active = connect_to(path);
    REQUIRE((silent >= 0 && partial >= 0 && active >= 0));
    auto req = wg::mgmt::encode_frame(wg::mgmt::MsgType::StatusRequest, 1, {});
    REQUIRE(write(partial, req.data(), 10) == 10);  // 10 of 16 header bytes
    // The active peer asks every 100 ms for ~2.5 s: never idle for 1 s (10x margin).
    bool active_ok = true;
    for (int i = 0; i < 25; ++i) {
        active_ok = active_ok && status_answered(active);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK(active_ok);
    CHECK(closed_by_server(silent));
    CHECK(closed_by_server(partial));
    CHECK(status_answered(active));
    close(silent);
    close(partial);
    close(active);
    srv.stop();
}

TEST_CASE("mgmt server: one large upload at a time; a second one is refused, not buffered",
          "[mgmt_server]") {
    const std::string path = "/tmp/wg-mgmt-big-" + std::to_string(getpid()) + ".sock";
    wg::dp::MgmtServer srv;
    REQUIRE_FALSE(srv.open(path, "").has_value());
    srv.start([](const wg::mgmt::Frame& f, const wg::dp::Peer&) {
        return wg::mgmt::Frame{wg::mgmt::MsgType::LoadPolicyResponse, f.request_id, {}};
    });
    // Both announce a 1 MiB policy image and send the first 256 KiB.
    const std::vector<uint8_t> body(1u << 20, 0xab);
    auto frame = wg::mgmt::encode_frame(wg::mgmt::MsgType::LoadPolicyRequest, 5, body);
    const size_t first = wg::mgmt::kHeaderSize + (256u << 10);
    auto send_all = [](int fd, const uint8_t* p, size_t n) {
        while (n) {
            ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
            if (k <= 0) return false;
            p += k;
            n -= size_t(k);
        }
        return true;
    };
    int a = connect_to(path);
    REQUIRE(a >= 0);
    REQUIRE(send_all(a, frame.data(), first));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // a is receiving
    int b = connect_to(path);
    REQUIRE(b >= 0);
    send_all(b, frame.data(), first);  // may fail once the server closed b
    uint8_t hdr[wg::mgmt::kHeaderSize];
    REQUIRE(read(b, hdr, sizeof(hdr)) == ssize_t(sizeof(hdr)));
    CHECK(hdr[6] == uint8_t(wg::mgmt::MsgType::Error));
    CHECK(closed_by_server(b));
    // a finishes its upload and is answered.
    REQUIRE(send_all(a, frame.data() + first, frame.size() - first));
    size_t got = 0;
    while (got < sizeof(hdr)) {
        ssize_t n = read(a, hdr + got, sizeof(hdr) - got);
        REQUIRE(n > 0);
        got += size_t(n);
    }
    CHECK(hdr[6] == uint8_t(wg::mgmt::MsgType::LoadPolicyResponse));
    // The slot is free again: a new upload is accepted.
    int c = connect_to(path);
    REQUIRE(c >= 0);
    REQUIRE(send_all(c, frame.data(), frame.size()));
    got = 0;
    while (got < sizeof(hdr)) {
        ssize_t n = read(c, hdr + got, sizeof(hdr) - got);
        REQUIRE(n > 0);
        got += size_t(n);
    }
    CHECK(hdr[6] == uint8_t(wg::mgmt::MsgType::LoadPolicyResponse));
    close(a);
    close(b);
    close(c);
    srv.stop();
}
