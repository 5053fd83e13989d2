// Asynchronous client of the dataplane's management socket. Reconnects with
// exponential backoff (100 ms .. 5 s) when the dataplane is absent or
// restarts; requests issued while disconnected fail at once so callers never
// block the io_context.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>

// Boost 1.74 Asio uses std::exchange without including <utility> (C++20); a
// separate include block keeps clang-format from sorting it after Asio.
#include <utility>

#include <boost/asio.hpp>

#include "mgmt/frame.hpp"

namespace wg::cp {

class DpClient {
  public:
    using Callback =
        std::function<void(bool ok, const mgmt::Frame& response, const std::string& error)>;

    DpClient(boost::asio::io_context& io, std::string path);
    void start();
    void stop();
    bool connected() const { return connected_; }
    // Sends a request; the callback runs on the io_context with the response
    // (or ok=false and the reason).
    void request(mgmt::MsgType type, std::vector<uint8_t> payload, Callback cb,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10));
    std::function<void()> on_connect;  // e.g. resynchronise policy generation
    std::function<void()> on_disconnect;

  private:
    void connect();
    void schedule_reconnect();
    void read();
    void fail_all(const std::string& why);
    void write_next();

    boost::asio::io_context& io_;
    std::string path_;
    boost::asio::local::stream_protocol::socket sock_;
    boost::asio::steady_timer retry_;
    std::chrono::milliseconds backoff_{100};
    bool connected_ = false, stopped_ = false;
    uint32_t next_id_ = 1;
    mgmt::FrameDecoder dec_;
    std::array<uint8_t, 65536> buf_{};
    struct Pending {
        Callback cb;
        std::unique_ptr<boost::asio::steady_timer> timer;
    };
    std::map<uint32_t, Pending> pending_;
    std::vector<std::vector<uint8_t>> outq_;
    bool writing_ = false;
};

}  // namespace wg::cp
