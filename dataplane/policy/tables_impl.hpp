// The concrete PolicyTables: one object per policy generation, holding the
// essentials, bypass, side, identity and classifier structures built from a
// CompiledPolicy. Immutable after build().
#pragma once

#include <memory>
#include <string>

#include "policy/bypass.hpp"
#include "policy/classifier.hpp"
#include "policy/essentials.hpp"
#include "policy/identity.hpp"
#include "policy/side_check.hpp"
#include "policy/tables.hpp"

namespace wg::dp {

class TablesImpl final : public PolicyTables {
  public:
    TablesImpl(const policy::CompiledPolicy& p, uint64_t generation, int socket);
    // Throws with the reason the policy cannot be built.
    void build();

    uint64_t generation() const override { return generation_; }
    const policy::CompiledPolicy& policy() const override { return policy_; }

    bool essentials(const PacketMeta& m, bool& forward, Reason& reason) const override {
        return essentials_.decide(m, forward, reason);
    }
    int bypass(const PacketMeta& m) const override { return bypass_.match(m); }
    bool side_spoofed(const PacketMeta& m, unsigned arrival_side) const override {
        return side_.spoofed(m, arrival_side);
    }
    policy::SourceVerdict source_check(const PacketMeta& m, unsigned arrival_side) const override {
        return side_.check(m, arrival_side);
    }
    Ident identify_src(const PacketMeta& m, unsigned arrival_side) const override {
        if (m.family != 4 && m.family != 6) return Ident{};
        // MAC identity only for clinical-side ends: core-side frames carry
        // the router's MAC.
        return identity_.lookup(m.src, m.family, arrival_side == 0 ? m.src_mac : nullptr, m.vlan);
    }
    Ident identify_dst(const PacketMeta& m, unsigned arrival_side) const override {
        if (m.family != 4 && m.family != 6) return Ident{};
        return identity_.lookup(m.dst, m.family, arrival_side == 1 ? m.dst_mac : nullptr, m.vlan);
    }
    void classify(const PacketMeta* const* metas, const Ident* src, const Ident* dst,
                  FlowDecision* out, unsigned n) const override {
        classifier_.classify(metas, src, dst, out, n);
    }
    std::string describe() const override;

    const IdentityTable& identity() const { return identity_; }

  private:
    policy::CompiledPolicy policy_;
    uint64_t generation_;
    EssentialsTable essentials_;
    BypassTable bypass_;
    SideCheck side_;
    IdentityTable identity_;
    Classifier classifier_;
    double build_ms_ = 0;
};

}  // namespace wg::dp
