// The dataplane process: owns the ports, the workers and the management
// socket, and answers management requests. main.cpp only parses arguments.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <rte_mempool.h>

#include "mgmt/frame.hpp"
#include "mgmt_server.hpp"
#include "options.hpp"
#include "pipeline/worker_ctx.hpp"
#include "policy/holder.hpp"
#include "ports.hpp"
#include "safety/supervisor.hpp"
#include "safety/worker_safety.hpp"
#include "staged/staged.hpp"
#include "stats/counter_map.hpp"
#include "worker.hpp"

namespace wg::dp {

class Dataplane {
  public:
    explicit Dataplane(Options o);
    ~Dataplane();

    // Ports, pools, socket. Returns a one-line error on failure.
    std::optional<std::string> init();
    // Launches the workers and serves until stop() (signal) or idle exit.
    void run();
    void request_stop() { stop_.store(true); }
    // One line with the totals, printed at shutdown.
    std::string counters_line() const;

    // Installs a compiled policy image (management thread or before run()).
    LoadResult load_policy(std::span<const uint8_t> image);

  private:
    mgmt::Frame handle(const mgmt::Frame& req, const Peer& peer);
    mgmt::Frame status_frame() const;
    mgmt::Frame stats_frame() const;
    mgmt::Frame load_frame(const mgmt::Frame& req) { return load_request(req)(); }
    // Runs on the management server's slow-request thread (decode, table
    // build, publish); the step it returns runs on the management thread.
    MgmtFinish load_request(const mgmt::Frame& req);
    mgmt::Frame audit_frame();
    mgmt::Frame test_hook_frame(const mgmt::Frame& req);
    mgmt::Frame staged_frame(const mgmt::Frame& req);  // staged policy load/clear (issue 13)
    void load_start_image();
    uint64_t total_rx() const;
    void append_safety_stats(stats::Snapshot& snap) const;
    std::string safety_mode() const;

    Options opt_;
    PortInfo port_[2];
    std::vector<rte_mempool*> pools_;
    std::vector<std::unique_ptr<WorkerState>> workers_;
    std::vector<std::unique_ptr<WorkerCtx>> ctxs_;
    std::vector<rte_ring*> audit_rings_;
    std::vector<std::unique_ptr<safety::WorkerSafety>> safeties_;
    std::unique_ptr<safety::Supervisor> sup_;  // after safeties_: destroyed first
    std::unique_ptr<PolicyHolder> holder_;
    std::unique_ptr<staged::Staged> staged_;  // the staged policy compared for new flows
    SlotRegistry slots_;  // management and slow-request threads, under slots_mu_
    mutable std::mutex slots_mu_;
    CounterMapPublisher maps_;
    RxLatch latch_;
    uint64_t audit_lost_seen_ = 0;  // audit_lost already reported in a batch
    uint64_t base_tsc_ = 0, base_realtime_ns_ = 0;
    MgmtServer mgmt_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> hold_load_{false};  // test hook: loads wait (bounded) while set
    uint64_t start_ns_ = 0;
    // Start-up image outcome (management thread after init): Status fields
    // and the policy_image_rejected gauge; cleared by a successful push.
    std::string image_state_ = "none";
    std::string image_error_;
    bool image_rejected_ = false;
    bool ports_started_ = false;
};

}  // namespace wg::dp
