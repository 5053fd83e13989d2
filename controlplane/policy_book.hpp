// Compiled policies by dataplane generation. Audit events carry ids into the
// policy of the generation that produced them; events drained just after a
// reload still belong to the previous generation, so a few are kept.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include "policy/compiled.hpp"

namespace wg::cp {

class PolicyBook {
  public:
    using Ptr = std::shared_ptr<const policy::CompiledPolicy>;
    explicit PolicyBook(size_t keep = 8) : keep_(keep) {}
    void add(uint64_t generation, Ptr p) {
        std::lock_guard lk(mu_);
        by_gen_[generation] = std::move(p);
        while (by_gen_.size() > keep_) by_gen_.erase(by_gen_.begin());
    }
    Ptr find(uint64_t generation) const {
        std::lock_guard lk(mu_);
        auto it = by_gen_.find(generation);
        return it == by_gen_.end() ? nullptr : it->second;
    }
    // The newest generation known, for events whose generation we missed.
    Ptr latest() const {
        std::lock_guard lk(mu_);
        return by_gen_.empty() ? nullptr : by_gen_.rbegin()->second;
    }

  private:
    mutable std::mutex mu_;
    size_t keep_;
    std::map<uint64_t, Ptr> by_gen_;
};

}  // namespace wg::cp
