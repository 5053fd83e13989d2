// Stable counter slots for classes and rules, by name.
//
// The management thread owns a SlotRegistry (append-only name -> slot) and,
// before handing a policy image to PolicyHolder, builds a CounterMap for it:
// policy ids -> slots. It publishes the map before the tables, so a worker
// that sees the new tables finds the matching map (matched by content hash)
// and counts into the right slots. Maps are freed only after the next
// successful load (whose RCU grace period guarantees no worker still uses
// the old one).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "policy/compiled.hpp"

namespace wg::dp {

struct CounterMap {
    std::string content_hash;
    std::vector<uint16_t> class_slot;    // by class id
    std::vector<uint32_t> rule_slot;     // by rule id
    std::vector<uint32_t> default_slot;  // by class id: "<class>/default"
    std::vector<uint32_t> bypass_slot;   // by bypass entry id: "bypass/<name>"
    uint16_t cls(uint16_t id) const { return id < class_slot.size() ? class_slot[id] : 0xffff; }
    uint32_t rule(uint32_t id) const { return id < rule_slot.size() ? rule_slot[id] : 0xffffffff; }
    uint32_t dflt(uint16_t c) const {
        return c < default_slot.size() ? default_slot[c] : 0xffffffff;
    }
    uint32_t bypass(int id) const {
        return id >= 0 && size_t(id) < bypass_slot.size() ? bypass_slot[size_t(id)] : 0xffffffff;
    }
};

class SlotRegistry {
  public:
    CounterMap map_for(const policy::CompiledPolicy& p);
    const std::vector<std::string>& class_names() const { return classes_; }
    const std::vector<std::string>& rule_names() const { return rules_; }

  private:
    uint32_t slot(std::vector<std::string>& names, std::unordered_map<std::string, uint32_t>& idx,
                  const std::string& name, uint32_t max);
    std::vector<std::string> classes_, rules_;
    std::unordered_map<std::string, uint32_t> class_idx_, rule_idx_;
};

// What workers read: the latest published map (never nullptr once set).
class CounterMapPublisher {
  public:
    const CounterMap* latest() const { return latest_.load(std::memory_order_acquire); }
    // Publishes `m` before a load; returns the previous map.
    const CounterMap* publish(std::unique_ptr<CounterMap> m);
    // After load_image. Success: the new map stays published; when
    // `grace_done` (no old tables parked past their grace period) every
    // other map is freed, else they are kept for a later load. Failure:
    // `prev` is published again and the rejected map is kept until a later
    // successful load (a worker may be reading it right now).
    void settle(bool ok, bool grace_done, const CounterMap* prev);

  private:
    std::atomic<const CounterMap*> latest_{nullptr};
    std::vector<std::unique_ptr<CounterMap>> owned_;
};

}  // namespace wg::dp
