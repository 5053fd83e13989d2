#include "stats/counter_map.hpp"

#include "stats/lcore_stats.hpp"

namespace wg::dp {

uint32_t SlotRegistry::slot(std::vector<std::string>& names,
                            std::unordered_map<std::string, uint32_t>& idx, const std::string& name,
                            uint32_t max) {
    if (auto it = idx.find(name); it != idx.end()) return it->second;
    // Out of slots: the name is not counted per class/rule (totals still are).
    if (names.size() >= max) return 0xffffffff;
    const auto s = static_cast<uint32_t>(names.size());
    names.push_back(name);
    idx.emplace(name, s);
    return s;
}

CounterMap SlotRegistry::map_for(const policy::CompiledPolicy& p) {
    CounterMap m;
    m.content_hash = p.content_hash;
    for (const auto& c : p.classes) {
        uint32_t s = slot(classes_, class_idx_, c.name, kMaxClassSlots);
        m.class_slot.push_back(s == 0xffffffff ? kNoSlot : static_cast<uint16_t>(s));
        m.default_slot.push_back(slot(rules_, rule_idx_, c.name + "/default", kMaxRuleSlots));
    }
    for (const auto& r : p.rules)
        m.rule_slot.push_back(slot(rules_, rule_idx_, r.name, kMaxRuleSlots));
    for (const auto& b : p.bypass)
        m.bypass_slot.push_back(slot(rules_, rule_idx_, "bypass/" + b.name, kMaxRuleSlots));
    return m;
}

const CounterMap* CounterMapPublisher::publish(std::unique_ptr<CounterMap> m) {
    const CounterMap* prev = latest_.load(std::memory_order_relaxed);
    latest_.store(m.get(), std::memory_order_release);
    owned_.push_back(std::move(m));
    return prev;
}

void CounterMapPublisher::settle(bool ok, bool grace_done, const CounterMap* prev) {
    if (!ok) {
        latest_.store(prev, std::memory_order_release);
        return;
    }
    if (!grace_done) return;
    const CounterMap* keep = latest_.load(std::memory_order_relaxed);
    std::erase_if(owned_, [&](const std::unique_ptr<CounterMap>& p) { return p.get() != keep; });
}

}  // namespace wg::dp
