#include "policy/side_check.hpp"

#include <stdexcept>

namespace wg::dp {

bool SideCheck::unspecified_exempt(const PacketMeta& m) {
    const unsigned n = m.family == 4 ? 4 : 16;
    for (unsigned i = 0; i < n; ++i)
        if (m.src[i]) return false;  // only the /32 or /128 itself is excepted
    return policy::unspecified_source_exempt(m.family, m.proto, m.sport, m.dport,
                                             m.proto == 58 ? int(m.icmp_type) : -1);
}

void SideCheck::build(const policy::CompiledPolicy& p) {
    std::vector<RangeTable<uint32_t>::Prefix> p4;
    std::vector<RangeTable<u128>::Prefix> p6;
    for (const auto& r : policy::resolve_sources(p)) {
        const auto& pre = r.prefix;
        uint32_t v = uint32_t(r.on[0]) | uint32_t(r.on[1]) << 2;
        if (r.side) v |= kHasSide | uint32_t(*r.side) << kSideShift;
        if (policy::is_unspecified(pre.addr, pre.family)) v |= kUnspecified;
        if (pre.family == 4 && pre.len <= 32) {
            RangeTable<uint32_t>::Prefix x{0, 0, pre.len, v};
            prefix_bounds<uint32_t>(v4_key(pre.addr.data()), pre.len, 32, x.start, x.end);
            p4.push_back(x);
        } else if (pre.family == 6 && pre.len <= 128) {
            RangeTable<u128>::Prefix x{0, 0, pre.len, v};
            prefix_bounds<u128>(v6_key(pre.addr.data()), pre.len, 128, x.start, x.end);
            p6.push_back(x);
        } else {
            throw std::invalid_argument("side address space: bad prefix");
        }
    }
    any4_ = !p4.empty();
    any6_ = !p6.empty();
    v4_.build(std::move(p4));
    v6_.build(std::move(p6));
}

}  // namespace wg::dp
