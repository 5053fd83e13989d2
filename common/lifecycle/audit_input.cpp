#include "lifecycle/audit_input.hpp"

#include <nlohmann/json.hpp>

#include <ctime>
#include <fstream>
#include <sstream>

#include "policy/net.hpp"

namespace wg::lifecycle {

bool parse_utc(const std::string& s, uint64_t& ns) {
    struct tm tm = {};
    const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end) return false;
    uint64_t frac = 0, scale = 1000000000ull;
    if (*end == '.') {
        ++end;
        while (*end >= '0' && *end <= '9') {
            if (scale > 1) {
                scale /= 10;
                frac += uint64_t(*end - '0') * scale;
            }
            ++end;
        }
    }
    if (*end != 'Z' || end[1]) return false;
    const time_t t = timegm(&tm);
    if (t < 0) return false;
    ns = uint64_t(t) * 1000000000ull + frac;
    return true;
}

void feed_tuple(const policy::CompiledPolicy& p, Learner& l, policy::Tuple t, uint64_t first_ns,
                uint64_t last_ns, uint64_t flows) {
    // The arrival port: the side of the source address.
    t.arrival = policy::Side::Clinical;
    int best = -1;
    for (auto [space, side] : {std::pair{&p.clinical_space, policy::Side::Clinical},
                               std::pair{&p.core_space, policy::Side::Core}})
        for (auto& pre : *space)
            if (policy::net::contains(pre, t.src, t.family) && pre.len > best) {
                best = pre.len;
                t.arrival = side;
            }
    const auto dec = policy::evaluate(p, t);
    FlowReport f;
    f.family = t.family;
    f.proto = t.proto;
    f.src = t.src;
    f.dst = t.dst;
    f.sport = t.sport;
    f.dport = t.dport;
    f.vlan = t.vlan;
    f.arrival = t.arrival;
    f.src_class = dec.src.class_id;
    f.dst_class = dec.dst.class_id;
    f.verdict = dec.verdict;
    if (dec.tier == policy::Tier::Guardrail && dec.rule < p.rules.size()) {
        f.rule = p.rules[dec.rule].name;
        const auto& loc = p.rules[dec.rule].loc;
        f.rule_loc = loc.file + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.column);
    }
    f.first_ns = first_ns;
    f.last_ns = last_ns;
    const int64_t tag = l.on_flow(f, &dec);
    l.on_packet(tag, last_ns);
    if (flows > 1) l.add_flows(tag, flows - 1);
}

AuditInputStats read_audit(std::istream& in, const policy::CompiledPolicy& p, Learner& l) {
    AuditInputStats st;
    std::string line;
    while (std::getline(in, line)) {
        ++st.lines;
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.is_object()) {
            ++st.skipped;
            continue;
        }
        try {
            const std::string type = j.value("event_type", "");
            if (type != "flow_denied" && type != "flow_would_deny") {
                ++st.skipped;
                continue;
            }
            std::string e;
            auto s = policy::net::parse_ip(j.at("src_ip").get<std::string>(), e);
            auto d = policy::net::parse_ip(j.at("dest_ip").get<std::string>(), e);
            uint64_t ts = 0;
            if (!s || !d || s->family != d->family ||
                !parse_utc(j.at("timestamp").get<std::string>(), ts)) {
                ++st.skipped;
                continue;
            }
            const std::string proto = j.at("proto").get<std::string>();
            policy::Tuple t;
            t.family = s->family;
            t.src = s->addr;
            t.dst = d->addr;
            t.proto = proto == "tcp"      ? 6
                      : proto == "udp"    ? 17
                      : proto == "icmp"   ? 1
                      : proto == "icmpv6" ? 58
                                          : 0;
            if (!t.proto) {
                const int n = std::atoi(proto.c_str());
                if (n <= 0 || n > 255) {
                    ++st.skipped;
                    continue;
                }
                t.proto = uint8_t(n);
            }
            if (t.proto == 6 || t.proto == 17) {
                t.sport = j.value("src_port", uint16_t(0));
                t.dport = j.value("dest_port", uint16_t(0));
            }
            t.vlan = j.value("vlan", uint16_t(0));
            ++st.events;
            feed_tuple(p, l, t, ts, ts, 1);
        } catch (const nlohmann::json::exception&) {
            ++st.skipped;
        }
    }
    return st;
}

std::string read_live(const std::string& state_dir, const policy::CompiledPolicy& p, Learner& l,
                      uint64_t& records, uint64_t& overflow) {
    const std::string path = state_dir + "/learned-flows.json";
    std::ifstream in(path, std::ios::binary);
    if (!in) return "cannot read " + path + " (is the control plane's state directory right?)";
    std::stringstream ss;
    ss << in.rdbuf();
    auto j = nlohmann::json::parse(ss.str(), nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("flows") || !j["flows"].is_array())
        return path + ": not a learned-flows record";
    overflow = j.value("overflow", uint64_t(0));
    records = 0;
    for (const auto& r : j["flows"]) {
        try {
            std::string e;
            auto s = policy::net::parse_ip(r.at("src").get<std::string>(), e);
            auto d = policy::net::parse_ip(r.at("dst").get<std::string>(), e);
            if (!s || !d || s->family != d->family) continue;
            policy::Tuple t;
            t.family = s->family;
            t.src = s->addr;
            t.dst = d->addr;
            t.proto = r.at("proto").get<uint8_t>();
            t.dport = r.value("dport", uint16_t(0));
            t.vlan = r.value("vlan", uint16_t(0));
            const uint64_t n = r.value("flows", uint64_t(1));
            feed_tuple(p, l, t, r.value("first_ns", uint64_t(0)), r.value("last_ns", uint64_t(0)),
                       n ? n : 1);
            ++records;
        } catch (const nlohmann::json::exception&) {
            continue;
        }
    }
    return {};
}

}  // namespace wg::lifecycle
