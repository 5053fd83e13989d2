// wardgate replay --policy DIR [--against DIR2] CAPTURE: what a policy would
// do to captured traffic (docs/policy-lifecycle.md). Every frame goes
// through lifecycle::Replay (the dataplane's semantics, DPDK-free); the
// report is per flow, per class pair, and the flows denied. With --against,
// both policies judge the same capture and the flows whose verdict changes
// are listed; the exit status fails CI when a flow seen in the capture would
// be newly denied and nobody acknowledged it (--ack, --ack-file).
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <ostream>
#include <sstream>

#include "commands.hpp"
#include "lifecycle/capture.hpp"
#include "lifecycle/flowspec.hpp"
#include "lifecycle/replay.hpp"
#include "lifecycle/sides.hpp"
#include "policy/compiler.hpp"
#include "policy/image.hpp"
#include "policy/net.hpp"

namespace wg::cli {

namespace {

using lifecycle::FlowReport;
using policy::Verdict;
using json = nlohmann::ordered_json;

std::string proto_name(uint8_t p) {
    switch (p) {
        case 1:
            return "icmp";
        case 6:
            return "tcp";
        case 17:
            return "udp";
        case 58:
            return "icmpv6";
        default:
            return std::to_string(p);
    }
}

bool ported(uint8_t p) {
    return p == 6 || p == 17 || p == 132;
}

std::string endpoint(const std::array<uint8_t, 16>& a, uint8_t family, uint8_t proto,
                     uint16_t port) {
    std::string s = policy::net::format_addr(a, family);
    if (!ported(proto)) return s;
    return (family == 6 ? "[" + s + "]" : s) + ":" + std::to_string(port);
}

std::string flow_text(const FlowReport& f) {
    std::string s = proto_name(f.proto) + " " + endpoint(f.src, f.family, f.proto, f.sport) +
                    " -> " + endpoint(f.dst, f.family, f.proto, f.dport);
    if (f.vlan) s += " vlan " + std::to_string(f.vlan);
    return s;
}

std::string cname(const policy::CompiledPolicy& p, uint16_t c) {
    return c < p.classes.size() ? p.classes[c].name : "?";
}

// Denied at L4, or allowed at L4 and then denied by its rule's L7
// constraints (a violation, or no verdict in a class failing closed).
bool denied(const FlowReport& f) {
    return f.verdict == Verdict::Deny || f.l7_outcome == "denied" ||
           (f.l7_outcome == "uninspected" && !f.l7_reason.empty());
}

// The L7 step in one line: "l7 dicom denied l7_... \"VALUE\"", "" when none.
std::string l7_text(const FlowReport& f) {
    if (f.l7_protocol.empty()) return {};
    std::string s = "l7 " + f.l7_protocol + " " + f.l7_outcome;
    if (!f.l7_reason.empty()) s += " " + f.l7_reason;
    if (!f.l7_value.empty()) s += " \"" + f.l7_value + "\"";
    return s;
}

struct Loaded {
    std::string dir;
    policy::CompiledPolicy p;
};

std::optional<Loaded> load(const std::string& dir, std::ostream& err) {
    auto r = policy::compile_directory(dir);
    if (!r.policy) {
        for (auto& x : r.diagnostics)
            if (x.severity == policy::Severity::Error) err << policy::format(x) << "\n";
        err << "wardgate replay: the policy in " << dir << " has errors; run wardgate lint\n";
        return std::nullopt;
    }
    Loaded l{dir, std::move(*r.policy)};
    policy::encode_image(l.p);  // content hash for the report
    return l;
}

json flow_json(const policy::CompiledPolicy& p, const FlowReport& f) {
    json j;
    j["proto"] = proto_name(f.proto);
    j["src"] = policy::net::format_addr(f.src, f.family);
    j["sport"] = f.sport;
    j["dst"] = policy::net::format_addr(f.dst, f.family);
    j["dport"] = f.dport;
    j["vlan"] = f.vlan;
    j["arrival"] = f.arrival == policy::Side::Clinical ? "clinical" : "core";
    j["src_class"] = cname(p, f.src_class);
    j["dst_class"] = cname(p, f.dst_class);
    j["verdict"] = policy::verdict_name(f.verdict);
    j["reason"] = contract::reason_name(f.reason);
    j["rule"] = f.rule;
    j["rule_loc"] = f.rule_loc;
    if (!f.l7_protocol.empty())
        j["l7"] = {{"protocol", f.l7_protocol},
                   {"outcome", f.l7_outcome},
                   {"reason", f.l7_reason},
                   {"value", f.l7_value}};
    j["packets"] = f.packets;
    j["forwarded"] = f.forwarded;
    j["dropped"] = f.dropped;
    j["first_seen_ns"] = f.first_ns;
    j["last_seen_ns"] = f.last_ns;
    return j;
}

std::string rule_text(const FlowReport& f) {
    std::string s = f.rule.empty() ? std::string("-") : f.rule;
    if (!f.rule_loc.empty()) s += " (" + f.rule_loc + ")";
    return s;
}

}  // namespace

int replay(const Args& args, std::ostream& out, std::ostream& err) {
    std::string dir, against, fmt = "text", ack_file;
    bool as_json = false, packets = false, no_checksums = false;
    std::vector<std::string> acks;
    opt::Table ot("usage: wardgate replay --policy DIR [--against DIR2] [options] CAPTURE");
    ot.str({"--policy"}, "DIR", dir, "policy directory to judge the capture with");
    ot.str({"--against"}, "DIR2", against,
           "a second policy (the proposed one): report the flows whose verdict changes");
    ot.str({"--format"}, "text|json", fmt, "output format (default text)");
    ot.flag({"--json"}, as_json, "same as --format json");
    ot.flag({"--packets"}, packets, "also list every packet's action (forward/drop) and reason");
    ot.flag({"--no-verify-checksums"}, no_checksums,
            "do not verify TCP/UDP checksums (a capture taken on an end host with checksum "
            "offload)");
    ot.add({{"--ack"},
            "FLOWSPEC",
            "acknowledge newly denied flows matching SRC->DST[:PORT][/PROTO]\n"
            "(SRC, DST: class name, address, prefix or *); repeatable",
            [&acks](const std::string& v) -> std::optional<std::string> {
                std::string e;
                if (!lifecycle::FlowSpec::parse(v, e)) return "--ack: " + e;
                acks.push_back(v);
                return std::nullopt;
            }});
    ot.str({"--ack-file"}, "FILE", ack_file, "acknowledgements, one FLOWSPEC a line, # comments");
    std::vector<std::string> pos;
    if (int rc = parse_args(ot, "replay", args, &pos, out, err); rc >= 0) return rc;
    if (as_json) fmt = "json";
    if (fmt != "text" && fmt != "json") {
        err << "wardgate replay: --format must be text or json\n";
        return kExitUsage;
    }
    if (dir.empty() || pos.size() != 1) {
        err << "wardgate replay: --policy DIR and one capture file expected\n" << ot.help();
        return kExitUsage;
    }
    std::vector<lifecycle::FlowSpec> specs;
    for (auto& a : acks) {
        std::string e;
        specs.push_back(*lifecycle::FlowSpec::parse(a, e));
    }
    if (!ack_file.empty()) {
        std::ifstream in(ack_file);
        if (!in) {
            err << "wardgate replay: cannot read " << ack_file << "\n";
            return kExitUsage;
        }
        std::string line;
        for (int n = 1; std::getline(in, line); ++n) {
            if (auto h = line.find('#'); h != std::string::npos) line.erase(h);
            while (!line.empty() &&
                   (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
                line.pop_back();
            size_t b = line.find_first_not_of(" \t");
            if (b == std::string::npos) continue;
            std::string e;
            auto s = lifecycle::FlowSpec::parse(line.substr(b), e);
            if (!s) {
                err << ack_file << ":" << n << ": " << e << "\n";
                return kExitUsage;
            }
            specs.push_back(*s);
        }
    }

    auto a = load(dir, err);
    if (!a) return kExitFindings;
    std::optional<Loaded> b;
    if (!against.empty()) {
        b = load(against, err);
        if (!b) return kExitFindings;
    }
    lifecycle::CaptureReader rd(pos[0]);
    if (!rd.ok()) {
        err << "wardgate replay: " << rd.error() << "\n";
        return kExitUsage;
    }
    lifecycle::Replay ra(a->p);
    std::unique_ptr<lifecycle::Replay> rb;
    if (b) rb = std::make_unique<lifecycle::Replay>(b->p);
    ra.set_verify_l4_checksums(!no_checksums);
    if (rb) rb->set_verify_l4_checksums(!no_checksums);
    lifecycle::CapturedPacket pk;
    uint64_t n = 0, skipped = 0;
    json pj = json::array();
    std::ostringstream ptext;
    while (rd.next(pk)) {
        ++n;
        if (pk.linktype != lifecycle::kLinktypeEthernet) {
            ++skipped;
            continue;
        }
        const policy::Side side = lifecycle::packet_side(rd, pk, a->p);
        auto r = ra.feed(pk.data.data(), uint32_t(pk.data.size()), pk.wire_len, pk.ts_ns, side);
        lifecycle::PacketResult r2;
        if (rb)
            r2 = rb->feed(pk.data.data(), uint32_t(pk.data.size()), pk.wire_len, pk.ts_ns, side);
        if (packets) {
            const auto& rr = rb ? r2 : r;
            const char* sname = side == policy::Side::Clinical ? "clinical" : "core";
            json j;
            j["n"] = n;
            j["side"] = sname;
            j["action"] = lifecycle::action_name(rr.action);
            j["reason"] = contract::reason_name(rr.reason);
            if (rr.flow >= 0) j["flow"] = rr.flow;  // index into "flows"
            pj.push_back(j);
            ptext << "  #" << n << " " << sname << " " << lifecycle::action_name(rr.action)
                  << (rr.reason != contract::Reason::None
                          ? std::string(" ") + contract::reason_name(rr.reason)
                          : std::string())
                  << "\n";
        }
    }
    if (!rd.ok()) {
        err << "wardgate replay: " << pos[0] << ": " << rd.error() << "\n";
        return kExitUsage;
    }

    // The judged policy: the proposed one when comparing.
    const Loaded& judged = b ? *b : *a;
    const lifecycle::Replay& rj = rb ? *rb : ra;
    const auto& flows = rj.flows();

    // Newly denied: with --against, allowed (or monitored, bypassed) by DIR
    // and denied by DIR2; alone, denied by DIR although seen in the capture
    // (a reply without a flow is the capture starting mid-connection: listed,
    // not counted).
    std::map<std::string, size_t> before;
    if (b)
        for (size_t i = 0; i < ra.flows().size(); ++i) before[ra.flows()[i].key()] = i;
    struct Change {
        const FlowReport* was;
        const FlowReport* now;
        bool newly_denied, acked;
    };
    std::vector<Change> changes;
    size_t unacked = 0, acked_n = 0;
    auto is_acked = [&](const FlowReport& f) {
        for (auto& s : specs)
            if (s.matches(f, judged.p)) return true;
        return false;
    };
    for (const auto& f : flows) {
        const FlowReport* was = nullptr;
        if (b) {
            auto it = before.find(f.key());
            if (it != before.end()) was = &ra.flows()[it->second];
            if (was && was->verdict == f.verdict && was->rule == f.rule &&
                was->l7_outcome == f.l7_outcome && was->l7_reason == f.l7_reason)
                continue;
            if (!was) continue;
        } else if (!denied(f) || f.reason == contract::Reason::ReplyWithoutFlow) {
            continue;
        }
        bool nd = denied(f) && (!was || !denied(*was));
        bool ack = nd && is_acked(f);
        if (nd) (ack ? acked_n : unacked)++;
        changes.push_back(Change{was, &f, nd, ack});
    }
    const int rc = unacked ? kExitFindings : kExitOk;

    // Summary per class pair, of the judged policy.
    std::map<std::pair<std::string, std::string>, std::map<std::string, uint64_t>> pairs;
    for (const auto& f : flows)
        pairs[{cname(judged.p, f.src_class), cname(judged.p, f.dst_class)}]
             [policy::verdict_name(f.verdict)]++;

    if (fmt == "json") {
        json j;
        j["capture"] = pos[0];
        j["policy"] = {{"dir", a->dir}, {"name", a->p.name}, {"hash", a->p.content_hash}};
        if (b) j["against"] = {{"dir", b->dir}, {"name", b->p.name}, {"hash", b->p.content_hash}};
        j["packets"] = n;
        j["skipped_packets"] = skipped;
        j["flows_overflow"] = rj.overflow();
        json fl = json::array();
        for (const auto& f : flows) fl.push_back(flow_json(judged.p, f));
        j["flows"] = fl;
        json sm = json::array();
        for (auto& [k, v] : pairs) {
            json s;
            s["src_class"] = k.first;
            s["dst_class"] = k.second;
            for (auto& [vn, c] : v) s[vn] = c;
            sm.push_back(s);
        }
        j["summary"] = sm;
        json pc;
        for (auto& [k, v] : rj.packet_counts()) pc[k] = v;
        j["packets_without_flow"] = pc;
        json dl = json::array();
        for (const auto& f : flows)
            if (denied(f)) dl.push_back(f.key());
        j["denied"] = dl;
        json ch = json::array();
        for (auto& c : changes) {
            json x;
            x["flow"] = flow_json(judged.p, *c.now);
            if (c.was) {
                x["before"] = {{"verdict", policy::verdict_name(c.was->verdict)},
                               {"rule", c.was->rule},
                               {"rule_loc", c.was->rule_loc}};
            }
            x["newly_denied"] = c.newly_denied;
            x["acknowledged"] = c.acked;
            ch.push_back(x);
        }
        j[b ? "changes" : "newly_denied"] = ch;
        j["newly_denied_unacknowledged"] = unacked;
        j["newly_denied_acknowledged"] = acked_n;
        if (packets) j["packet_verdicts"] = pj;
        j["exit"] = rc;
        out << j.dump(2) << "\n";
        return rc;
    }

    out << "replay of " << pos[0] << ": " << n << " packets, " << flows.size() << " flows";
    if (skipped) out << " (" << skipped << " packets skipped: not Ethernet)";
    out << "\npolicy " << a->dir << " (" << a->p.content_hash.substr(0, 12) << ")";
    if (b) out << " against " << b->dir << " (" << b->p.content_hash.substr(0, 12) << ")";
    out << "\n\nflows (" << (b ? "under " + b->dir : a->dir) << "):\n";
    for (const auto& f : flows)
        out << "  " << flow_text(f) << "  " << cname(judged.p, f.src_class) << " -> "
            << cname(judged.p, f.dst_class) << "  " << policy::verdict_name(f.verdict) << "  "
            << rule_text(f) << (f.l7_protocol.empty() ? "" : "  " + l7_text(f)) << "  packets "
            << f.packets << " (" << f.forwarded << " forwarded, " << f.dropped << " dropped)\n";
    if (rj.overflow())
        out << "  ... " << rj.overflow() << " more flows not reported (limit "
            << lifecycle::kMaxReports << ")\n";
    out << "\nsummary by class pair:\n";
    for (auto& [k, v] : pairs) {
        out << "  " << k.first << " -> " << k.second << ":";
        for (auto& [vn, c] : v) out << " " << vn << " " << c;
        out << "\n";
    }
    if (!rj.packet_counts().empty()) {
        out << "\npackets settled without a flow:\n";
        for (auto& [k, v] : rj.packet_counts()) out << "  " << k << " " << v << "\n";
        // Frame admission drops these as the gateway would; on an end host's
        // capture they are usually offload artifacts, not the wire.
        if (rj.packet_counts().count("drop/bad_l4_checksum"))
            out << "  (bad_l4_checksum: a capture taken on an end host with checksum offload "
                   "shows the frames it sent with unfilled checksums; --no-verify-checksums)\n";
    }
    size_t nden = 0;
    for (const auto& f : flows) nden += denied(f);
    out << "\ndenied flows (" << nden << "):\n";
    for (const auto& f : flows)
        if (denied(f))
            out << "  " << flow_text(f) << "  "
                << (f.verdict == Verdict::Deny ? contract::reason_name(f.reason) : l7_text(f))
                << "  " << rule_text(f) << "\n";
    if (b) {
        out << "\nverdict changes " << a->dir << " -> " << b->dir << " (" << changes.size()
            << "):\n";
        for (auto& c : changes)
            out << "  " << flow_text(*c.now) << "  " << policy::verdict_name(c.was->verdict) << " ("
                << rule_text(*c.was) << ") -> " << policy::verdict_name(c.now->verdict) << " ("
                << rule_text(*c.now) << ")"
                << (c.newly_denied ? (c.acked ? "  NEWLY DENIED, acknowledged" : "  NEWLY DENIED")
                                   : "")
                << "\n";
    }
    if (packets) out << "\npackets:\n" << ptext.str();
    out << "\n"
        << unacked << " newly denied flow(s) not acknowledged, " << acked_n << " acknowledged\n";
    return rc;
}

}  // namespace wg::cli
