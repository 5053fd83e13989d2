// MgmtServer's slow-request thread (policy loads, issue 15 item 5): while a
// slow request runs, other requests on the same connection are answered (they
// overtake it; answers carry the request id), the queue is bounded (503
// busy past it), and every accepted slow request is answered once released,
// in arrival order.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mgmt/frame.hpp"
#include "mgmt_server.hpp"

namespace {

using wg::mgmt::MsgType;

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

bool read_exact(int fd, uint8_t* p, size_t n) {
    while (n) {
        ssize_t k = read(fd, p, n);
        if (k <= 0) return false;
        p += k;
        n -= size_t(k);
    }
    return true;
}

// (type, request id) of the next frame; type Error with id 0xffffffff on timeout.
std::pair<MsgType, uint32_t> next_frame(int fd) {
    uint8_t hdr[wg::mgmt::kHeaderSize];
    if (!read_exact(fd, hdr, sizeof(hdr))) return {MsgType::Error, 0xffffffffu};
    const uint32_t id = uint32_t(hdr[8]) | uint32_t(hdr[9]) << 8 | uint32_t(hdr[10]) << 16 |
                        uint32_t(hdr[11]) << 24;
    const uint32_t len = uint32_t(hdr[12]) | uint32_t(hdr[13]) << 8 | uint32_t(hdr[14]) << 16 |
                         uint32_t(hdr[15]) << 24;
    std::vector<uint8_t> body(len);
    if (len && !read_exact(fd, body.data(), len)) return {MsgType::Error, 0xffffffffu};
    return {MsgType(hdr[6]), id};
}

}  // namespace

TEST_CASE("mgmt server: slow requests run aside, bounded, answered in order", "[mgmt_slow]") {
    const std::string path = "/tmp/wg-mgmt-slow-" + std::to_string(getpid()) + ".sock";
    wg::dp::MgmtServer srv;
    REQUIRE_FALSE(srv.open(path, "").has_value());
    std::mutex mu;
    std::condition_variable cv;
    bool released = false;
    std::atomic<unsigned> started{0};
    srv.set_slow(MsgType::LoadPolicyRequest,
                 [&](const wg::mgmt::Frame&, const wg::dp::Peer&) -> wg::dp::MgmtFinish {
                     ++started;
                     std::unique_lock lk(mu);
                     cv.wait_for(lk, std::chrono::seconds(20), [&] { return released; });
                     return [] { return wg::mgmt::Frame{MsgType::LoadPolicyResponse, 0, {}}; };
                 });
    srv.start([](const wg::mgmt::Frame& f, const wg::dp::Peer&) {
        return wg::mgmt::Frame{MsgType::StatusResponse, f.request_id, {}};
    });
    int fd = connect_to(path);
    REQUIRE(fd >= 0);
    // Seven loads, then a Status, all on one connection.
    std::vector<uint8_t> out;
    for (uint32_t id = 1; id <= 7; ++id) {
        auto f = wg::mgmt::encode_frame(MsgType::LoadPolicyRequest, id, {});
        out.insert(out.end(), f.begin(), f.end());
    }
    auto st = wg::mgmt::encode_frame(MsgType::StatusRequest, 100, {});
    out.insert(out.end(), st.begin(), st.end());
    REQUIRE(write(fd, out.data(), out.size()) == ssize_t(out.size()));

    // Before any load finishes: the refused loads (queue full) and the Status.
    std::vector<uint32_t> refused;
    bool status_seen = false;
    while (!status_seen) {
        const auto [type, id] = next_frame(fd);
        REQUIRE(id != 0xffffffffu);  // timed out: the Status was held up
        if (type == MsgType::StatusResponse) {
            CHECK(id == 100);
            status_seen = true;
        } else {
            CHECK(type == MsgType::Error);
            refused.push_back(id);
        }
    }
    {
        std::lock_guard lk(mu);
        CHECK_FALSE(released);  // every answer so far came while the first load waits
    }
    // One running + 4 queued: 2 or 3 of the 7 are refused (the first may
    // still be queued when the others arrive).
    CHECK(refused.size() >= 2);
    CHECK(refused.size() <= 3);
    {
        std::lock_guard lk(mu);
        released = true;
    }
    cv.notify_all();
    std::vector<uint32_t> loaded;
    for (size_t k = 0; k < 7 - refused.size(); ++k) {
        const auto [type, id] = next_frame(fd);
        REQUIRE(id != 0xffffffffu);
        CHECK(type == MsgType::LoadPolicyResponse);
        loaded.push_back(id);
    }
    CHECK(std::is_sorted(loaded.begin(), loaded.end()));
    CHECK(loaded.front() == 1);
    CHECK(started.load() == loaded.size());
    close(fd);
    srv.stop();
}
