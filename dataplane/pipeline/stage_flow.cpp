#include <cstring>

#include "pipeline/stages.hpp"
#include "pipeline/verdict.hpp"

namespace wg::dp {
namespace {

// The initiator's packet as the classifier saw it, rebuilt from the entry.
void initiator_meta(const FlowEntry& e, PacketMeta& m) {
    m = PacketMeta{};
    m.kind = L2Kind::Ip;
    m.family = e.key.family;
    m.proto = e.key.proto;
    m.vlan = e.key.vlan;
    std::memcpy(m.src, e.init_is_a ? e.key.a : e.key.b, 16);
    std::memcpy(m.dst, e.init_is_a ? e.key.b : e.key.a, 16);
    m.sport = e.init_sport;
    m.dport = e.init_dport;
    if (is_icmp(m.proto)) {
        m.icmp_type = static_cast<uint8_t>(e.init_dport >> 8);
        m.icmp_code = static_cast<uint8_t>(e.init_dport);
    }
    if (m.proto == 6) m.tcp_flags = kTcpSyn;
    std::memcpy(m.src_mac, e.init_src_mac, 6);
    std::memcpy(m.dst_mac, e.init_dst_mac, 6);
}

// 6-byte MAC equality as one 64-bit compare (two loads each, no branch).
inline bool same_mac(const uint8_t* a, const uint8_t* b) {
    uint32_t a4, b4;
    uint16_t a2, b2;
    std::memcpy(&a4, a, 4);
    std::memcpy(&b4, b, 4);
    std::memcpy(&a2, a + 4, 2);
    std::memcpy(&b2, b + 4, 2);
    return ((uint64_t(a4 ^ b4) << 16) | uint16_t(a2 ^ b2)) == 0;
}

}  // namespace

void flow_store_decision(FlowEntry& e, const Ident& s, const Ident& d, const FlowDecision& dec,
                         uint64_t generation) {
    e.src_class = s.class_id;
    e.dst_class = d.class_id;
    e.src_zone = s.zone_id;
    e.dst_zone = d.zone_id;
    e.src_spoofed = s.spoofed;
    e.deciding_class = dec.deciding_class;
    e.rule = dec.rule;
    e.action = static_cast<uint8_t>(dec.action);
    e.reason = static_cast<uint8_t>(dec.reason);
    e.tier = static_cast<uint8_t>(dec.tier);
    e.generation = generation;
}

bool stage_established(WorkerCtx& w, const PolicyTables* t, unsigned side, unsigned i, FlowEntry* e,
                       uint64_t now) {
    const PacketMeta& m = w.meta[i];
    const bool from_init = w.ps[i].src_is_a == (e->init_is_a != 0);
    // Replies come from the other port; a "reply" on the initiator's port is
    // a forged packet trying to ride the flow.
    const unsigned expect = from_init ? e->init_side : e->init_side ^ 1u;
    if (side != expect) {
        AuditWho who{e->src_class, e->dst_class, e->src_zone, e->dst_zone, e->rule};
        decide(w, i, Action::Drop, stats::Verdict::Denied, Reason::SpoofedSide, Path::Established,
               class_slot(w, e->deciding_class), kNoRuleSlot, now);
        audit(w, t, i, who, stats::Verdict::Denied, Reason::SpoofedSide, now);
        return true;
    }
    if (m.proto == 6 && e->tcp == TcpState::Closed && tcp_is_initial_syn(m.tcp_flags)) {
        w.flows.remove(e);  // the tuple is reused by a new connection
        return false;
    }
    // Identity holds on the established path too: the 5-tuple alone is not
    // the flow. A frame from another MAC than the end it claims to be is
    // forged (or another host took an address): it must not ride the flow.
    const uint8_t* mac = from_init ? e->init_src_mac : e->init_dst_mac;
    if (!same_mac(m.src_mac, mac)) [[unlikely]] {
        // The initiator sent to a group MAC (multicast-MAC clusters): the
        // responder's MAC is learned from its first packet.
        if (!from_init && (e->init_dst_mac[0] & 1) != 0) {
            std::memcpy(e->init_dst_mac, m.src_mac, 6);
        } else {
            AuditWho who{e->src_class, e->dst_class, e->src_zone, e->dst_zone, e->rule};
            decide(w, i, Action::Drop, stats::Verdict::Denied, Reason::FlowMacMismatch,
                   Path::Established, class_slot(w, e->deciding_class), kNoRuleSlot, now);
            audit(w, t, i, who, stats::Verdict::Denied, Reason::FlowMacMismatch, now);
            return true;
        }
    }
    if (e->generation != t->generation()) {
        // Lazy re-evaluation after a reload: the cached verdict is only
        // trusted for the generation that produced it.
        w.stats->inc(kCtrFlowsReevaluated);
        PacketMeta im;
        initiator_meta(*e, im);
        const PacketMeta* pm = &im;
        Ident s = t->identify_src(im, e->init_side), d = t->identify_dst(im, e->init_side);
        FlowDecision dec;
        t->classify(&pm, &s, &d, &dec, 1);
        flow_store_decision(*e, s, d, dec, t->generation());
        if (dec.action == Action::Drop) {
            w.stats->inc(kCtrFlowsRevoked);
            AuditWho who{s.class_id, d.class_id, s.zone_id, d.zone_id, dec.rule};
            const Reason r = dec.reason == Reason::None ? Reason::PolicyDeny : dec.reason;
            decide(w, i, Action::Drop, stats::Verdict::Denied, r, Path::Established,
                   class_slot(w, dec.deciding_class), rule_slot(w, dec.rule, dec.deciding_class),
                   now);
            audit(w, t, i, who, stats::Verdict::Denied, s.spoofed ? Reason::SpoofedBinding : r,
                  now);
            w.flows.remove(e);
            return true;
        }
        if (e->l7) l7_rebind(w, t, *e);
    }
    if (m.proto == 6) e->tcp = tcp_next(e->tcp, e->fins, m.tcp_flags, from_init);
    e->expires = now + w.to.for_entry(*e);
    // The one test constrained flows cost the fast path: set only while a
    // first payload is awaited or confirmed, or after an L7 denial.
    if (e->l7) [[unlikely]]
        if (stage_l7(w, t, i, *e, from_init, now)) return true;
    const auto a = static_cast<Action>(e->action);
    decide(w, i, a, verdict_of(a), static_cast<Reason>(e->reason), Path::Established,
           class_slot(w, e->deciding_class), rule_slot(w, e->rule, e->deciding_class), now);
    return true;
}

}  // namespace wg::dp
