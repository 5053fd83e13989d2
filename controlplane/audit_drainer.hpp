// Drains the dataplane's audit ring into the audit log, frequently (every
// `interval`) so the ring rarely overflows, and drives the log's periodic
// suppression summaries. A dataplane without audit support answers with an
// error: we stop asking until the next (re)connect.
#pragma once

#include <chrono>
#include <functional>

// Boost 1.74 Asio uses std::exchange without including <utility> (C++20); a
// separate include block keeps clang-format from sorting it after Asio.
#include <utility>

#include <boost/asio.hpp>

#include "audit_log.hpp"
#include "dp_client.hpp"

namespace wg::cp {

class AuditDrainer {
  public:
    AuditDrainer(boost::asio::io_context& io, DpClient& dp, AuditLog& log,
                 std::chrono::milliseconds interval)
        : dp_(dp), log_(log), interval_(interval), timer_(io) {}
    AuditDrainer(const AuditDrainer&) = delete;
    AuditDrainer& operator=(const AuditDrainer&) = delete;

    void start() { tick(); }
    void stop() { timer_.cancel(); }
    // A new dataplane may support audit even if the previous one did not.
    void on_connect() { supported_ = true; }
    bool supported() const { return supported_; }
    // Also called with every batch (live learning: flow_record.hpp).
    std::function<void(const mgmt::AuditBatch&)> on_batch;

  private:
    void tick();

    DpClient& dp_;
    AuditLog& log_;
    std::chrono::milliseconds interval_;
    boost::asio::steady_timer timer_;
    bool supported_ = true;
};

}  // namespace wg::cp
