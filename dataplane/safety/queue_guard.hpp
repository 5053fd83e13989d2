// Exclusive ownership of one worker's RX/TX queues, handed between the
// worker and the supervisor (watchdog) without locks.
//
// A DPDK queue must never be polled by two threads at once. The worker owns
// its queues until the supervisor declares it stalled and takes them over to
// forward in pure bypass; when the worker's heartbeat resumes the supervisor
// hands them back. The worker brackets every queue access (each RX burst,
// each TX burst) with enter()/leave(); a stalled worker is almost always
// stuck *between* those (in packet processing), so the supervisor can take
// the queues while it hangs.
//
// Protocol (Dekker-style, both sides sequentially consistent):
//   worker:      busy = 1;  if (owner != Worker) { busy = 0; skip }  ... queue op ...  busy = 0
//   supervisor:  owner = Supervisor;  wait until busy == 0  -> queues are ours
// In the single total order of the seq_cst operations either the worker's
// load sees owner == Supervisor (it backs off), or the supervisor's load
// sees busy == 1 (it waits for leave()). Handing back is a release store of
// owner = Worker after the supervisor's last queue access; the worker's
// seq_cst load of owner acquires it.
#pragma once

#include <atomic>
#include <cstdint>

namespace wg::safety {

class QueueGuard {
  public:
    static constexpr uint32_t kWorker = 0;
    static constexpr uint32_t kSupervisor = 1;

    // Worker side.
    bool enter() {
        busy_.store(1, std::memory_order_seq_cst);
        if (owner_.load(std::memory_order_seq_cst) == kWorker) return true;
        busy_.store(0, std::memory_order_release);
        return false;
    }
    void leave() { busy_.store(0, std::memory_order_release); }
    // Whether the worker currently owns its queues (a hint: outside enter()
    // it may change at any time).
    bool owned_by_worker() const { return owner_.load(std::memory_order_relaxed) == kWorker; }

    // Supervisor side. Announces the takeover; returns true once the worker
    // is out of its queue access (poll again with settled() otherwise).
    bool take() {
        owner_.store(kSupervisor, std::memory_order_seq_cst);
        return settled();
    }
    bool settled() const { return busy_.load(std::memory_order_seq_cst) == 0; }
    void give_back() { owner_.store(kWorker, std::memory_order_release); }

  private:
    alignas(64) std::atomic<uint32_t> owner_{kWorker};  // written by the supervisor
    alignas(64) std::atomic<uint32_t> busy_{0};         // written by the worker
};

}  // namespace wg::safety
