// Lookup structures built from a CompiledPolicy, off the worker lcores, and
// then only read by workers. Built once per policy generation and published
// through PolicyHolder (holder.hpp) with RCU; never modified after build.
//
// Every query is lock-free and allocation-free. The semantics are those of
// common/policy/compiled.hpp; policy::evaluate() is the test oracle.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "packet_meta.hpp"
#include "policy/compiled.hpp"
#include "policy/l7_table.hpp"
#include "policy/source_check.hpp"
#include "stats/snapshot.hpp"

namespace wg::dp {

struct Ident {
    uint16_t class_id = policy::kUnknownClass;
    uint16_t zone_id = policy::kNoZone;
    bool spoofed = false;  // MAC/IP binding violated
};

enum class Action : uint8_t { Forward = 0, Drop = 1, ForwardRecord = 2 /* monitor: would-deny */ };
// How an action is counted and audited (the pipeline and the staged
// comparison alike).
inline stats::Verdict verdict_of(Action a) {
    switch (a) {
        case Action::Forward:
            return stats::Verdict::Allowed;
        case Action::ForwardRecord:
            return stats::Verdict::WouldDeny;
        case Action::Drop:
            break;
    }
    return stats::Verdict::Denied;
}

struct FlowDecision {
    Action action = Action::Drop;
    policy::Tier tier = policy::Tier::Default;
    Reason reason = Reason::None;     // PolicyDeny / DefaultDeny / Guardrail when denied
    uint32_t rule = policy::kNoRule;  // deciding rule id, kNoRule for defaults
    uint16_t deciding_class = policy::kUnknownClass;  // whose mode/default/on_failure applies
};

class PolicyTables {
  public:
    // Builds every structure; on failure returns nullptr and sets `err`.
    // `socket` is the NUMA socket to allocate on. `name_tag` makes DPDK
    // object names unique per generation (rte_acl contexts are named).
    static std::unique_ptr<PolicyTables> build(const policy::CompiledPolicy& p, uint64_t generation,
                                               int socket, std::string& err);
    virtual ~PolicyTables() = default;

    virtual uint64_t generation() const = 0;
    virtual const policy::CompiledPolicy& policy() const = 0;

    // Essentials for non-IP / L2-control frames and IP control protocols
    // (DHCP, ND, IGMP/MLD): returns true if `m` is an essential packet and
    // sets `forward`. Also applies the VLAN scope (untagged / other VLAN).
    virtual bool essentials(const PacketMeta& m, bool& forward, Reason& reason) const = 0;

    // Telemetry bypass; returns the entry id or -1. Cheap: checked first.
    virtual int bypass(const PacketMeta& m) const = 0;

    // True if the source address belongs to the side opposite `arrival`.
    virtual bool side_spoofed(const PacketMeta& m, unsigned arrival_side) const = 0;

    // The source check (policy/source_check.hpp): ok, spoofed (the other
    // side's address) or invalid (never valid on this port). Default: the
    // side check alone, for tables without never-valid sources.
    virtual policy::SourceVerdict source_check(const PacketMeta& m, unsigned arrival_side) const {
        return side_spoofed(m, arrival_side) ? policy::SourceVerdict::Spoofed
                                             : policy::SourceVerdict::Ok;
    }

    // Identity of the source (on `arrival_side`) and destination ends.
    virtual Ident identify_src(const PacketMeta& m, unsigned arrival_side) const = 0;
    virtual Ident identify_dst(const PacketMeta& m, unsigned arrival_side) const = 0;

    // Classifies `n` new flows at once (guardrails, class allows, defaults,
    // modes). metas[i] is the initiator's packet.
    virtual void classify(const PacketMeta* const* metas, const Ident* src, const Ident* dst,
                          FlowDecision* out, unsigned n) const = 0;

    // One line for logs and `status`: sizes, classify method, build time.
    virtual std::string describe() const { return {}; }

    // L7 constraints of this generation's allow rules (non-virtual: read on
    // the first payload of constrained flows only).
    const L7Table& l7() const { return l7_; }

  protected:
    L7Table l7_;
};

}  // namespace wg::dp
