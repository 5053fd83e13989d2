// Anti-spoofing by port (policy/source_check.hpp): one longest-prefix lookup
// answers, per arrival port, ok / spoofed (the source belongs to the other
// side) / invalid (never valid as a source there, e.g. multicast, loopback,
// fe80::/10 from the core side), with the policy's port exceptions already
// applied (policy::resolve_sources flattens spaces, never-valid ranges and
// exceptions into one laminar table). Addresses in no prefix are ok.
#pragma once

#include <cstdint>

#include "packet_meta.hpp"
#include "policy/compiled.hpp"
#include "policy/range_table.hpp"
#include "policy/source_check.hpp"

namespace wg::dp {

class SideCheck {
  public:
    using Verdict = policy::SourceVerdict;

    explicit SideCheck(int socket) : v4_(socket), v6_(socket) {}
    void build(const policy::CompiledPolicy& p);

    // arrival: 0 = clinical port, 1 = core port (policy::Side).
    Verdict check(const PacketMeta& m, unsigned arrival) const {
        const uint32_t v = lookup(m);
        if (v == kNoValue) return Verdict::Ok;
        const auto r = static_cast<Verdict>((v >> (2 * arrival)) & 3u);
        // The rare path only: DHCP discovery from 0.0.0.0, DAD/RS/MLD from ::.
        if (r == Verdict::Invalid && (v & kUnspecified) && unspecified_exempt(m))
            return Verdict::Ok;
        return r;
    }
    // Step 3 alone (the source's side is the other one), ignoring the
    // never-valid ranges and exceptions: the check before issue 12's
    // sources, kept for callers not yet on check().
    bool spoofed(const PacketMeta& m, unsigned arrival) const {
        const uint32_t v = lookup(m);
        if (v == kNoValue || !(v & kHasSide)) return false;
        return ((v >> kSideShift) & 1u) != arrival;
    }
    size_t memory() const { return v4_.memory() + v6_.memory(); }

  private:
    // Payload: bits 0-1 verdict on the clinical port, 2-3 on the core port,
    // 4 has a side, 5 the side, 6 the prefix is the unspecified address.
    static constexpr uint32_t kHasSide = 1u << 4, kSideShift = 5, kUnspecified = 1u << 6;

    uint32_t lookup(const PacketMeta& m) const {
        if (m.family == 4) return any4_ ? v4_.find(v4_key(m.src)) : kNoValue;
        if (m.family == 6) return any6_ ? v6_.find(v6_key(m.src)) : kNoValue;
        return kNoValue;
    }
    static bool unspecified_exempt(const PacketMeta& m);

    RangeTable<uint32_t> v4_;
    RangeTable<u128> v6_;
    bool any4_ = false, any6_ = false;
};

}  // namespace wg::dp
