#include "lifecycle/replay.hpp"

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "flow/flow_key.hpp"
#include "flow/tcp_state.hpp"
#include "parse/parser.hpp"
#include "policy/essentials.hpp"
#include "policy/net.hpp"

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

struct Entry {
    PacketAction action;
    Reason reason;
    uint8_t init_side;
    bool init_is_a;
    dp::TcpState tcp = dp::TcpState::SynSent;
    uint8_t fins = 0;
    uint64_t expires = 0;
    int64_t report = -1;
};

Reason reason_of(const policy::Decision& d) {
    if (d.verdict == Verdict::Allow || d.verdict == Verdict::Bypass) return Reason::None;
    if (d.reason == "spoofed-source-side") return Reason::SpoofedSide;
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

    // Expired flow state is dropped lazily on lookup; with a sink (long
    // captures) also swept every 65536 packets.
    void sweep(uint64_t ts) {
        if (!sink || ++fed % 65536) return;
        for (auto it = flows.begin(); it != flows.end();)
            it = it->second.expires <= ts ? flows.erase(it) : std::next(it);
        for (auto it = frags.begin(); it != frags.end();)
            it = it->second.expires <= ts ? frags.erase(it) : std::next(it);
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
    const policy::BypassEntry* bypass(const PacketMeta& m) const {
        if (m.proto != 17) return nullptr;
        std::array<uint8_t, 16> s, d;
        std::memcpy(s.data(), m.src, 16);
        std::memcpy(d.data(), m.dst, 16);
        for (const auto& b : p.bypass) {
            if (b.vlan != policy::kAnyVlan && b.vlan != m.vlan) continue;
            if (m.dport < b.dports.lo || m.dport > b.dports.hi) continue;
            auto in = [&](const std::vector<policy::IpPrefix>& v,
                          const std::array<uint8_t, 16>& a) {
                return std::any_of(v.begin(), v.end(), [&](const policy::IpPrefix& x) {
                    return policy::net::contains(x, a, m.family);
                });
            };
            if (!b.src.empty() && !in(b.src, s)) continue;
            if (!in(b.dst, d)) continue;
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
        } else if (d.reason == "spoofed-source-side") {
            rule = "anti-spoofing";
        }
    }

    PacketResult feed(const uint8_t* data, uint32_t len, uint32_t wire_len, uint64_t ts,
                      Side side) {
        PacketMeta m;
        sweep(ts);
        dp::parse_frame(data, std::min(len, wire_len), wire_len, m);
        if (m.kind == L2Kind::Malformed) return settle(m, PacketAction::Drop, m.reason, "", ts);
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
        if (const auto* b = bypass(m)) {
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
            flows.erase(it);
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
                flows.erase(it);
                return new_flow(m, k, src_is_a, side, ts);
            }
            if (m.proto == 6) e.tcp = dp::tcp_next(e.tcp, e.fins, m.tcp_flags, from_init);
            e.expires = ts + timeout(k, e);
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
        flows[k] = e;
        return PacketResult{e.action, r, idx};
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
