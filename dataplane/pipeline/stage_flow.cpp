#include <cstring>

#include "pipeline/stages.hpp"
#include "pipeline/verdict.hpp"

namespace wg::dp {
namespace {

// The initiator's packet as the classifier saw it, rebuilt from the entry.
void initiator_meta(const FlowEntry& e, const FlowCold& c, PacketMeta& m) {
    m = PacketMeta{};
    m.kind = L2Kind::Ip;
    m.family = e.key.family;
    m.proto = e.key.proto;
    m.vlan = e.key.vlan;
    std::memcpy(m.src, e.init_is_a() ? e.key.a : e.key.b, 16);
    std::memcpy(m.dst, e.init_is_a() ? e.key.b : e.key.a, 16);
    m.sport = c.init_sport;
    m.dport = c.init_dport;
    if (is_icmp(m.proto)) {
        m.icmp_type = static_cast<uint8_t>(c.init_dport >> 8);
        m.icmp_code = static_cast<uint8_t>(c.init_dport);
    }
    if (m.proto == 6) m.tcp_flags = kTcpSyn;
    std::memcpy(m.src_mac, c.init_src_mac, 6);
    std::memcpy(m.dst_mac, c.init_dst_mac, 6);
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

void flow_store_decision(WorkerCtx& w, FlowEntry& e, const Ident& s, const Ident& d,
                         const FlowDecision& dec, uint64_t generation) {
    FlowCold& c = w.flows.cold(e);
    c.src_class = s.class_id;
    c.dst_class = d.class_id;
    c.src_zone = s.zone_id;
    c.dst_zone = d.zone_id;
    c.deciding_class = dec.deciding_class;
    c.rule = dec.rule;
    c.reason = static_cast<uint8_t>(dec.reason);
    e.action = static_cast<uint8_t>(dec.action);
    e.generation = static_cast<uint32_t>(generation);
    e.bits = static_cast<uint8_t>(e.bits & ~FlowEntry::kSlotsValid);
    flow_cache_slots(w, e);
}

void flow_cache_slots(WorkerCtx& w, FlowEntry& e) {
    // The counter slots of the decision, resolved once per decision instead
    // of twice per packet; without a map (a reload in progress) they are
    // resolved when it arrives.
    if (!w.map) {
        e.cls_slot = kNoSlot;
        e.rule_slot = 0xffff;
        return;
    }
    const FlowCold& c = w.flows.cold(e);
    e.cls_slot = class_slot(w, c.deciding_class);
    const uint32_t r = rule_slot(w, c.rule, c.deciding_class);
    e.rule_slot = static_cast<uint16_t>(r < 0xffff ? r : 0xffff);
    e.bits |= FlowEntry::kSlotsValid;
}

bool stage_established(WorkerCtx& w, const PolicyTables* t, unsigned side, unsigned i, FlowEntry* e,
                       uint64_t now) {
    const PacketMeta& m = w.meta[i];
    const bool from_init = w.ps[i].src_is_a == e->init_is_a();
    // Replies come from the other port; a "reply" on the initiator's port is
    // a forged packet trying to ride the flow.
    const unsigned expect = from_init ? e->init_side() : e->init_side() ^ 1u;
    if (side != expect) {
        const FlowCold& c = w.flows.cold(*e);
        AuditWho who{c.src_class, c.dst_class, c.src_zone, c.dst_zone, c.rule};
        decide(w, i, Action::Drop, stats::Verdict::Denied, Reason::SpoofedSide, Path::Established,
               class_slot(w, c.deciding_class), kNoRuleSlot, now);
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
    // The hot line holds a keyed fingerprint of the (initiator, responder)
    // MAC pair; the packet's pair in the initiator's orientation matches it
    // in the common case. Otherwise the exact source-MAC check decides on
    // the cold half (a new next-hop MAC, a group-MAC responder to learn).
    const uint32_t fp =
        from_init ? w.flows.mac_fp(m.src_mac, m.dst_mac) : w.flows.mac_fp(m.dst_mac, m.src_mac);
    if (fp != e->mac_fp) [[unlikely]] {
        FlowCold& c = w.flows.cold(*e);
        const uint8_t* mac = from_init ? c.init_src_mac : c.init_dst_mac;
        if (!same_mac(m.src_mac, mac)) {
            // The initiator sent to a group MAC (multicast-MAC clusters): the
            // responder's MAC is learned from its first packet.
            if (!from_init && (c.init_dst_mac[0] & 1) != 0) {
                std::memcpy(c.init_dst_mac, m.src_mac, 6);
                e->mac_fp = w.flows.mac_fp(c.init_src_mac, c.init_dst_mac);
            } else {
                AuditWho who{c.src_class, c.dst_class, c.src_zone, c.dst_zone, c.rule};
                decide(w, i, Action::Drop, stats::Verdict::Denied, Reason::FlowMacMismatch,
                       Path::Established, class_slot(w, c.deciding_class), kNoRuleSlot, now);
                audit(w, t, i, who, stats::Verdict::Denied, Reason::FlowMacMismatch, now);
                return true;
            }
        }
    }
    if (e->generation != static_cast<uint32_t>(t->generation())) {
        // Lazy re-evaluation after a reload: the cached verdict is only
        // trusted for the generation that produced it.
        w.stats->inc(kCtrFlowsReevaluated);
        PacketMeta im;
        initiator_meta(*e, w.flows.cold(*e), im);
        const PacketMeta* pm = &im;
        Ident s = t->identify_src(im, e->init_side()), d = t->identify_dst(im, e->init_side());
        FlowDecision dec;
        t->classify(&pm, &s, &d, &dec, 1);
        flow_store_decision(w, *e, s, d, dec, t->generation());
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
    } else if (!(e->bits & FlowEntry::kSlotsValid) && w.map) [[unlikely]] {
        flow_cache_slots(w, *e);
    }
    if (m.proto == 6) {
        uint8_t fins = e->fins();
        e->tcp = tcp_next(e->tcp, fins, m.tcp_flags, from_init);
        e->set_fins(fins);
    }
    e->expires = now + w.to.for_entry(*e);
    // The one test constrained flows cost the fast path: set only while a
    // first payload is awaited or confirmed, or after an L7 denial.
    if (e->l7) [[unlikely]]
        if (stage_l7(w, t, i, *e, from_init, now)) return true;
    // A stored verdict forwards (a denied flow is not stored), and the
    // reason of a forwarded packet is not counted: the cold half stays cold.
    const auto a = static_cast<Action>(e->action);
    const Reason r =
        a == Action::Drop ? static_cast<Reason>(w.flows.cold(*e).reason) : Reason::None;
    decide(w, i, a, verdict_of(a), r, Path::Established, e->cls_slot,
           e->rule_slot == 0xffff ? kNoRuleSlot : e->rule_slot, now);
    return true;
}

}  // namespace wg::dp
