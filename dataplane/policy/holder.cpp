#include "policy/holder.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>

#include <rte_malloc.h>
#include <rte_memory.h>
#include <rte_rcu_qsbr.h>

#include "policy/image.hpp"

namespace wg::dp {

PolicyHolder::PolicyHolder(unsigned max_workers) : max_workers_(max_workers) {
    if (max_workers_ == 0) throw std::invalid_argument("PolicyHolder: max_workers must be > 0");
    const size_t sz = rte_rcu_qsbr_get_memsize(max_workers_);
    qs_ = static_cast<rte_rcu_qsbr*>(rte_zmalloc("wg_policy_qsbr", sz, RTE_CACHE_LINE_SIZE));
    if (qs_ == nullptr)
        throw std::runtime_error("PolicyHolder: cannot allocate the RCU QSBR variable");
    if (rte_rcu_qsbr_init(qs_, max_workers_) != 0) {
        rte_free(qs_);
        throw std::runtime_error("PolicyHolder: rte_rcu_qsbr_init failed");
    }
}

PolicyHolder::~PolicyHolder() {
    // Workers are stopped by now (the dataplane joins its lcores before
    // tearing the holder down), so nothing can still read these tables.
    cur_.store(nullptr, std::memory_order_release);
    owned_.reset();
    parked_.clear();
    rte_free(qs_);
}

void PolicyHolder::register_worker(unsigned wid) {
    rte_rcu_qsbr_thread_register(qs_, wid);
    rte_rcu_qsbr_thread_online(qs_, wid);
}

void PolicyHolder::quiescent(unsigned wid) {
    rte_rcu_qsbr_quiescent(qs_, wid);
}

void PolicyHolder::offline(unsigned wid) {
    rte_rcu_qsbr_thread_offline(qs_, wid);
    rte_rcu_qsbr_thread_unregister(qs_, wid);
}

uint64_t PolicyHolder::generation() const {
    std::lock_guard lk(meta_mu_);
    return owned_ ? owned_->generation() : 0;
}

std::string PolicyHolder::hash() const {
    std::lock_guard lk(meta_mu_);
    return owned_ ? owned_->policy().content_hash : std::string();
}

std::string PolicyHolder::commit() const {
    std::lock_guard lk(meta_mu_);
    return owned_ ? owned_->policy().commit : std::string();
}

size_t PolicyHolder::parked() const {
    std::lock_guard lk(meta_mu_);
    return parked_.size();
}

void PolicyHolder::set_publish_hook(std::function<void(uint64_t, uint64_t)> hook) {
    std::lock_guard lk(meta_mu_);
    publish_hook_ = std::move(hook);
}

void PolicyHolder::reap_parked() {
    std::lock_guard lk(meta_mu_);
    for (size_t i = 0; i < parked_.size();) {
        if (rte_rcu_qsbr_check(qs_, parked_[i].token, false) == 1) {
            parked_.erase(parked_.begin() + static_cast<std::ptrdiff_t>(i));
        } else {
            ++i;
        }
    }
}

LoadResult PolicyHolder::load_image(std::span<const uint8_t> image) {
    policy::CompiledPolicy p;
    try {
        p = policy::decode_image(image);
    } catch (const std::exception& e) {
        return LoadResult{false, generation(), std::string("image rejected: ") + e.what()};
    }
    return load_policy(p);
}

LoadResult PolicyHolder::load_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return LoadResult{false, generation(),
                          "cannot open policy image " + path + ": " + std::strerror(errno)};
    }
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    if (in.bad()) {
        return LoadResult{false, generation(), "cannot read policy image " + path};
    }
    LoadResult r = load_image(bytes);
    if (!r.ok) r.error = path + ": " + r.error;
    return r;
}

LoadResult PolicyHolder::load_policy(const policy::CompiledPolicy& p) {
    reap_parked();
    // Content-identical to what runs (same SHA-256 content hash): nothing to
    // install, and no new generation, so flows are not re-evaluated and
    // status/metrics do not show a change that did not happen. Only the
    // metadata outside the hash (commit, source locations) may differ; the
    // running policy keeps its own.
    if (!p.content_hash.empty() && p.content_hash == hash())
        return LoadResult{true, generation(), {}};

    uint64_t gen;
    {
        std::lock_guard lk(meta_mu_);
        gen = next_generation_;
    }
    // The expensive part (rte_acl_build, hash and range tables) runs here, on
    // the management thread, while workers keep using the running generation.
    std::string err;
    std::unique_ptr<PolicyTables> fresh;
    try {
        fresh = PolicyTables::build(p, gen, socket_, err);
    } catch (const std::exception& e) {
        err = e.what();
        fresh.reset();
    }
    if (!fresh) {
        return LoadResult{false, generation(), "policy not installed: " + err};
    }

    std::unique_ptr<PolicyTables> old;
    uint64_t old_gen = 0;
    std::function<void(uint64_t, uint64_t)> hook;
    {
        std::lock_guard lk(meta_mu_);
        old = std::move(owned_);
        old_gen = old ? old->generation() : 0;
        owned_ = std::move(fresh);
        next_generation_ = gen + 1;
        hook = publish_hook_;
        // Release: a worker that sees the new pointer sees fully built tables.
        cur_.store(owned_.get(), std::memory_order_release);
    }
    if (hook) hook(old_gen, gen);
    if (!old) return LoadResult{true, gen, {}};

    // Grace period: once every online worker has passed a quiescent state
    // after the store above, none can still hold the old pointer. Poll with
    // a short sleep rather than rte_rcu_qsbr_synchronize's busy spin: the
    // management thread may share a core with a worker.
    const uint64_t token = rte_rcu_qsbr_start(qs_);
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_timeout_ms_);
    while (rte_rcu_qsbr_check(qs_, token, false) != 1) {
        if (std::chrono::steady_clock::now() >= deadline) {
            // A worker has not reported for a long time (stuck or descheduled):
            // never free under it. Park the old tables; a later load or the
            // destructor frees them once its grace period has passed.
            std::lock_guard lk(meta_mu_);
            parked_.push_back(Parked{std::move(old), token});
            return LoadResult{true, gen, {}};
        }
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    old.reset();
    return LoadResult{true, gen, {}};
}

}  // namespace wg::dp
