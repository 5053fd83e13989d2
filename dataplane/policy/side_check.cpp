#include "policy/side_check.hpp"

#include <stdexcept>

#include "policy/evaluate.hpp"

namespace wg::dp {

void SideCheck::build(const policy::CompiledPolicy& p) {
    std::vector<RangeTable<uint32_t>::Prefix> p4;
    std::vector<RangeTable<u128>::Prefix> p6;
    // Clinical first: for an identical prefix on both sides (a compile error
    // upstream) the evaluator's tie-break also picks clinical.
    const std::pair<const std::vector<policy::IpPrefix>*, uint32_t> spaces[] = {
        {&p.clinical_space, uint32_t(policy::Side::Clinical)},
        {&p.core_space, uint32_t(policy::Side::Core)}};
    for (const auto& [space, side] : spaces) {
        for (const auto& pre : *space) {
            if (pre.family == 4 && pre.len <= 32) {
                RangeTable<uint32_t>::Prefix x{0, 0, pre.len, side};
                prefix_bounds<uint32_t>(v4_key(pre.addr.data()), pre.len, 32, x.start, x.end);
                p4.push_back(x);
            } else if (pre.family == 6 && pre.len <= 128) {
                RangeTable<u128>::Prefix x{0, 0, pre.len, side};
                prefix_bounds<u128>(v6_key(pre.addr.data()), pre.len, 128, x.start, x.end);
                p6.push_back(x);
            } else {
                throw std::invalid_argument("side address space: bad prefix");
            }
        }
    }
    any4_ = !p4.empty();
    any6_ = !p6.empty();
    v4_.build(std::move(p4));
    v6_.build(std::move(p6));
}

}  // namespace wg::dp
