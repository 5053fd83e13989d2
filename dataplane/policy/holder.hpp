// PolicyHolder: the one place where policy generations change hands.
//
// Workers read the current PolicyTables through an acquire load and report a
// quiescent state once per main-loop iteration (rte_rcu_qsbr). The management
// thread builds a new generation off the workers, publishes it with a release
// store, waits for a grace period and only then frees the previous tables, so
// a reload never stalls a worker and no worker ever reads freed memory.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "policy/tables.hpp"

struct rte_rcu_qsbr;

namespace wg::dp {

struct LoadResult {
    bool ok = false;
    uint64_t generation = 0;  // the generation now running (the old one if rejected)
    std::string error;        // why the image was rejected; empty when ok
};

class PolicyHolder {
  public:
    explicit PolicyHolder(unsigned max_workers);
    ~PolicyHolder();  // workers must be stopped (offline) by then
    PolicyHolder(const PolicyHolder&) = delete;
    PolicyHolder& operator=(const PolicyHolder&) = delete;

    // ---- worker side (lock-free, allocation-free) ----
    // wid < max_workers; unique per reader thread.
    void register_worker(unsigned wid);
    // nullptr = no policy installed. Valid until this worker's next quiescent().
    const PolicyTables* current() const { return cur_.load(std::memory_order_acquire); }
    void quiescent(unsigned wid);
    // Leaves the RCU set: a stopped or blocked worker must not hold up reloads.
    void offline(unsigned wid);

    // ---- management side (serialised by the caller) ----
    LoadResult load_image(std::span<const uint8_t> image);
    LoadResult load_file(const std::string& path);
    // Installs an already decoded policy (tests, and callers that decoded already).
    LoadResult load_policy(const policy::CompiledPolicy& p);

    uint64_t generation() const;  // 0 = none
    std::string hash() const;     // content hash of the running policy, "" if none
    std::string commit() const;   // git commit of the running policy, "" if none

    // Test latch: called on the management thread after the new generation is
    // published and before the grace period starts, with (old, new)
    // generation numbers. Lets tests hold a reload mid-swap deterministically.
    void set_publish_hook(std::function<void(uint64_t, uint64_t)> hook);

    // Longest time load_*() waits for the grace period. Past it, the old tables
    // are parked and freed by a later load or the destructor instead of
    // blocking the management thread behind a stuck worker.
    void set_grace_timeout_ms(unsigned ms) { grace_timeout_ms_ = ms; }
    size_t parked() const;  // old generations still waiting for their grace period

    // NUMA socket the tables are allocated on (SOCKET_ID_ANY = -1 by default).
    void set_socket(int socket) { socket_ = socket; }

  private:
    struct Parked {
        std::unique_ptr<PolicyTables> tables;
        uint64_t token;
    };
    void reap_parked();

    rte_rcu_qsbr* qs_ = nullptr;
    unsigned max_workers_;
    std::atomic<const PolicyTables*> cur_{nullptr};

    mutable std::mutex meta_mu_;  // management-side metadata only; never taken by workers
    std::unique_ptr<PolicyTables> owned_;
    uint64_t next_generation_ = 1;
    std::vector<Parked> parked_;
    std::function<void(uint64_t, uint64_t)> publish_hook_;
    unsigned grace_timeout_ms_ = 5000;
    int socket_ = -1;
};

}  // namespace wg::dp
