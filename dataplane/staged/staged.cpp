#include "staged/staged.hpp"

#include <algorithm>
#include <tuple>

#include "policy/image.hpp"

namespace wg::dp::staged {

void NameHistory::remember(uint64_t gen, const policy::CompiledPolicy& p) {
    if (gen == 0 || has(gen)) return;
    std::vector<std::string> v;
    v.reserve(p.classes.size());
    for (const auto& c : p.classes) v.push_back(c.name);
    std::lock_guard lk(mu_);
    names_.emplace(gen, std::move(v));
    while (names_.size() > kKeep) names_.erase(names_.begin());
}

std::string NameHistory::name(uint64_t gen, uint16_t id) const {
    std::lock_guard lk(mu_);
    auto it = names_.find(gen);
    if (it != names_.end() && id < it->second.size()) return it->second[id];
    return "gen" + std::to_string(gen) + ":" + std::to_string(id);
}

Staged::Staged(unsigned max_workers) : holder_(max_workers) {
    for (unsigned i = 0; i < max_workers; ++i) workers_.push_back(std::make_unique<StagedWorker>());
}

LoadResult Staged::load(std::span<const uint8_t> image) {
    policy::CompiledPolicy p;
    try {
        p = policy::decode_image(image);
    } catch (const std::exception&) {
        // Not decodable: the holder rejects it with the precise reason.
        LoadResult r = holder_.load_image(image);
        r.generation = generation();
        return r;
    }
    return load_policy(p);
}

LoadResult Staged::load_policy(const policy::CompiledPolicy& p) {
    LoadResult r = holder_.load_policy(p);
    if (r.ok) {
        staged_names_.remember(r.generation, p);
        active_.store(true, std::memory_order_release);
    } else {
        r.generation = generation();
    }
    return r;
}

void Staged::clear() {
    active_.store(false, std::memory_order_release);
}

void Staged::collect(stats::StagedStats& out, uint64_t tsc_hz, uint64_t base_tsc,
                     uint64_t base_realtime_ns) const {
    out.generation = generation();
    out.hash = hash();
    out.commit = out.generation ? holder_.commit() : std::string();
    using Key = std::tuple<std::string, std::string, std::string, std::string, uint64_t, uint64_t>;
    std::map<Key, stats::StagedPair> pairs;
    for (const auto& w : workers_) {
        out.evaluated += w->diffs.evaluated.load(std::memory_order_relaxed);
        out.overflow += w->diffs.overflow.load(std::memory_order_relaxed);
        w->diffs.for_each([&](const PairKey& k, uint64_t deny, uint64_t allow, uint64_t tsc) {
            stats::StagedPair p;
            p.enforced_src = enforced_names_.name(k.enforced_gen, k.enforced_src);
            p.enforced_dst = enforced_names_.name(k.enforced_gen, k.enforced_dst);
            p.staged_src = staged_names_.name(k.staged_gen, k.staged_src);
            p.staged_dst = staged_names_.name(k.staged_gen, k.staged_dst);
            p.enforced_generation = k.enforced_gen;
            p.staged_generation = k.staged_gen;
            const uint64_t dt = tsc > base_tsc ? tsc - base_tsc : 0;
            p.first_seen_ns =
                base_realtime_ns +
                static_cast<uint64_t>(static_cast<double>(dt) * 1e9 / double(tsc_hz ? tsc_hz : 1));
            Key key{p.enforced_src, p.enforced_dst, p.staged_src,
                    p.staged_dst,   k.enforced_gen, k.staged_gen};
            auto [it, fresh] = pairs.try_emplace(key, p);
            if (!fresh)
                it->second.first_seen_ns = std::min(it->second.first_seen_ns, p.first_seen_ns);
            it->second.would_deny += deny;
            it->second.would_allow += allow;
        });
    }
    for (auto& [k, p] : pairs)
        if (p.would_deny || p.would_allow) out.pairs.push_back(std::move(p));
}

}  // namespace wg::dp::staged
