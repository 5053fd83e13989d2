// The dataplane's management socket: a Unix-domain stream socket served by a
// thread of its own (never a worker lcore). Requests are framed by
// common/mgmt/frame.hpp; each request gets exactly one response frame.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "mgmt/frame.hpp"

namespace wg::dp {

struct Peer {
    int pid = 0;
    unsigned uid = 0, gid = 0;
};

using MgmtHandler = std::function<mgmt::Frame(const mgmt::Frame& request, const Peer& peer)>;
// A slow request's handler: runs on the server's slow-request thread and
// returns what to do back on the management thread (state updates, the
// response frame).
using MgmtFinish = std::function<mgmt::Frame()>;
using SlowHandler = std::function<MgmtFinish(const mgmt::Frame& request, const Peer& peer)>;

class MgmtServer {
  public:
    MgmtServer();
    ~MgmtServer();
    // Creates the socket (mode 0660, group `group` if given; parent directory
    // created 0750 if missing). Returns an error message on failure.
    std::optional<std::string> open(const std::string& path, const std::string& group);
    void start(MgmtHandler handler);
    // Closes connections with no complete request for this long (default
    // 60 s). Before start().
    void set_idle_limit(std::chrono::milliseconds ms);
    // Requests of `type` go to `h` on a second thread, one at a time in
    // arrival order, so a slow one (a policy load builds its tables for
    // seconds) never holds up Status, Stats or the audit drain. Their
    // responses may overtake it on the same connection: clients match
    // responses by request id. Before start().
    void set_slow(mgmt::MsgType type, SlowHandler h);
    void stop();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace wg::dp
