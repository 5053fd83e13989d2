// wardgate explain DIR --src A --dst B --proto P [...]: runs the reference
// evaluator (the dataplane's oracle) on one tuple and prints its trace. With
// --payload HEX or --payload-file FILE it adds the L7 step: the deciding
// rule's protocol constraint run on that first client payload by the same
// parsers the dataplane uses (common/l7/).
#include <nlohmann/json.hpp>

#include <fstream>
#include <iterator>
#include <ostream>
#include <sstream>

#include "commands.hpp"
#include "l7/accumulator.hpp"
#include "l7/constraint.hpp"
#include "l7/explain.hpp"
#include "policy/compiler.hpp"
#include "policy/evaluate.hpp"
#include "policy/image.hpp"
#include "policy/l7_rule.hpp"
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

// The L7 step of an explanation.
struct L7Step {
    bool given = false;  // a payload was given
    std::string text;    // the lines printed after the trace (each "l7: ...")
    nlohmann::ordered_json json;
    bool violation = false;
    std::string reason;  // violation: the reason name
};

std::string list_text(const std::vector<std::string>& v) {
    std::string s = "[";
    for (auto& x : v) s += (s.size() > 1 ? ", " : "") + x;
    return s + "]";
}

// The rule's constraint in the compiled form the parsers take, built by the
// same function the compiler and the dataplane's constraint table use
// (policy::rule_constraint), with a description of what it allows
// ("dicom: calling_ae_titles [US_CART_*]"). `error`: what the compiler would
// refuse (the policy does not compile then, so explain rarely sees it).
struct BuiltConstraint {
    l7::Constraint c;
    std::string describe;
    std::string error;
};

std::vector<BuiltConstraint> build_constraints(const policy::ProtocolConstraints& pc) {
    BuiltConstraint b;
    if (!policy::rule_constraint(pc, b.c, b.error) && b.error.empty()) return {};
    auto lists =
        [](std::initializer_list<std::pair<const char*, const std::vector<std::string>*>> ls) {
            std::string s;
            for (auto& [name, v] : ls)
                if (!v->empty())
                    s += std::string(s.empty() ? " " : ", ") + name + " " + list_text(*v);
            return s;
        };
    if (!pc.dicom_calling_ae.empty() || !pc.dicom_called_ae.empty())
        b.describe = "dicom:" + lists({{"calling_ae_titles", &pc.dicom_calling_ae},
                                       {"called_ae_titles", &pc.dicom_called_ae}});
    else if (!pc.hl7_sending_application.empty() || !pc.hl7_sending_facility.empty() ||
             !pc.hl7_message_types.empty())
        b.describe = "hl7:" + lists({{"sending_applications", &pc.hl7_sending_application},
                                     {"sending_facilities", &pc.hl7_sending_facility},
                                     {"message_types", &pc.hl7_message_types}});
    else if (pc.smb_deny_v1)
        b.describe = "smb: deny_smbv1";
    else {
        std::string modes;
        for (uint8_t m : pc.ntp_modes) modes += (modes.empty() ? "" : ", ") + std::to_string(m);
        b.describe = "ntp: modes [" + modes + "]";
    }
    return {std::move(b)};
}

const char* status_name(l7::Status s) {
    switch (s) {
        case l7::Status::NeedMore:
            return "undecided";
        case l7::Status::Ok:
            return "allowed";
        case l7::Status::Violation:
            return "violation";
    }
    return "?";
}

// Runs the deciding rule's constraints on the payload (the L4 verdict and
// rule come from the evaluator).
L7Step l7_step(const policy::CompiledPolicy& p, const policy::Decision& dec,
               const std::vector<uint8_t>& payload) {
    L7Step s;
    s.given = true;
    s.json["payload_bytes"] = payload.size();
    bool rule_allows = dec.tier == policy::Tier::ClassAllow && dec.rule != policy::kNoRule &&
                       dec.rule < p.rules.size();
    if (!rule_allows) {
        s.text =
            "l7: not reached: no allow rule admits the flow at L4, so its payload is never "
            "inspected\n";
        s.json["status"] = "not-reached";
        return s;
    }
    const policy::Rule& r = p.rules[dec.rule];
    s.json["rule"] = r.name;
    s.json["location"] = loc_str(r.loc);
    if (r.constraints.empty()) {
        s.text =
            "l7: rule " + r.name + " has no protocol constraint: the payload is not inspected\n";
        s.json["status"] = "not-inspected";
        return s;
    }
    const policy::ClassDef* cls =
        r.owner_class < p.classes.size() ? &p.classes[r.owner_class] : nullptr;
    for (auto& b : build_constraints(r.constraints)) {
        s.text +=
            "l7: rule " + r.name + " (" + loc_str(r.loc) + ") constrains " + b.describe + "\n";
        nlohmann::ordered_json j;
        if (b.error.empty()) j["protocol"] = std::string(l7::protocol_name(l7::protocol_of(b.c)));
        j["constraint"] = b.describe;
        if (!b.error.empty()) {
            s.text += "l7: the constraint does not compile: " + b.error + "\n";
            j["status"] = "error";
            j["error"] = b.error;
        } else {
            l7::AuditValue summary;
            l7::Verdict v = l7::inspect(b.c, payload, &summary);
            s.text += "l7: " + l7::explain_line(b.c, payload) + "\n";
            j["status"] = status_name(v.status);
            if (v.status == l7::Status::NeedMore) {
                j["need"] = v.need;
                s.text +=
                    std::string("l7: the gateway forwards these in-order bytes and waits for ") +
                    "more; if the " + std::to_string(l7::kFlowBudget) +
                    "-byte budget or the timeout runs out first, the class's on_failure (" +
                    (cls && cls->on_failure == policy::FailMode::Closed ? "closed: drop"
                                                                        : "open: forward") +
                    ", audited uninspected) applies\n";
            }
            if (v.status == l7::Status::Violation) {
                j["reason"] = std::string(l7::reason_name(v.reason));
                j["value"] = std::string(v.value.view());
                if (!s.violation) s.reason = std::string(l7::reason_name(v.reason));
                s.violation = true;
            }
            if (summary.len) j["summary"] = std::string(summary.view());
        }
        // One constraint per rule is the norm; keep the first as the step's summary.
        for (auto& [k, val] : j.items())
            if (!s.json.contains(k)) s.json[k] = val;
    }
    const bool reset = r.constraints.on_violation == policy::ViolationAction::Reset &&
                       r.constraints.ntp_modes.empty();  // UDP has nothing to reset
    s.json["on_violation"] = reset ? "reset" : "drop";
    if (s.violation && cls)
        s.text += cls->mode == policy::Mode::Monitor
                      ? "l7: class " + cls->name +
                            " is in monitor mode: the payload is forwarded and recorded as "
                            "would-deny\n"
                      : std::string(
                            "l7: the gateway drops the deciding packet and marks the flow "
                            "denied: later packets in both directions are dropped\n") +
                            (reset ? "l7: on_violation: reset: it also sends a TCP reset to "
                                     "the client and to the server, so the client fails at "
                                     "once instead of retransmitting until its timeout\n"
                                   : "");
    return s;
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
    std::string payload_hex, payload_file;
    ot.str({"--payload"}, "HEX", payload_hex,
           "first client payload, in hex (spaces, ':' or '-' allowed): shows the L7 step");
    ot.str({"--payload-file"}, "FILE", payload_file,
           "first client payload, raw bytes from FILE: shows the L7 step");
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
    std::optional<std::vector<uint8_t>> payload;
    if (!payload_hex.empty() && !payload_file.empty()) {
        err << "wardgate explain: give --payload or --payload-file, not both\n";
        return kExitUsage;
    }
    if ((!payload_hex.empty() || !payload_file.empty()) && !ported) {
        err << "wardgate explain: a payload only applies to tcp and udp\n";
        return kExitUsage;
    }
    if (!payload_hex.empty()) {
        payload = l7::parse_hex(payload_hex, &e);
        if (!payload) {
            err << "wardgate explain: --payload: " << e << "\n";
            return kExitUsage;
        }
    } else if (!payload_file.empty()) {
        // Only the first bytes can decide; a first payload larger than this is
        // cut (the gateway itself looks at no more than its per-flow budget).
        constexpr size_t kMaxPayloadFile = 64 * 1024;
        std::ifstream in(payload_file, std::ios::binary);
        if (!in) {
            err << "wardgate explain: --payload-file: cannot read " << payload_file << "\n";
            return kExitUsage;
        }
        std::vector<uint8_t> bytes(kMaxPayloadFile);
        in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(bytes.size()));
        bytes.resize(size_t(in.gcount()));
        payload = std::move(bytes);
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
    L7Step l7;
    if (payload) l7 = l7_step(p, dec, *payload);
    // An L7 violation turns the rule's allow into the class's deny or would-deny.
    policy::Verdict final_verdict = dec.verdict;
    if (l7.violation && dec.verdict == policy::Verdict::Allow) {
        const auto& r = p.rules[dec.rule];
        bool monitor = r.owner_class < p.classes.size() &&
                       p.classes[r.owner_class].mode == policy::Mode::Monitor;
        final_verdict = monitor ? policy::Verdict::WouldDeny : policy::Verdict::Deny;
    }
    std::string by = tier_name(dec.tier);
    if (l7.violation) by += " + l7 (" + l7.reason + ")";
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
        j["verdict"] = policy::verdict_name(final_verdict);
        if (l7.given) j["l4_verdict"] = policy::verdict_name(dec.verdict);
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
        if (l7.given) j["l7"] = l7.json;
        out << j.dump(2) << "\n";
        return kExitOk;
    }
    out << "policy " << p.name << " (content " << p.content_hash.substr(0, 12)
        << (p.commit.empty() ? "" : ", commit " + p.commit.substr(0, 12)) << ")\n";
    out << "flow: " << flow << "\n";
    for (auto& step : dec.trace) out << "  " << step << "\n";
    if (l7.given) {
        std::istringstream lines(l7.text);
        for (std::string line; std::getline(lines, line);) out << "  " << line << "\n";
    }
    out << "=> " << policy::verdict_name(final_verdict) << " by tier " << by;
    if (!rule_name.empty()) out << ", " << rule_name << " (" << rule_loc << ")";
    out << "\n";
    return kExitOk;
}

}  // namespace wg::cli
