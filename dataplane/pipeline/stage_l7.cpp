// L7 first-payload inspection of flows whose allow rule carries constraints
// (docs/protocol-inspection.md, "Dataplane enforcement"). The flow is allowed
// at L4 as usual; the first data the initiator sends decides:
//  - TCP: the initiator's in-order bytes from ISN + 1 go into a per-lcore
//    pool slot (512 B); inspect() runs whenever the prefix grows. In-order
//    segments are forwarded while the parser needs more (every parser
//    decides no later than the byte that completes the first message), a
//    segment starting beyond the prefix is dropped (the sender retransmits
//    it after the gap), a retransmission rewriting accepted bytes denies.
//  - UDP: the first datagram is the whole message.
//  - Violation: the deciding packet is dropped and the flow denied (both
//    directions); monitor-mode classes forward it and record a would-deny.
//  - No verdict possible (pool empty, budget full, 5 s timeout): the owner
//    class's on_failure (open: forward, audit uninspected; closed: drop).
// Everything here runs only for flows with FlowEntry::l7 != None; the
// established fast path pays one predictable branch for it.
#include <rte_mbuf.h>

#include <cstring>

#include "contract/l7_reason.hpp"
#include "l7/rst_frame.hpp"
#include "pipeline/stages.hpp"
#include "pipeline/verdict.hpp"

namespace wg::dp {
namespace {

// The L4 payload of burst slot i, copied to `buf` only when the mbuf is
// segmented. TCP: also the sequence and acknowledgment numbers.
struct Segment {
    l7::Bytes payload;
    uint32_t seq = 0, ack = 0;
    bool ok = false;
};

Segment read_segment(const WorkerCtx& w, unsigned i, uint8_t* buf, uint32_t cap) {
    Segment s;
    const PacketMeta& m = w.meta[i];
    const rte_mbuf* pkt = w.pkts[i];
    uint32_t hlen = 8;
    if (m.proto == 6) {
        uint8_t h[16];
        const auto* p = static_cast<const uint8_t*>(rte_pktmbuf_read(pkt, m.l4_offset, 16, h));
        if (!p) return s;
        s.seq = uint32_t(p[4]) << 24 | uint32_t(p[5]) << 16 | uint32_t(p[6]) << 8 | p[7];
        s.ack = uint32_t(p[8]) << 24 | uint32_t(p[9]) << 16 | uint32_t(p[10]) << 8 | p[11];
        hlen = uint32_t(p[12] >> 4) * 4;
    }
    if (m.l4_len < hlen) return s;
    uint32_t len = m.l4_len - hlen;
    if (len > cap) len = cap;  // more than the budget is never needed at once
    if (len) {
        const auto* p =
            static_cast<const uint8_t*>(rte_pktmbuf_read(pkt, m.l4_offset + hlen, len, buf));
        if (!p) return s;
        s.payload = l7::Bytes(p, len);
    }
    s.ok = true;
    return s;
}

AuditWho who_of(WorkerCtx& w, const FlowEntry& e) {
    const FlowCold& c = w.flows.cold(e);
    return AuditWho{c.src_class, c.dst_class, c.src_zone, c.dst_zone, c.rule};
}

void settle(WorkerCtx& w, unsigned i, const FlowEntry& e, Action a, stats::Verdict v, Reason r,
            Path p, uint64_t now) {
    const FlowCold& c = w.flows.cold(e);
    decide(w, i, a, v, r, p, class_slot(w, c.deciding_class),
           rule_slot(w, c.rule, c.deciding_class), now);
}

Path path_of(const FlowEntry& e) {
    return e.tcp == TcpState::SynSent ? Path::NewFlow : Path::Established;
}

// No verdict could be reached: the owner class's on_failure. Returns true
// if the packet was settled (dropped).
bool fail(WorkerCtx& w, const PolicyTables* t, unsigned i, FlowEntry& e, const L7Entry& ent,
          uint64_t now) {
    l7_release(w, e);
    w.stats->l7_count(class_slot(w, ent.owner_class), unsigned(ent.proto), L7Outcome::Uninspected);
    if (ent.fail_closed) {
        e.l7 = static_cast<uint8_t>(L7State::Denied);
        w.flows.cold(e).l7_reason = static_cast<uint8_t>(Reason::L7Uninspected);
        settle(w, i, e, Action::Drop, stats::Verdict::Denied, Reason::L7Uninspected, path_of(e),
               now);
        audit(w, t, i, who_of(w, e), stats::Verdict::Denied, Reason::L7Uninspected, now);
        return true;
    }
    e.l7 = static_cast<uint8_t>(L7State::None);
    audit(w, t, i, who_of(w, e), stats::Verdict::Allowed, Reason::L7Uninspected, now);
    return false;
}

// on_violation: reset: a TCP reset to each end, built from the violating
// segment (l7/rst_frame.hpp) into two mbufs of the segment's own pool and
// queued for the worker to send: toward the client on the port it arrived on,
// toward the server on the other one. Pool empty or queue full: no resets
// (the segment is dropped all the same). Returns true if both were queued.
bool queue_resets(WorkerCtx& w, unsigned i) {
    const rte_mbuf* pkt = w.pkts[i];
    const unsigned back = w.meta[i].arrival & 1u, fwd = back ^ 1u;
    if (w.n_resets[back] >= kMaxResets || w.n_resets[fwd] >= kMaxResets) return false;
    uint8_t head[l7::kRstInputMax];
    const uint32_t len =
        rte_pktmbuf_pkt_len(pkt) < sizeof head ? rte_pktmbuf_pkt_len(pkt) : uint32_t(sizeof head);
    const auto* p = static_cast<const uint8_t*>(rte_pktmbuf_read(pkt, 0, len, head));
    l7::RstFrames f;
    if (!p || !l7::build_tcp_resets(l7::Bytes(p, len), f)) return false;
    rte_mbuf* m[2] = {rte_pktmbuf_alloc(pkt->pool), rte_pktmbuf_alloc(pkt->pool)};
    char* d[2] = {m[0] ? rte_pktmbuf_append(m[0], f.to_client_len) : nullptr,
                  m[1] ? rte_pktmbuf_append(m[1], f.to_server_len) : nullptr};
    if (!d[0] || !d[1]) {
        rte_pktmbuf_free(m[0]);  // NULL-safe
        rte_pktmbuf_free(m[1]);
        return false;
    }
    std::memcpy(d[0], f.to_client, f.to_client_len);
    std::memcpy(d[1], f.to_server, f.to_server_len);
    m[0]->port = m[1]->port = pkt->port;
    w.resets[back][w.n_resets[back]++] = m[0];
    w.resets[fwd][w.n_resets[fwd]++] = m[1];
    return true;
}

// A verdict on the first payload. Returns true if the packet was settled.
bool judged(WorkerCtx& w, const PolicyTables* t, unsigned i, FlowEntry& e, const L7Entry& ent,
            l7::Status st, l7::Reason why, const l7::AuditValue& value, uint64_t now) {
    const uint16_t cs = class_slot(w, ent.owner_class);
    const auto proto = unsigned(ent.proto);
    w.stats->l7_count(cs, proto, L7Outcome::Inspected);
    if (st == l7::Status::Ok) {
        w.stats->l7_count(cs, proto, L7Outcome::Allowed);
        // TCP keeps its slot until the responder ACKs the prefix (a
        // rewritten retransmission of judged bytes must still be caught).
        e.l7 = static_cast<uint8_t>(w.flows.cold(e).l7_slot ? L7State::Confirm : L7State::None);
        return false;
    }
    w.stats->l7_count(cs, proto, L7Outcome::Violated);
    l7_release(w, e);
    const Reason r = contract::l7_reason(why);
    if (ent.monitor) {
        e.l7 = static_cast<uint8_t>(L7State::None);
        settle(w, i, e, Action::ForwardRecord, stats::Verdict::WouldDeny, r, path_of(e), now);
        audit(w, t, i, who_of(w, e), stats::Verdict::WouldDeny, r, now, ent.proto, &value);
        return true;
    }
    e.l7 = static_cast<uint8_t>(L7State::Denied);
    w.flows.cold(e).l7_reason = static_cast<uint8_t>(r);
    settle(w, i, e, Action::Drop, stats::Verdict::Denied, r, path_of(e), now);
    audit(w, t, i, who_of(w, e), stats::Verdict::Denied, r, now, ent.proto, &value);
    // One pair per flow: later packets are l7_flow_denied, never judged again.
    if (ent.reset && e.key.proto == 6 && queue_resets(w, i))
        w.stats->l7_count(cs, proto, L7Outcome::Reset);
    return true;
}

// An initiator TCP segment while the flow awaits or confirms its verdict.
bool tcp_from_initiator(WorkerCtx& w, const PolicyTables* t, unsigned i, FlowEntry& e,
                        const L7Entry& ent, uint64_t now) {
    const PacketMeta& m = w.meta[i];
    const auto state = static_cast<L7State>(e.l7);
    if (state == L7State::Await && (m.tcp_flags & kTcpSyn) && !w.flows.cold(e).l7_slot) {
        // A retransmitted SYN (possibly a new ISN): the first byte follows it.
        uint8_t none[1];
        Segment s = read_segment(w, i, none, 0);
        if (s.ok) w.flows.cold(e).l7_seq = s.seq + 1;
    }
    if (m.frag) {
        // A fragmented data segment cannot be fed in order; before a verdict
        // it is held back like an out-of-order one (LANs do not fragment TCP).
        if (state != L7State::Await) return false;
        settle(w, i, e, Action::Drop, stats::Verdict::Denied, Reason::L7OutOfOrder, path_of(e),
               now);
        return true;
    }
    uint8_t buf[l7::kFlowBudget];
    Segment s = read_segment(w, i, buf, sizeof buf);
    if (!s.ok || s.payload.empty()) return false;  // ACK, FIN, RST: nothing to judge
    if (m.tcp_flags & kTcpSyn) ++s.seq;            // data on a SYN follows the ISN
    if (!w.flows.cold(e).l7_slot) {
        if (state != L7State::Await) return false;
        const l7::SlotId id = w.l7pool.acquire(w.flows.cold(e).l7_seq, now);
        if (id == l7::kNoSlot) return fail(w, t, i, e, ent, now);
        w.l7_owner[id] = &e;
        w.flows.cold(e).l7_slot = id + 1;
    }
    const l7::SlotId id = w.flows.cold(e).l7_slot - 1;
    const l7::Feed f = w.l7pool.feed(id, s.seq, s.payload);
    if (f == l7::Feed::Mismatch) {
        l7::AuditValue none;
        return judged(w, t, i, e, ent, l7::Status::Violation, l7::Reason::TcpOverlapMismatch, none,
                      now);
    }
    if (state == L7State::Confirm) return false;  // judged: later data passes
    if (f == l7::Feed::OutOfOrder) {
        settle(w, i, e, Action::Drop, stats::Verdict::Denied, Reason::L7OutOfOrder, path_of(e),
               now);
        return true;
    }
    if (w.l7pool.expired(id, now, w.l7_timeout)) return fail(w, t, i, e, ent, now);
    if (f == l7::Feed::Duplicate) return false;  // bytes already forwarded, identical
    const l7::Verdict v = l7::inspect(ent.c, w.l7pool.prefix(id));
    if (v.status != l7::Status::NeedMore)
        return judged(w, t, i, e, ent, v.status, v.reason, v.value, now);
    if (w.l7pool.full(id) || v.need > l7::kFlowBudget) return fail(w, t, i, e, ent, now);
    return false;  // in order, undecided: forwarded, the rest will follow
}

}  // namespace

void l7_release(WorkerCtx& w, FlowEntry& e) {
    if (!w.flows.cold(e).l7_slot) return;
    const l7::SlotId id = w.flows.cold(e).l7_slot - 1;
    w.l7pool.release(id);
    w.l7_owner[id] = nullptr;
    w.flows.cold(e).l7_slot = 0;
}

bool l7_start(WorkerCtx& w, const PolicyTables* t, unsigned i, FlowEntry& e, uint64_t now) {
    const uint16_t id = t->l7().id_of_rule(w.flows.cold(e).rule);
    if (id == kNoL7) return false;
    const PacketMeta& m = w.meta[i];
    const L7Entry& ent = t->l7().at(id);
    w.flows.cold(e).l7_id = id;
    if (m.proto == 6) {
        // Records the first byte's sequence number (ISN + 1); data on the
        // SYN (TCP Fast Open) is judged like any first segment.
        e.l7 = static_cast<uint8_t>(L7State::Await);
        return tcp_from_initiator(w, t, i, e, ent, now);
    }
    // UDP (NTP): the datagram is the whole first message.
    uint8_t buf[l7::kFlowBudget];
    Segment s = read_segment(w, i, buf, sizeof buf);
    if (!s.ok || m.frag) {
        e.l7 = static_cast<uint8_t>(L7State::Await);
        return fail(w, t, i, e, ent, now);
    }
    const l7::Verdict v = l7::inspect(ent.c, s.payload);
    if (v.status == l7::Status::NeedMore) return fail(w, t, i, e, ent, now);
    return judged(w, t, i, e, ent, v.status, v.reason, v.value, now);
}

bool stage_l7(WorkerCtx& w, const PolicyTables* t, unsigned i, FlowEntry& e, bool from_init,
              uint64_t now) {
    const auto state = static_cast<L7State>(e.l7);
    if (state == L7State::Denied) {
        settle(w, i, e, Action::Drop, stats::Verdict::Denied, Reason::L7FlowDenied,
               Path::Established, now);
        return true;
    }
    if (w.flows.cold(e).l7_id == kNoL7 ||
        w.flows.cold(e).l7_id >= t->l7().size()) {  // defensive: no table entry
        l7_release(w, e);
        e.l7 = static_cast<uint8_t>(L7State::None);
        return false;
    }
    const L7Entry& ent = t->l7().at(w.flows.cold(e).l7_id);
    if (state == L7State::Expired) {
        if (fail(w, t, i, e, ent, now)) return true;
        return false;
    }
    if (from_init) {
        if (e.key.proto != 6) return false;  // UDP: judged on its first datagram
        return tcp_from_initiator(w, t, i, e, ent, now);
    }
    // The responder: its cumulative ACK covering the judged prefix releases
    // the slot and puts the flow on the fast path.
    if (state == L7State::Confirm && w.flows.cold(e).l7_slot && (w.meta[i].tcp_flags & kTcpAck)) {
        uint8_t none[1];
        Segment s = read_segment(w, i, none, 0);
        if (s.ok && w.l7pool.acked(w.flows.cold(e).l7_slot - 1, s.ack)) {
            l7_release(w, e);
            e.l7 = static_cast<uint8_t>(L7State::None);
        }
    }
    return false;
}

void l7_rebind(WorkerCtx& w, const PolicyTables* t, FlowEntry& e) {
    const auto state = static_cast<L7State>(e.l7);
    if (state == L7State::None || state == L7State::Denied) return;
    const uint16_t id = t->l7().id_of_rule(w.flows.cold(e).rule);
    w.flows.cold(e).l7_id = id;
    if (id == kNoL7) {
        l7_release(w, e);
        e.l7 = static_cast<uint8_t>(L7State::None);
    }
}

void l7_sweep(WorkerCtx& w, uint64_t now) {
    const uint32_t cap = w.l7pool.capacity();
    if (w.l7pool.in_use() == 0) return;
    for (unsigned k = 0; k < kL7SweepSlots; ++k) {
        const uint32_t id = w.l7_sweep;
        w.l7_sweep = id + 1 == cap ? 0 : id + 1;
        FlowEntry* e = w.l7_owner[id];
        if (!e || !w.l7pool.expired(id, now, w.l7_timeout)) continue;
        const bool confirmed = e->l7 == static_cast<uint8_t>(L7State::Confirm);
        l7_release(w, *e);
        // Judged flows just lose the retransmission check; undecided ones
        // get on_failure with their next packet (which the audit needs).
        e->l7 = static_cast<uint8_t>(confirmed ? L7State::None : L7State::Expired);
    }
}

}  // namespace wg::dp
