// Polls the dataplane's status and counters every `interval` and hands them
// to the /metrics collector; each status is also passed on (on_status) so
// the resync owner can notice a policy it did not push.
#pragma once

#include <chrono>
#include <functional>

// Boost 1.74 Asio uses std::exchange without including <utility> (C++20); a
// separate include block keeps clang-format from sorting it after Asio.
#include <utility>

#include <boost/asio.hpp>

#include "dp_client.hpp"
#include "dp_metrics.hpp"
#include "mgmt/messages.hpp"

namespace wg::cp {

class StatsPoller {
  public:
    StatsPoller(boost::asio::io_context& io, DpClient& dp, DataplaneCollector& collector,
                std::chrono::milliseconds interval)
        : dp_(dp), collector_(collector), interval_(interval), timer_(io) {}
    StatsPoller(const StatsPoller&) = delete;
    StatsPoller& operator=(const StatsPoller&) = delete;

    // First poll now, then every interval, until stop().
    void start() { tick(); }
    void stop() { timer_.cancel(); }
    std::function<void(const mgmt::Status&)> on_status;

  private:
    void tick();
    void poll();

    DpClient& dp_;
    DataplaneCollector& collector_;
    std::chrono::milliseconds interval_;
    boost::asio::steady_timer timer_;
};

}  // namespace wg::cp
