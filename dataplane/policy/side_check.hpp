// Per-side address spaces: an address belongs to the side of its longest
// matching prefix in clinical_space / core_space; a source that belongs to
// the side opposite its arrival port is spoofed. Addresses in neither space
// are not.
#pragma once

#include <cstdint>

#include "packet_meta.hpp"
#include "policy/compiled.hpp"
#include "policy/range_table.hpp"

namespace wg::dp {

class SideCheck {
  public:
    explicit SideCheck(int socket) : v4_(socket), v6_(socket) {}
    void build(const policy::CompiledPolicy& p);

    // arrival: 0 = clinical port, 1 = core port (policy::Side).
    bool spoofed(const PacketMeta& m, unsigned arrival) const {
        if (m.family == 4) {
            if (!any4_) return false;
            const uint32_t s = v4_.find(v4_key(m.src));
            return s != kNoValue && s != arrival;
        }
        if (m.family == 6) {
            if (!any6_) return false;
            const uint32_t s = v6_.find(v6_key(m.src));
            return s != kNoValue && s != arrival;
        }
        return false;
    }
    size_t memory() const { return v4_.memory() + v6_.memory(); }

  private:
    RangeTable<uint32_t> v4_;
    RangeTable<u128> v6_;
    bool any4_ = false, any6_ = false;
};

}  // namespace wg::dp
