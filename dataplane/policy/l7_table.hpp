// The per-generation constraint table: what a flow's first client payload
// is checked against. Built with the other lookup tables from the compiled
// policy (off the workers), never modified after. A flow entry stores a
// compact id into it (uint16_t, 0 = no constraint), never a pointer into the
// control-plane model: after a reload the id is re-resolved against the new
// generation's table with the rest of the cached verdict.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "l7/constraint.hpp"
#include "policy/compiled.hpp"

namespace wg::dp {

inline constexpr uint16_t kNoL7 = 0;

struct L7Entry {
    l7::Constraint c;
    l7::Protocol proto = l7::Protocol::Dicom;
    uint16_t owner_class = policy::kUnknownClass;  // the class whose rule it is
    bool monitor = false;                          // owner in monitor mode: would-deny only
    bool fail_closed = false;                      // owner's on_failure
    // on_violation: reset (the rule's, else its class's) on a TCP protocol:
    // a denied violation also sends a TCP reset to each end (l7/rst_frame.hpp).
    bool reset = false;
};

class L7Table {
  public:
    // Throws std::runtime_error on a constraint the compiler would have
    // refused (a hand-made image): the load is rejected, the running policy stays.
    void build(const policy::CompiledPolicy& p);

    // Constraint id of a rule; kNoL7 for rules without one (and kNoRule).
    uint16_t id_of_rule(uint32_t rule) const {
        return rule < by_rule_.size() ? by_rule_[rule] : kNoL7;
    }
    // id != kNoL7 and < size().
    const L7Entry& at(uint16_t id) const { return entries_[id]; }
    size_t size() const { return entries_.size(); }
    bool empty() const { return entries_.size() <= 1; }

  private:
    std::vector<uint16_t> by_rule_;
    std::vector<L7Entry> entries_;  // [0] unused (kNoL7)
};

}  // namespace wg::dp
