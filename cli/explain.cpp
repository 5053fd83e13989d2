// wardgate explain DIR --src A --dst B --proto P [...]: runs the reference
// evaluator (the dataplane's oracle) on one tuple and prints its trace.
#include <nlohmann/json.hpp>

#include <ostream>

#include "commands.hpp"
#include "policy/compiler.hpp"
#include "policy/evaluate.hpp"
#include "policy/image.hpp"
#include "policy/net.hpp"

namespace wg::cli {

namespace {

const char* tier_name(policy::Tier t) {
    switch (t) {
        case policy::Tier::Essentials:
            return "essentials";
        case policy::Tier::Bypass:
            return "telemetry-bypass";
        case policy::Tier::Guardrail:
            return "guardrail";
        case policy::Tier::ClassAllow:
            return "class-allow";
        case policy::Tier::Default:
            return "class-default";
    }
    return "?";
}

bool parse_u16(const std::string& s, uint16_t& v, unsigned max) {
    if (s.empty() || s.size() > 5) return false;
    unsigned x = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        x = x * 10 + unsigned(c - '0');
    }
    if (x > max) return false;
    v = static_cast<uint16_t>(x);
    return true;
}

std::string loc_str(const policy::SourceLoc& l) {
    return l.file + ":" + std::to_string(l.line) + ":" + std::to_string(l.column);
}

}  // namespace

int explain(const Args& args, std::ostream& out, std::ostream& err) {
    std::string src, dst, proto, sport, dport, vlan, smac, dmac, arrival, icmp, fmt = "text";
    opt::Table ot(
        "usage: wardgate explain DIR --src A --dst B --proto tcp|udp|icmp|icmpv6|N [options]");
    ot.str({"--src"}, "A", src, "source address");
    ot.str({"--dst"}, "B", dst, "destination address");
    ot.str({"--proto"}, "P", proto, "tcp, udp, icmp, icmpv6 or a protocol number");
    ot.str({"--sport"}, "S", sport, "source port");
    ot.str({"--dport"}, "D", dport, "destination port");
    ot.str({"--vlan"}, "V", vlan, "802.1Q VLAN id");
    ot.str({"--src-mac"}, "M", smac, "source MAC address");
    ot.str({"--dst-mac"}, "M", dmac, "destination MAC address");
    ot.str({"--arrival"}, "clinical|core", arrival, "port the packet arrives on");
    ot.str({"--icmp-type"}, "T", icmp, "ICMP type");
    ot.str({"--format"}, "text|json", fmt, "output format (default text)");
    std::vector<std::string> pos;
    if (int rc = parse_args(ot, "explain", args, &pos, out, err); rc >= 0) return rc;
    if (pos.size() > 1) {
        err << "wardgate explain: one policy directory expected\n";
        return kExitUsage;
    }
    if (pos.empty() || src.empty() || dst.empty() || proto.empty()) {
        err << ot.help();
        return kExitUsage;
    }
    const std::string& dir = pos[0];
    if (fmt != "text" && fmt != "json") {
        err << "wardgate explain: --format must be text or json\n";
        return kExitUsage;
    }
    policy::Tuple t;
    std::string e;
    auto s = policy::net::parse_ip(src, e);
    if (!s) {
        err << "wardgate explain: --src: " << e << "\n";
        return kExitUsage;
    }
    auto d = policy::net::parse_ip(dst, e);
    if (!d) {
        err << "wardgate explain: --dst: " << e << "\n";
        return kExitUsage;
    }
    if (s->family != d->family) {
        err << "wardgate explain: --src and --dst must both be IPv4 or both IPv6\n";
        return kExitUsage;
    }
    t.family = s->family;
    t.src = s->addr;
    t.dst = d->addr;
    uint16_t num = 0;
    if (proto == "tcp")
        t.proto = 6;
    else if (proto == "udp")
        t.proto = 17;
    else if (proto == "icmp")
        t.proto = 1;
    else if (proto == "icmpv6")
        t.proto = 58;
    else if (parse_u16(proto, num, 255))
        t.proto = static_cast<uint8_t>(num);
    else {
        err << "wardgate explain: --proto must be tcp, udp, icmp, icmpv6 or a protocol number\n";
        return kExitUsage;
    }
    bool ported = t.proto == 6 || t.proto == 17;
    if ((!sport.empty() || !dport.empty()) && !ported) {
        err << "wardgate explain: ports only apply to tcp and udp\n";
        return kExitUsage;
    }
    if (!sport.empty() && !parse_u16(sport, t.sport, 65535)) {
        err << "wardgate explain: --sport must be 0-65535\n";
        return kExitUsage;
    }
    if (!dport.empty() && !parse_u16(dport, t.dport, 65535)) {
        err << "wardgate explain: --dport must be 0-65535\n";
        return kExitUsage;
    }
    if (!vlan.empty() && (!parse_u16(vlan, t.vlan, 4094))) {
        err << "wardgate explain: --vlan must be 0 (untagged) to 4094\n";
        return kExitUsage;
    }
    if (!icmp.empty()) {
        if (!parse_u16(icmp, num, 255)) {
            err << "wardgate explain: --icmp-type must be 0-255\n";
            return kExitUsage;
        }
        t.icmp_type = static_cast<int16_t>(num);
    }
    for (auto [val, dest, name] :
         {std::tuple{&smac, &t.src_mac, "--src-mac"}, std::tuple{&dmac, &t.dst_mac, "--dst-mac"}}) {
        if (val->empty()) continue;
        auto m = policy::net::parse_mac(*val, e);
        if (!m) {
            err << "wardgate explain: " << name << ": " << e << "\n";
            return kExitUsage;
        }
        *dest = *m;
    }

    auto r = policy::compile_directory(dir);
    if (!r.policy) {
        for (auto& x : r.diagnostics)
            if (x.severity == policy::Severity::Error) err << policy::format(x) << "\n";
        err << "wardgate explain: the policy in " << dir << " has errors; run wardgate lint\n";
        return kExitFindings;
    }
    auto& p = *r.policy;
    policy::encode_image(p);  // content hash for the header line

    if (arrival.empty()) {
        // Default: the port the source address lives behind (longest match).
        int best = -1;
        t.arrival = policy::Side::Clinical;
        for (auto [space, side] : {std::pair{&p.clinical_space, policy::Side::Clinical},
                                   std::pair{&p.core_space, policy::Side::Core}})
            for (auto& pre : *space)
                if (policy::net::contains(pre, t.src, t.family) && pre.len > best) {
                    best = pre.len;
                    t.arrival = side;
                }
    } else if (arrival == "clinical") {
        t.arrival = policy::Side::Clinical;
    } else if (arrival == "core") {
        t.arrival = policy::Side::Core;
    } else {
        err << "wardgate explain: --arrival must be clinical or core\n";
        return kExitUsage;
    }

    auto dec = policy::evaluate(p, t);
    std::string rule_name, rule_loc;
    if (dec.tier == policy::Tier::Bypass && dec.rule < p.bypass.size()) {
        rule_name = "bypass/" + p.bypass[dec.rule].name;
        rule_loc = loc_str(p.bypass[dec.rule].loc);
    } else if (dec.rule != policy::kNoRule && dec.rule < p.rules.size()) {
        rule_name = p.rules[dec.rule].name;
        rule_loc = loc_str(p.rules[dec.rule].loc);
    } else if (dec.tier == policy::Tier::Default) {
        rule_name = p.classes[dec.deciding_class].name + "/default";
        rule_loc = loc_str(p.classes[dec.deciding_class].loc);
    }
    std::string flow =
        proto + " " + policy::net::format_addr(t.src, t.family) +
        (ported ? ":" + std::to_string(t.sport) : "") + " -> " +
        policy::net::format_addr(t.dst, t.family) + (ported ? ":" + std::to_string(t.dport) : "") +
        (t.vlan ? " vlan " + std::to_string(t.vlan) : " untagged") + ", arriving on the " +
        (t.arrival == policy::Side::Clinical ? "clinical" : "core") + " port";
    auto ident = [&](const policy::Identity& id) {
        nlohmann::ordered_json j;
        j["class"] = p.classes.at(id.class_id).name;
        j["zone"] = id.zone_id < p.zones.size() ? p.zones[id.zone_id] : "";
        j["how"] = id.how;
        j["spoofed"] = id.spoofed;
        if (id.host_index >= 0) {
            auto& h = p.hosts[size_t(id.host_index)];
            j["asset_id"] = h.asset_id;
            j["inventory"] = loc_str(h.loc);
        }
        return j;
    };
    if (fmt == "json") {
        nlohmann::ordered_json j;
        j["policy"] = {{"name", p.name}, {"content_hash", p.content_hash}, {"commit", p.commit}};
        j["flow"] = flow;
        j["verdict"] = policy::verdict_name(dec.verdict);
        j["tier"] = tier_name(dec.tier);
        j["reason"] = dec.reason;
        j["rule"] = rule_name;
        j["location"] = rule_loc;
        bool identified = dec.tier != policy::Tier::Essentials && dec.tier != policy::Tier::Bypass;
        if (identified) {
            j["source"] = ident(dec.src);
            j["destination"] = ident(dec.dst);
        }
        j["trace"] = dec.trace;
        out << j.dump(2) << "\n";
        return kExitOk;
    }
    out << "policy " << p.name << " (content " << p.content_hash.substr(0, 12)
        << (p.commit.empty() ? "" : ", commit " + p.commit.substr(0, 12)) << ")\n";
    out << "flow: " << flow << "\n";
    for (auto& step : dec.trace) out << "  " << step << "\n";
    out << "=> " << policy::verdict_name(dec.verdict) << " by tier " << tier_name(dec.tier);
    if (!rule_name.empty()) out << ", " << rule_name << " (" << rule_loc << ")";
    out << "\n";
    return kExitOk;
}

}  // namespace wg::cli
