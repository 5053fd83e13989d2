#include "lifecycle/replay.hpp"

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "contract/l7_reason.hpp"
#include "flow/flow_key.hpp"
#include "flow/tcp_state.hpp"
#include "l7/accumulator.hpp"
#include "l7/constraint.hpp"
#include "parse/admission_check.hpp"
#include "parse/parser.hpp"
#include "policy/essentials.hpp"
#include "policy/l7_rule.hpp"
#include "policy/net.hpp"
#include "policy/source_check.hpp"

namespace wg::lifecycle {

using contract::Reason;
using dp::L2Kind;
using dp::PacketMeta;
using policy::Side;
using policy::Verdict;

const char* action_name(PacketAction a) {
    switch (a) {
        case PacketAction::Forward:
            return "forward";
        case PacketAction::Drop:
            return "drop";
        case PacketAction::ForwardRecord:
            return "forward-record";
    }
    return "?";
}

std::string FlowReport::key() const {
    std::string s = std::to_string(proto) + " " + policy::net::format_addr(src, family) + " " +
                    std::to_string(sport) + " " + policy::net::format_addr(dst, family) + " " +
                    std::to_string(dport) + " " + std::to_string(vlan);
    return s;
}

namespace {

// Later fragments follow their first fragment's verdict for this long
// (dataplane/pipeline/worker_ctx.hpp kFragTtlMs).
constexpr uint64_t kFragTtlNs = 5000ull * 1000000ull;
constexpr uint64_t kNs = 1000000000ull;

struct KeyHash {
    size_t operator()(const dp::FlowKey& k) const {
        // FNV-1a over the packed key: replay is not a hot path.
        uint64_t h = 1469598103934665603ull;
        const auto* b = reinterpret_cast<const uint8_t*>(&k);
        for (size_t i = 0; i < sizeof(k); ++i) h = (h ^ b[i]) * 1099511628211ull;
        return size_t(h);
    }
};

struct FragKey {
    uint8_t src[16], dst[16];
    uint32_t id;
    uint16_t vlan;
    uint8_t proto, family;
    friend bool operator==(const FragKey& a, const FragKey& b) {
        return std::memcmp(&a, &b, sizeof(FragKey)) == 0;
    }
};
struct FragHash {
    size_t operator()(const FragKey& k) const {
        uint64_t h = 1469598103934665603ull;
        const auto* b = reinterpret_cast<const uint8_t*>(&k);
        for (size_t i = 0; i < sizeof(k); ++i) h = (h ^ b[i]) * 1099511628211ull;
        return size_t(h);
    }
};

FragKey frag_key(const PacketMeta& m) {
    FragKey k;
    std::memset(&k, 0, sizeof(k));
    std::memcpy(k.src, m.src, 16);
    std::memcpy(k.dst, m.dst, 16);
    k.id = m.frag_id;
    k.vlan = m.vlan;
    k.proto = m.proto;
    k.family = m.family;
    return k;
}

struct FragRec {
    PacketResult r;
    uint64_t expires;
};

// L7 first-payload state of a flow (dataplane/pipeline/worker_ctx.hpp L7State).
enum class L7St : uint8_t { None, Await, Confirm, Denied, Expired };

// An undecided first payload waits this long (worker_ctx.hpp kL7TimeoutMs).
constexpr uint64_t kL7TimeoutNs = 5000ull * 1000000ull;

// A rule's constraint as the dataplane's L7 table holds it.
struct L7Rule {
    l7::Constraint c;
    bool monitor = false, fail_closed = false;
    std::string protocol;
};

// One's-complement sum of `n` bytes, folded to 16 bits later.
uint32_t raw_sum(const uint8_t* p, size_t n, uint32_t sum) {
    for (size_t i = 0; i + 1 < n; i += 2) sum += uint32_t(p[i]) << 8 | p[i + 1];
    if (n & 1) sum += uint32_t(p[n - 1]) << 8;
    return sum;
}

// The software transport checksum check (dataplane/parse/l4_checksum.hpp,
// which needs an mbuf): what the dataplane does on a port that reports no RX
// checksum flags, as a capture has none. Sets the TransportChecksum bit.
void check_l4_checksum(const uint8_t* data, uint32_t len, PacketMeta& m) {
    if (m.kind != L2Kind::Ip || m.frag != 0 || (m.proto != 6 && m.proto != 17)) return;
    if (uint32_t(m.l4_offset) + m.l4_len > len) return;  // not all captured: cannot tell
    const uint8_t* l4 = data + m.l4_offset;
    if (m.proto == 17 && m.family == 4 && m.l4_len >= 8 && l4[6] == 0 && l4[7] == 0) return;
    uint8_t ph[40];
    const size_t n = dp::l4_pseudo_header(m, ph);
    uint32_t sum = raw_sum(l4, m.l4_len, raw_sum(ph, n, 0));
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    if (sum != 0xffff)
        m.anomalies |= uint16_t(policy::admission_bit(policy::AdmissionCheck::TransportChecksum));
}

// The L4 payload of the current frame; TCP: also its sequence number.
struct Segment {
    l7::Bytes payload;
    uint32_t seq = 0;
    bool ok = false;
};

Segment read_segment(const uint8_t* data, uint32_t len, const PacketMeta& m) {
    Segment s;
    uint32_t hlen = 8;
    if (uint32_t(m.l4_offset) + m.l4_len > len) return s;
    const uint8_t* p = data + m.l4_offset;
    if (m.proto == 6) {
        if (m.l4_len < 16) return s;
        s.seq = uint32_t(p[4]) << 24 | uint32_t(p[5]) << 16 | uint32_t(p[6]) << 8 | p[7];
        hlen = uint32_t(p[12] >> 4) * 4;
    }
    if (m.l4_len < hlen) return s;
    uint32_t n = m.l4_len - hlen;
    if (n > l7::kFlowBudget) n = l7::kFlowBudget;  // more than the budget is never needed
    s.payload = l7::Bytes(p + hlen, n);
    s.ok = true;
    return s;
}

struct Entry {
    PacketAction action;
    Reason reason;
    uint8_t init_side;
    bool init_is_a;
    dp::TcpState tcp = dp::TcpState::SynSent;
    uint8_t fins = 0;
    uint64_t expires = 0;
    int64_t report = -1;
    // L7 (stage_l7.cpp): state, the rule's constraint, the first byte's
    // sequence number, the accumulator slot, the denial's reason.
    L7St l7 = L7St::None;
    const L7Rule* l7rule = nullptr;
    uint32_t l7_seq = 0;
    l7::SlotId slot = l7::kNoSlot;
    Reason l7_reason = Reason::None;
};

Reason reason_of(const policy::Decision& d) {
    if (d.verdict == Verdict::Allow || d.verdict == Verdict::Bypass) return Reason::None;
    if (d.reason == "spoofed-source-side") return Reason::SpoofedSide;
    if (d.reason == "invalid-source") return Reason::InvalidSource;
    if (d.tier == policy::Tier::Guardrail) return Reason::Guardrail;
    if (d.tier == policy::Tier::Default)
        return d.src.spoofed ? Reason::SpoofedBinding : Reason::DefaultDeny;
    if (d.tier == policy::Tier::Essentials) return Reason::EssentialDrop;
    return Reason::PolicyDeny;
}

std::string loc_str(const policy::SourceLoc& l) {
    if (l.file.empty()) return {};
    return l.file + ":" + std::to_string(l.line) + ":" + std::to_string(l.column);
}

std::optional<Side> side_of(const policy::CompiledPolicy& p, const std::array<uint8_t, 16>& a,
                            uint8_t family) {
    int best = -1;
    std::optional<Side> side;
    for (auto [space, s] :
         {std::pair{&p.clinical_space, Side::Clinical}, std::pair{&p.core_space, Side::Core}})
        for (auto& pre : *space)
            if (policy::net::contains(pre, a, family) && int(pre.len) > best) {
                best = pre.len;
                side = s;
            }
    return side;
}

}  // namespace

struct Replay::Impl {
    const policy::CompiledPolicy& p;
    dp::EssentialsTable essentials;
    std::unordered_map<dp::FlowKey, Entry, KeyHash> flows;
    std::unordered_map<dp::FlowKey, int64_t, KeyHash> report_of;
    std::unordered_map<FragKey, FragRec, FragHash> frags;
    std::vector<FlowReport> reports;
    std::map<std::string, uint64_t> counts;
    uint64_t overflow = 0;
    uint64_t to_syn, to_est, to_closed, to_udp, to_other;

    FlowSink* sink = nullptr;
    uint64_t fed = 0;

    // L7: one pool (the dataplane has one per lcore), each constrained
    // rule's compiled constraint (built once), the frame being judged.
    l7::FirstPayloadPool pool;
    std::vector<Entry*> slot_owner = std::vector<Entry*>(pool.capacity(), nullptr);
    std::unordered_map<uint32_t, std::unique_ptr<L7Rule>> l7rules;
    const uint8_t* cur = nullptr;
    uint32_t cur_len = 0;
    bool verify_l4 = true;

    // Expired flow state is dropped lazily on lookup; with a sink (long
    // captures) also swept every 65536 packets.
    void sweep(uint64_t ts) {
        if (!sink || ++fed % 65536) return;
        for (auto it = flows.begin(); it != flows.end();)
            it = it->second.expires <= ts ? erase(it) : std::next(it);
        for (auto it = frags.begin(); it != frags.end();)
            it = it->second.expires <= ts ? frags.erase(it) : std::next(it);
    }

    using FlowIt = std::unordered_map<dp::FlowKey, Entry, KeyHash>::iterator;
    FlowIt erase(FlowIt it) {
        release(it->second);
        return flows.erase(it);
    }
    void release(Entry& e) {
        if (e.slot == l7::kNoSlot) return;
        pool.release(e.slot);
        slot_owner[e.slot] = nullptr;
        e.slot = l7::kNoSlot;
    }

    // The dataplane's l7_sweep, run when the pool has no free slot (its
    // sweep runs continuously; a slot it would have freed is free here):
    // judged flows lose the retransmission check, undecided ones get
    // on_failure with their next packet.
    void sweep_l7(uint64_t ts) {
        for (Entry* e : slot_owner) {
            if (!e || !pool.expired(e->slot, ts, kL7TimeoutNs)) continue;
            const bool confirmed = e->l7 == L7St::Confirm;
            release(*e);
            e->l7 = confirmed ? L7St::None : L7St::Expired;
        }
    }

    explicit Impl(const policy::CompiledPolicy& pol) : p(pol) {
        essentials.build(p.essentials);
        const auto& s = p.settings;
        to_syn = s.flow_timeout_tcp_syn_s * kNs;
        to_est = s.flow_timeout_tcp_est_s * kNs;
        to_closed = s.flow_timeout_tcp_closed_s * kNs;
        to_udp = s.flow_timeout_udp_s * kNs;
        to_other = s.flow_timeout_other_s * kNs;
    }

    uint64_t timeout(const dp::FlowKey& k, const Entry& e) const {
        if (k.proto == 6) {
            switch (e.tcp) {
                case dp::TcpState::SynSent:
                case dp::TcpState::SynAck:
                    return to_syn;
                case dp::TcpState::Established:
                case dp::TcpState::Closing:
                    return to_est;
                case dp::TcpState::Closed:
                    return to_closed;
            }
        }
        return k.proto == 17 ? to_udp : to_other;
    }

    PacketResult settle(const PacketMeta& m, PacketAction a, Reason r, const char* what,
                        uint64_t ts) {
        counts[std::string(action_name(a)) + "/" + (r == Reason::None ? what : reason_name(r))]++;
        PacketResult res{a, r, -1};
        remember_frag(m, res, ts);
        return res;
    }

    void remember_frag(const PacketMeta& m, const PacketResult& res, uint64_t ts) {
        // The first fragment decides for the later ones (dataplane decide()).
        if (m.kind == L2Kind::Ip && m.frag == 1) frags[frag_key(m)] = FragRec{res, ts + kFragTtlNs};
    }

    policy::Tuple tuple(const PacketMeta& m, Side side) const {
        policy::Tuple t;
        t.family = m.family;
        std::memcpy(t.src.data(), m.src, 16);
        std::memcpy(t.dst.data(), m.dst, 16);
        t.proto = m.proto;
        if (m.proto == 6 || m.proto == 17) {
            t.sport = m.sport;
            t.dport = m.dport;
        }
        t.vlan = m.vlan;
        std::array<uint8_t, 6> sm, dm;
        std::memcpy(sm.data(), m.src_mac, 6);
        std::memcpy(dm.data(), m.dst_mac, 6);
        t.src_mac = sm;
        t.dst_mac = dm;
        t.arrival = side;
        if (m.proto == 1 || m.proto == 58) t.icmp_type = m.icmp_type;
        return t;
    }

    // The telemetry bypass as the evaluator states it (evaluate.cpp step 2).
    // The hardened bypass, as the dataplane's (policy/bypass.* and
    // stage_pre): an entry takes only frames arriving on its side, from a
    // source address of its class and, where the inventory gives that host
    // a MAC, from that MAC; a source the source check refuses (the other
    // side's, or never valid on this port) takes none. Anything else on
    // those ports falls through to the policy.
    const policy::BypassEntry* bypass(const PacketMeta& m, Side side) const {
        if (m.proto != 17) return nullptr;
        std::array<uint8_t, 16> s, d;
        std::memcpy(s.data(), m.src, 16);
        std::memcpy(d.data(), m.dst, 16);
        for (const auto& b : p.bypass) {
            if (b.vlan != policy::kAnyVlan && b.vlan != m.vlan) continue;
            if (m.dport < b.dports.lo || m.dport > b.dports.hi) continue;
            if (b.side != uint8_t(side)) continue;
            auto in = [&](const std::vector<policy::IpPrefix>& v,
                          const std::array<uint8_t, 16>& a) {
                return std::any_of(v.begin(), v.end(), [&](const policy::IpPrefix& x) {
                    return policy::net::contains(x, a, m.family);
                });
            };
            if (!b.src.empty()) {
                bool from_sender = false;
                for (size_t i = 0; i < b.src.size() && !from_sender; ++i) {
                    if (!policy::net::contains(b.src[i], s, m.family)) continue;
                    const bool mac_bound =
                        i < b.src_mac.size() && b.src_mac[i] != std::array<uint8_t, 6>{};
                    from_sender = !mac_bound || std::memcmp(m.src_mac, b.src_mac[i].data(), 6) == 0;
                }
                if (!from_sender) continue;
            }
            if (!in(b.dst, d)) continue;
            if (policy::check_source(p, tuple(m, side)).verdict != policy::SourceVerdict::Ok)
                return nullptr;  // the same for every entry: it is the source
            return &b;
        }
        return nullptr;
    }

    int64_t report(const dp::FlowKey& k, const PacketMeta& m, Side side, uint64_t ts,
                   const policy::Decision* d, Verdict v, Reason r, const std::string& rule,
                   const std::string& loc) {
        if (sink) {
            FlowReport f;
            fill_report(f, m, side, ts, d, v, r, rule, loc);
            return sink->on_flow(f, d);
        }
        auto it = report_of.find(k);
        if (it != report_of.end()) return it->second;
        if (reports.size() >= kMaxReports) {
            ++overflow;
            return -1;
        }
        FlowReport f;
        fill_report(f, m, side, ts, d, v, r, rule, loc);
        reports.push_back(std::move(f));
        report_of.emplace(k, int64_t(reports.size() - 1));
        return int64_t(reports.size() - 1);
    }

    static void fill_report(FlowReport& f, const PacketMeta& m, Side side, uint64_t ts,
                            const policy::Decision* d, Verdict v, Reason r, const std::string& rule,
                            const std::string& loc) {
        f.family = m.family;
        f.proto = m.proto;
        std::memcpy(f.src.data(), m.src, 16);
        std::memcpy(f.dst.data(), m.dst, 16);
        if (m.proto == 6 || m.proto == 17 || m.proto == 132) {
            f.sport = m.sport;
            f.dport = m.dport;
        } else if (m.proto == 1 || m.proto == 58) {
            f.dport = m.dport;  // type<<8|code of the first packet
        }
        f.vlan = m.vlan;
        f.arrival = side;
        if (d) {
            f.src_class = d->src.class_id;
            f.dst_class = d->dst.class_id;
        }
        f.verdict = v;
        f.reason = r;
        f.rule = rule;
        f.rule_loc = loc;
        f.first_ns = ts;
    }

    PacketResult account(PacketResult r, uint64_t ts) {
        if (sink) {
            if (r.flow >= 0) sink->on_packet(r.flow, ts);
            return r;
        }
        if (r.flow >= 0) {
            auto& f = reports[size_t(r.flow)];
            ++f.packets;
            if (r.action == PacketAction::Drop)
                ++f.dropped;
            else
                ++f.forwarded;
            f.last_ns = ts;
        }
        return r;
    }

    void decision_rule(const policy::Decision& d, std::string& rule, std::string& loc) const {
        if (d.tier == policy::Tier::Bypass && d.rule < p.bypass.size()) {
            rule = "bypass/" + p.bypass[d.rule].name;
            loc = loc_str(p.bypass[d.rule].loc);
        } else if (d.rule != policy::kNoRule && d.rule < p.rules.size()) {
            rule = p.rules[d.rule].name;
            loc = loc_str(p.rules[d.rule].loc);
        } else if (d.tier == policy::Tier::Default && d.deciding_class < p.classes.size()) {
            rule = p.classes[d.deciding_class].name + "/default";
            loc = loc_str(p.classes[d.deciding_class].loc);
        } else if (d.reason == "spoofed-source-side" || d.reason == "invalid-source") {
            rule = "anti-spoofing";
        }
    }

    PacketResult feed(const uint8_t* data, uint32_t len, uint32_t wire_len, uint64_t ts,
                      Side side) {
        PacketMeta m;
        sweep(ts);
        const uint32_t have = std::min(len, wire_len);
        dp::parse_frame(data, have, wire_len, m);
        cur = data;
        cur_len = have;
        if (m.kind == L2Kind::Malformed) return settle(m, PacketAction::Drop, m.reason, "", ts);
        // A capture carries no NIC checksum flags: software verification,
        // when the profile enforces it (dataplane/pipeline/pipeline.cpp).
        const auto& adm = p.admission;
        if (verify_l4 && adm.checksum == policy::ChecksumMode::Verify &&
            adm.enforces(policy::AdmissionCheck::TransportChecksum))
            check_l4_checksum(data, have, m);
        if (const Reason r = dp::admission_reason(adm, m, wire_len); r != Reason::None)
            return settle(m, PacketAction::Drop, r, "", ts);
        if (m.kind == L2Kind::Ip && m.reason != Reason::None)
            return settle(m, PacketAction::Drop, m.reason, "", ts);
        bool fwd = false;
        Reason why = Reason::None;
        if (essentials.decide(m, fwd, why)) {
            if (fwd) return settle(m, PacketAction::Forward, Reason::None, "essentials", ts);
            return settle(m, PacketAction::Drop, why == Reason::None ? Reason::EssentialDrop : why,
                          "", ts);
        }
        if (m.kind != L2Kind::Ip)
            return settle(m, PacketAction::Drop, Reason::EssentialDrop, "", ts);
        if (m.frag == 2) {
            auto it = frags.find(frag_key(m));
            if (it == frags.end() || it->second.expires <= ts)
                return settle(m, PacketAction::Drop, Reason::FragmentNoFlow, "", ts);
            PacketResult r = it->second.r;
            counts["follow/fragment"]++;
            return account(r, ts);
        }
        dp::FlowKey k;
        const bool src_is_a = dp::make_flow_key(m, k);
        if (const auto* b = bypass(m, side)) {
            PacketResult r{PacketAction::Forward, Reason::None, -1};
            policy::Decision d;
            d.src.class_id =
                b->src_class == policy::kAnyClass ? policy::kUnknownClass : b->src_class;
            d.dst.class_id =
                b->dst_class == policy::kAnyClass ? policy::kUnknownClass : b->dst_class;
            r.flow = report(k, m, side, ts, &d, Verdict::Bypass, Reason::None, "bypass/" + b->name,
                            loc_str(b->loc));
            remember_frag(m, r, ts);
            return account(r, ts);
        }
        PacketResult r = flow_step(m, k, src_is_a, side, ts);
        remember_frag(m, r, ts);
        return account(r, ts);
    }

    PacketResult flow_step(const PacketMeta& m, const dp::FlowKey& k, bool src_is_a, Side side,
                           uint64_t ts) {
        const unsigned sidx = side == Side::Clinical ? 0u : 1u;
        auto it = flows.find(k);
        if (it != flows.end() && it->second.expires <= ts) {
            erase(it);
            it = flows.end();
        }
        if (it != flows.end()) {
            Entry& e = it->second;
            const bool from_init = src_is_a == e.init_is_a;
            const unsigned expect = from_init ? e.init_side : e.init_side ^ 1u;
            if (sidx != expect) {
                counts["drop/spoofed_side"]++;
                return PacketResult{PacketAction::Drop, Reason::SpoofedSide, e.report};
            }
            if (m.proto == 6 && e.tcp == dp::TcpState::Closed &&
                dp::tcp_is_initial_syn(m.tcp_flags)) {
                erase(it);
                return new_flow(m, k, src_is_a, side, ts);
            }
            if (m.proto == 6) e.tcp = dp::tcp_next(e.tcp, e.fins, m.tcp_flags, from_init);
            e.expires = ts + timeout(k, e);
            if (e.l7 != L7St::None) {
                PacketResult r;
                if (l7_step(m, e, from_init, ts, r)) return r;
            }
            return PacketResult{e.action, e.reason, e.report};
        }
        return new_flow(m, k, src_is_a, side, ts);
    }

    PacketResult new_flow(const PacketMeta& m, const dp::FlowKey& k, bool src_is_a, Side side,
                          uint64_t ts) {
        if (m.proto == 6 && !dp::tcp_is_initial_syn(m.tcp_flags)) {
            // A reply to nothing: reported under its own key (oriented as seen).
            policy::Decision d;
            auto t = tuple(m, side);
            d.src = policy::identify(p, t.src, t.family,
                                     side == Side::Clinical ? t.src_mac : std::nullopt, t.vlan);
            d.dst = policy::identify(p, t.dst, t.family,
                                     side == Side::Core ? t.dst_mac : std::nullopt, t.vlan);
            auto idx = report(k, m, side, ts, &d, Verdict::Deny, Reason::ReplyWithoutFlow,
                              "reply-without-flow", "");
            counts["drop/reply_without_flow"]++;
            return PacketResult{PacketAction::Drop, Reason::ReplyWithoutFlow, idx};
        }
        const auto t = tuple(m, side);
        const policy::Decision d = policy::evaluate(p, t);
        std::string rule, loc;
        decision_rule(d, rule, loc);
        const Reason r = reason_of(d);
        auto idx = report(k, m, side, ts, &d, d.verdict, r, rule, loc);
        if (d.verdict == Verdict::Deny) return PacketResult{PacketAction::Drop, r, idx};
        Entry e;
        e.action =
            d.verdict == Verdict::WouldDeny ? PacketAction::ForwardRecord : PacketAction::Forward;
        e.reason = r;
        e.init_side = side == Side::Clinical ? 0 : 1;
        e.init_is_a = src_is_a;
        e.report = idx;
        e.expires = ts + timeout(k, e);
        Entry& stored = flows[k] = e;
        if (d.verdict == Verdict::Allow && d.tier == policy::Tier::ClassAllow) {
            if (const L7Rule* lr = l7rule(d.rule)) {
                stored.l7rule = lr;
                note_l7(stored, "pending", "", "");
                PacketResult res;
                if (l7_start(m, stored, ts, res)) return res;
            }
        }
        return PacketResult{e.action, r, idx};
    }

    // --- L7 first payload: dataplane/pipeline/stage_l7.cpp restated ---

    const L7Rule* l7rule(uint32_t rule) {
        if (rule >= p.rules.size()) return nullptr;
        auto it = l7rules.find(rule);
        if (it != l7rules.end()) return it->second.get();
        std::unique_ptr<L7Rule> lr;
        const auto& r = p.rules[rule];
        l7::Constraint c;
        std::string err;
        if (policy::rule_constraint(r.constraints, c, err)) {
            lr = std::make_unique<L7Rule>();
            lr->c = c;
            if (r.owner_class < p.classes.size()) {
                lr->monitor = p.classes[r.owner_class].mode == policy::Mode::Monitor;
                lr->fail_closed = p.classes[r.owner_class].on_failure == policy::FailMode::Closed;
            }
            lr->protocol = std::string(l7::protocol_name(l7::protocol_of(c)));
        }
        return (l7rules[rule] = std::move(lr)).get();
    }

    void note_l7(const Entry& e, const char* outcome, std::string_view reason,
                 std::string_view value) {
        if (sink || e.report < 0 || !e.l7rule) return;
        auto& f = reports[size_t(e.report)];
        f.l7_protocol = e.l7rule->protocol;
        f.l7_outcome = outcome;
        f.l7_reason = std::string(reason);
        f.l7_value = std::string(value);
    }

    // No verdict possible: the owner class's on_failure. True if dropped.
    bool fail(Entry& e, PacketResult& out) {
        release(e);
        if (e.l7rule->fail_closed) {
            e.l7 = L7St::Denied;
            e.l7_reason = Reason::L7Uninspected;
            note_l7(e, "uninspected", reason_name(Reason::L7Uninspected), "");
            out = PacketResult{PacketAction::Drop, Reason::L7Uninspected, e.report};
            return true;
        }
        e.l7 = L7St::None;
        note_l7(e, "uninspected", "", "");
        return false;
    }

    // A verdict on the first payload. True if the packet was settled.
    bool judged(Entry& e, const l7::Verdict& v, PacketResult& out) {
        if (v.status == l7::Status::Ok) {
            e.l7 = e.slot != l7::kNoSlot ? L7St::Confirm : L7St::None;
            note_l7(e, "allowed", "", "");
            return false;
        }
        release(e);
        const Reason r = contract::l7_reason(v.reason);
        if (e.l7rule->monitor) {
            e.l7 = L7St::None;
            note_l7(e, "would-deny", l7::reason_name(v.reason), v.value.view());
            out = PacketResult{PacketAction::ForwardRecord, r, e.report};
            return true;
        }
        e.l7 = L7St::Denied;
        e.l7_reason = r;
        note_l7(e, "denied", l7::reason_name(v.reason), v.value.view());
        out = PacketResult{PacketAction::Drop, r, e.report};
        return true;
    }

    bool l7_start(const PacketMeta& m, Entry& e, uint64_t ts, PacketResult& out) {
        if (m.proto == 6) {
            e.l7 = L7St::Await;
            return tcp_from_initiator(m, e, ts, out);
        }
        // UDP (NTP): the datagram is the whole first message.
        const Segment s = read_segment(cur, cur_len, m);
        if (!s.ok || m.frag) {
            e.l7 = L7St::Await;
            return fail(e, out);
        }
        const l7::Verdict v = l7::inspect(e.l7rule->c, s.payload);
        if (v.status == l7::Status::NeedMore) return fail(e, out);
        return judged(e, v, out);
    }

    bool tcp_from_initiator(const PacketMeta& m, Entry& e, uint64_t ts, PacketResult& out) {
        if (e.l7 == L7St::Await && (m.tcp_flags & dp::kTcpSyn) && e.slot == l7::kNoSlot) {
            // A retransmitted SYN (possibly a new ISN): the first byte follows it.
            const Segment s = read_segment(cur, cur_len, m);
            if (s.ok) e.l7_seq = s.seq + 1;
        }
        if (m.frag) {
            // Held back like an out-of-order segment before a verdict.
            if (e.l7 != L7St::Await) return false;
            out = PacketResult{PacketAction::Drop, Reason::L7OutOfOrder, e.report};
            return true;
        }
        Segment s = read_segment(cur, cur_len, m);
        if (!s.ok || s.payload.empty()) return false;  // ACK, FIN, RST: nothing to judge
        if (m.tcp_flags & dp::kTcpSyn) ++s.seq;        // data on a SYN follows the ISN
        if (e.slot == l7::kNoSlot) {
            if (e.l7 != L7St::Await) return false;
            e.slot = pool.acquire(e.l7_seq, ts);
            if (e.slot == l7::kNoSlot) {
                sweep_l7(ts);
                e.slot = pool.acquire(e.l7_seq, ts);
            }
            if (e.slot == l7::kNoSlot) return fail(e, out);
            slot_owner[e.slot] = &e;
        }
        const l7::Feed f = pool.feed(e.slot, s.seq, s.payload);
        if (f == l7::Feed::Mismatch) {
            l7::Verdict v;
            v.status = l7::Status::Violation;
            v.reason = l7::Reason::TcpOverlapMismatch;
            v.value.len = 0;
            return judged(e, v, out);
        }
        if (e.l7 == L7St::Confirm) return false;  // judged: later data passes
        if (f == l7::Feed::OutOfOrder) {
            out = PacketResult{PacketAction::Drop, Reason::L7OutOfOrder, e.report};
            return true;
        }
        if (pool.expired(e.slot, ts, kL7TimeoutNs)) return fail(e, out);
        if (f == l7::Feed::Duplicate) return false;  // bytes already forwarded, identical
        const l7::Verdict v = l7::inspect(e.l7rule->c, pool.prefix(e.slot));
        if (v.status != l7::Status::NeedMore) return judged(e, v, out);
        if (pool.full(e.slot) || v.need > l7::kFlowBudget) return fail(e, out);
        return false;  // in order, undecided: forwarded, the rest will follow
    }

    // A packet of a flow awaiting, confirming or denied its L7 verdict
    // (stage_l7). True if the packet was settled here.
    bool l7_step(const PacketMeta& m, Entry& e, bool from_init, uint64_t ts, PacketResult& out) {
        if (e.l7 == L7St::Denied) {
            out = PacketResult{PacketAction::Drop, Reason::L7FlowDenied, e.report};
            return true;
        }
        if (e.l7 == L7St::Expired) return fail(e, out);
        // The dataplane's sweep (l7_sweep): an expired slot loses its
        // retransmission check when judged, gets on_failure when not.
        if (e.slot != l7::kNoSlot && pool.expired(e.slot, ts, kL7TimeoutNs)) {
            if (e.l7 == L7St::Confirm) {
                release(e);
                e.l7 = L7St::None;
                return false;
            }
            return fail(e, out);
        }
        if (from_init) {
            if (m.proto != 6) return false;  // UDP: judged on its first datagram
            return tcp_from_initiator(m, e, ts, out);
        }
        // The responder's cumulative ACK covering the judged prefix ends the check.
        if (e.l7 == L7St::Confirm && e.slot != l7::kNoSlot && (m.tcp_flags & dp::kTcpAck)) {
            const Segment s = read_segment(cur, cur_len, m);
            if (s.ok && cur_len >= uint32_t(m.l4_offset) + 12) {
                const uint8_t* q = cur + m.l4_offset + 8;
                const uint32_t ack =
                    uint32_t(q[0]) << 24 | uint32_t(q[1]) << 16 | uint32_t(q[2]) << 8 | q[3];
                if (pool.acked(e.slot, ack)) {
                    release(e);
                    e.l7 = L7St::None;
                }
            }
        }
        return false;
    }
};

Replay::Replay(const policy::CompiledPolicy& p, FlowSink* sink) : impl_(std::make_unique<Impl>(p)) {
    impl_->sink = sink;
}
Replay::~Replay() = default;

PacketResult Replay::feed(const uint8_t* data, uint32_t len, uint32_t wire_len, uint64_t ts_ns,
                          Side side) {
    return impl_->feed(data, len, wire_len, ts_ns, side);
}
void Replay::set_verify_l4_checksums(bool on) {
    impl_->verify_l4 = on;
}
const std::vector<FlowReport>& Replay::flows() const {
    return impl_->reports;
}
const std::map<std::string, uint64_t>& Replay::packet_counts() const {
    return impl_->counts;
}
uint64_t Replay::overflow() const {
    return impl_->overflow;
}

Side guess_side(const policy::CompiledPolicy& p, const uint8_t* data, uint32_t len) {
    PacketMeta m;
    dp::parse_frame(data, len, len, m);
    if (m.family == 0) return Side::Clinical;
    std::array<uint8_t, 16> s, d;
    std::memcpy(s.data(), m.src, 16);
    std::memcpy(d.data(), m.dst, 16);
    if (auto x = side_of(p, s, m.family)) return *x;
    if (auto x = side_of(p, d, m.family)) return *x == Side::Clinical ? Side::Core : Side::Clinical;
    return Side::Clinical;
}

}  // namespace wg::lifecycle
