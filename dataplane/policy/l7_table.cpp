#include "policy/l7_table.hpp"

#include <stdexcept>

#include "policy/l7_rule.hpp"

namespace wg::dp {

void L7Table::build(const policy::CompiledPolicy& p) {
    by_rule_.assign(p.rules.size(), kNoL7);
    entries_.assign(1, L7Entry{});
    for (const auto& r : p.rules) {
        // Only allow rules let a flow through to a first payload; a
        // guardrail denies at L4 whatever it carries.
        if (r.tier != policy::Tier::ClassAllow) continue;
        l7::Constraint c;
        std::string err;
        if (!policy::rule_constraint(r.constraints, c, err)) {
            if (!err.empty()) throw std::runtime_error("rule '" + r.name + "': " + err);
            continue;
        }
        if (entries_.size() >= 0xffff)
            throw std::runtime_error("more than 65534 constrained rules");
        L7Entry e;
        e.c = c;
        e.proto = l7::protocol_of(c);
        e.owner_class = r.owner_class;
        e.reset = r.constraints.on_violation == policy::ViolationAction::Reset &&
                  e.proto != l7::Protocol::Ntp;
        if (r.owner_class < p.classes.size()) {
            const auto& cl = p.classes[r.owner_class];
            e.monitor = cl.mode == policy::Mode::Monitor;
            e.fail_closed = cl.on_failure == policy::FailMode::Closed;
        }
        if (r.id >= by_rule_.size()) throw std::runtime_error("rule '" + r.name + "': bad id");
        by_rule_[r.id] = uint16_t(entries_.size());
        entries_.push_back(e);
    }
}

}  // namespace wg::dp
