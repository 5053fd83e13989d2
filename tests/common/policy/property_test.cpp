// Property tests: for random tuples over the example policy,
//  * the evaluator gives the same decision on the compiled policy and on
//    the policy decoded from its image (explain == what the dataplane gets);
//  * it agrees with an independent, deliberately naive model of the
//    semantics in compiled.hpp (collect every match, then apply the tier
//    order), written separately from evaluate.cpp;
//  * `wardgate explain --format json` reports the same verdict and rule.
// The seed is fixed (reproducible); WG_PROPERTY_SEED overrides it.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "commands.hpp"
#include "policy/compiler.hpp"
#include "policy/evaluate.hpp"
#include "policy/image.hpp"
#include "policy/net.hpp"
#include "test_util.hpp"

using namespace wg::policy;
using Addr = std::array<uint8_t, 16>;

namespace {

// ---- the naive model ------------------------------------------------------

bool in_prefix(const IpPrefix& p, const Addr& a, uint8_t fam) {
    if (p.family != fam) return false;
    for (unsigned bit = 0; bit < p.len; ++bit) {
        unsigned byte = bit / 8, shift = 7 - bit % 8;
        if (((p.addr[byte] >> shift) & 1) != ((a[byte] >> shift) & 1)) return false;
    }
    return true;
}

struct NaiveId {
    uint16_t cls = kUnknownClass;
    uint16_t zone = kNoZone;
    bool spoofed = false;
};

NaiveId naive_identify(const CompiledPolicy& p, const Addr& a, uint8_t fam,
                       const std::optional<std::array<uint8_t, 6>>& mac, uint16_t vlan) {
    // Rank every candidate; lowest (rank, -len, index) wins.
    struct Cand {
        int rank, neg_len;
        size_t index;
        bool spoof;
    };
    std::vector<Cand> c;
    for (size_t i = 0; i < p.hosts.size(); ++i) {
        const auto& h = p.hosts[i];
        if (h.vlan != kAnyVlan && h.vlan != vlan) continue;
        bool ipm = h.has_ip && in_prefix(h.ip, a, fam);
        bool macm = mac && h.has_mac && h.mac == *mac;
        if (h.bind_mac_ip && mac) {
            if (ipm && macm) c.push_back({0, 0, i, false});
            if (ipm && !macm) c.push_back({1, 0, i, true});
            continue;
        }
        if (macm) c.push_back({2, 0, i, false});
        if (ipm) c.push_back({h.ip.len == (fam == 4 ? 32 : 128) ? 3 : 4, -int(h.ip.len), i, false});
    }
    if (c.empty()) return {};
    auto best = *std::min_element(c.begin(), c.end(), [](const Cand& x, const Cand& y) {
        return std::tie(x.rank, x.neg_len, x.index) < std::tie(y.rank, y.neg_len, y.index);
    });
    if (best.spoof) return {p.settings.spoofed_class, kNoZone, true};
    return {p.hosts[best.index].class_id, p.hosts[best.index].zone_id, false};
}

bool naive_end(const Endpoint& e, const NaiveId& id, const Addr& a, uint8_t fam) {
    bool cls = e.class_id == kAnyClass || e.class_id == id.cls;
    bool zone = e.zone_id == kAnyZone || e.zone_id == id.zone;
    bool addr =
        e.prefixes.empty() || std::any_of(e.prefixes.begin(), e.prefixes.end(),
                                          [&](const IpPrefix& x) { return in_prefix(x, a, fam); });
    return cls && zone && addr;
}

bool naive_rule(const Rule& r, const Tuple& t, const NaiveId& s, const NaiveId& d) {
    auto ports_ok = [&](const std::vector<PortRange>& v, uint16_t port) {
        if (v.empty()) return true;
        if (t.proto != 6 && t.proto != 17) return false;
        for (auto& x : v)
            if (port >= x.lo && port <= x.hi) return true;
        return false;
    };
    return (r.vlan == kAnyVlan || r.vlan == t.vlan) &&
           (r.proto == Proto::Any || uint8_t(r.proto) == t.proto) && ports_ok(r.dports, t.dport) &&
           ports_ok(r.sports, t.sport) && naive_end(r.initiator, s, t.src, t.family) &&
           naive_end(r.responder, d, t.dst, t.family);
}

struct Naive {
    Verdict verdict;
    Tier tier;
    uint32_t rule = kNoRule;
    std::optional<NaiveId> src, dst;    // set once identity was resolved
    uint16_t deciding = kUnknownClass;  // Default tier only
    Naive(Verdict v, Tier t, uint32_t r = kNoRule, std::optional<NaiveId> s = {},
          std::optional<NaiveId> d = {}, uint16_t dec = kUnknownClass)
        : verdict(v), tier(t), rule(r), src(s), dst(d), deciding(dec) {}
};

Naive naive(const CompiledPolicy& p, const Tuple& t) {
    const auto& e = p.essentials;
    if (!e.vlans.empty() && std::find(e.vlans.begin(), e.vlans.end(), t.vlan) == e.vlans.end()) {
        L2Action a = t.vlan == 0 ? e.untagged : e.other_vlan;
        if (a == L2Action::Drop) return {Verdict::Deny, Tier::Essentials};
        if (a == L2Action::Forward) return {Verdict::Allow, Tier::Essentials};
    }
    auto l2 = [](L2Action a) {
        return Naive{a == L2Action::Drop ? Verdict::Deny : Verdict::Allow, Tier::Essentials};
    };
    // DHCP: client->server and server->client port pairs only.
    const std::set<std::pair<uint16_t, uint16_t>> dhcp = {
        {68, 67}, {67, 68}, {546, 547}, {547, 546}};
    if (t.proto == 17 && dhcp.count({t.sport, t.dport})) return l2(e.dhcp);
    if (t.proto == 58 && t.icmp_type >= 133 && t.icmp_type <= 137) return l2(e.ipv6_nd);
    if (t.proto == 2) return l2(e.igmp);
    if (t.proto == 58 &&
        (t.icmp_type == 130 || t.icmp_type == 131 || t.icmp_type == 132 || t.icmp_type == 143))
        return l2(e.mld);
    // The source check (anti-spoofing by port), naively: an allow of the
    // arrival port accepts; a never-valid range of it refuses, except the
    // unspecified address in DHCP discovery / RS / DAD / MLD reports; then
    // the side of the longest matching space prefix.
    const uint8_t port = t.arrival == Side::Core ? 2 : 1;
    bool allowed = false, never = false;
    for (auto& r : p.sources)
        if ((r.ports & port) && in_prefix(r.prefix, t.src, t.family))
            (r.allow ? allowed : never) = true;
    bool zero = true;
    for (unsigned i = 0; i < (t.family == 4 ? 4u : 16u); ++i) zero = zero && t.src[i] == 0;
    const bool exempt =
        zero && (t.family == 4 ? t.proto == 17 && t.sport == 68 && t.dport == 67
                               : t.proto == 58 && (t.icmp_type == 133 || t.icmp_type == 135 ||
                                                   t.icmp_type == 143));
    int side_c = -1, side_k = -1;
    for (auto& x : p.clinical_space)
        if (in_prefix(x, t.src, t.family)) side_c = std::max(side_c, int(x.len));
    for (auto& x : p.core_space)
        if (in_prefix(x, t.src, t.family)) side_k = std::max(side_k, int(x.len));
    const bool side_bad = (side_c >= side_k && side_c >= 0 && t.arrival == Side::Core) ||
                          (side_k > side_c && t.arrival == Side::Clinical);
    const bool source_bad = !allowed && ((never && !exempt) || (!never && side_bad));
    if (t.proto == 17) {
        std::vector<uint32_t> hits;
        const bool spoofed = source_bad;
        for (auto& b : p.bypass) {
            bool src = false;
            for (size_t i = 0; i < b.src.size(); ++i) {
                const bool mac_ok = i >= b.src_mac.size() ||
                                    b.src_mac[i] == std::array<uint8_t, 6>{} ||
                                    (t.src_mac && *t.src_mac == b.src_mac[i]);
                if (in_prefix(b.src[i], t.src, t.family) && mac_ok) src = true;
            }
            src = (src || b.src.empty()) && uint8_t(t.arrival) == b.side && !spoofed;
            bool dst = std::any_of(b.dst.begin(), b.dst.end(),
                                   [&](auto& x) { return in_prefix(x, t.dst, t.family); });
            if (src && dst && t.dport >= b.dports.lo && t.dport <= b.dports.hi &&
                (b.vlan == kAnyVlan || b.vlan == t.vlan))
                hits.push_back(b.id);
        }
        if (!hits.empty())
            return {Verdict::Bypass, Tier::Bypass, *std::min_element(hits.begin(), hits.end())};
    }
    if (source_bad) return {Verdict::Deny, Tier::Essentials};
    auto s = naive_identify(p, t.src, t.family,
                            t.arrival == Side::Clinical ? t.src_mac : std::nullopt, t.vlan);
    auto d = naive_identify(p, t.dst, t.family, t.arrival == Side::Core ? t.dst_mac : std::nullopt,
                            t.vlan);
    std::vector<uint32_t> enforce, monitor, allow;
    // A guardrail does not match what one of its exceptions matches: the
    // exception is the guardrail with the exception's fields.
    auto carved = [&](const Rule& g) {
        return std::any_of(g.exceptions.begin(), g.exceptions.end(),
                           [&](const GuardrailException& x) {
                               Rule shape = g;
                               shape.initiator = x.initiator;
                               shape.responder = x.responder;
                               shape.proto = x.proto;
                               shape.sports = x.sports;
                               shape.dports = x.dports;
                               shape.vlan = x.vlan;
                               return naive_rule(shape, t, s, d);
                           });
    };
    for (auto& r : p.rules) {
        if (!naive_rule(r, t, s, d)) continue;
        if (r.tier == Tier::Guardrail && carved(r)) continue;
        if (r.tier == Tier::Guardrail)
            (r.mode == Mode::Enforce ? enforce : monitor).push_back(r.id);
        else
            allow.push_back(r.id);
    }
    if (!enforce.empty()) return {Verdict::Deny, Tier::Guardrail, enforce.front(), s, d};
    if (!monitor.empty()) return {Verdict::WouldDeny, Tier::Guardrail, monitor.front(), s, d};
    if (!allow.empty()) return {Verdict::Allow, Tier::ClassAllow, allow.front(), s, d};
    const auto& sc = p.classes[s.cls];
    const auto& dc = p.classes[d.cls];
    bool sd = sc.default_action == Action::Deny, dd = dc.default_action == Action::Deny;
    if (!sd && !dd) return {Verdict::Allow, Tier::Default, kNoRule, s, d, s.cls};
    bool enf = (sd && sc.mode == Mode::Enforce) || (dd && dc.mode == Mode::Enforce);
    return {
        enf ? Verdict::Deny : Verdict::WouldDeny, Tier::Default, kNoRule, s, d, sd ? s.cls : d.cls};
}

// ---- random tuples -------------------------------------------------------

struct Gen {
    const CompiledPolicy& p;
    std::mt19937_64 rng;
    std::vector<std::pair<Addr, uint8_t>> addrs;
    std::vector<uint16_t> ports = {0,   1,   22,  23,  53,  67,  68,  80,
                                   104, 123, 139, 445, 546, 547, 3389};
    std::vector<std::array<uint8_t, 6>> macs;

    Gen(const CompiledPolicy& pol, uint64_t seed) : p(pol), rng(seed) {
        auto add = [&](const IpPrefix& x) {
            addrs.push_back({x.addr, x.family});
            if (x.len < (x.family == 4 ? 32 : 128)) {  // also a random address inside
                Addr a = x.addr;
                for (unsigned bit = x.len; bit < (x.family == 4 ? 32u : 128u); ++bit)
                    if (rng() & 1) a[bit / 8] |= uint8_t(0x80 >> (bit % 8));
                addrs.push_back({a, x.family});
            }
        };
        for (auto& h : p.hosts) {
            if (h.has_ip) add(h.ip);
            if (h.has_mac) macs.push_back(h.mac);
        }
        for (auto& r : p.rules)
            for (auto* e : {&r.initiator, &r.responder})
                for (auto& x : e->prefixes) add(x);
        for (auto& b : p.bypass)
            for (auto& x : b.dst) add(x);
        for (auto* s : {&p.clinical_space, &p.core_space})
            for (auto& x : *s) add(x);
        for (auto& r : p.rules)
            for (auto& pr : r.dports) {
                ports.push_back(pr.lo);
                ports.push_back(pr.hi);
                ports.push_back(uint16_t(pr.hi + 1));
            }
        for (auto& b : p.bypass) {
            ports.push_back(b.dports.lo);
            ports.push_back(b.dports.hi);
            ports.push_back(uint16_t(b.dports.hi + 1));
        }
        macs.push_back({0x02, 0, 0, 0, 0, 0x99});
    }
    template <typename T>
    const T& pick(const std::vector<T>& v) {
        return v[rng() % v.size()];
    }
    // An address of an endpoint: a host of its class or one of its prefixes.
    std::optional<std::pair<Addr, uint8_t>> addr_of(const Endpoint& e) {
        std::vector<std::pair<Addr, uint8_t>> c;
        for (auto& x : e.prefixes) c.push_back({x.addr, x.family});
        for (auto& h : p.hosts)
            if (h.has_ip && (e.class_id == kAnyClass || h.class_id == e.class_id))
                c.push_back({h.ip.addr, h.ip.family});
        if (c.empty()) return std::nullopt;
        return pick(c);
    }
    // A third of the tuples aim at a rule or bypass entry, so that every
    // tier is exercised; the rest are uniform over the interesting values.
    Tuple next() {
        if (rng() % 3 == 0) {
            if (!p.bypass.empty() && rng() % 4 == 0) {
                const auto& b = pick(p.bypass);
                Tuple t;
                const auto& dp = pick(b.dst);
                if (!b.src.empty()) {
                    const size_t si = rng() % b.src.size();
                    const auto& sp = b.src[si];
                    if (sp.family != dp.family) return uniform();
                    // The sender's real identity most of the time (its MAC,
                    // the entry's side), a borrowed one otherwise.
                    t.arrival = b.side == 1 ? Side::Core : Side::Clinical;
                    if (rng() % 4 == 0) t.arrival = Side(1 - uint8_t(t.arrival));
                    if (si < b.src_mac.size() && rng() % 4)
                        t.src_mac = b.src_mac[si];
                    else if (rng() % 2)
                        t.src_mac = pick(macs);
                    t.family = dp.family;
                    t.src = sp.addr;
                    t.dst = dp.addr;
                    t.proto = 17;
                    t.sport = pick(ports);
                    t.dport = uint16_t(b.dports.lo + rng() % (b.dports.hi - b.dports.lo + 1));
                    t.vlan = b.vlan == kAnyVlan ? 120 : b.vlan;
                    return t;
                }
            }
            const auto& r = pick(p.rules);
            auto s = addr_of(r.initiator);
            auto d = addr_of(r.responder);
            if (s && d && s->second == d->second) {
                Tuple t = uniform();
                t.family = s->second;
                t.src = s->first;
                t.dst = d->first;
                if (r.proto != Proto::Any) t.proto = uint8_t(r.proto);
                if (!r.dports.empty() && (t.proto == 6 || t.proto == 17))
                    t.dport = pick(r.dports).lo;
                return t;
            }
        }
        return uniform();
    }
    Tuple uniform() {
        Tuple t;
        auto [s, fam] = pick(addrs);
        std::pair<Addr, uint8_t> d;
        do d = pick(addrs);
        while (d.second != fam);
        t.family = fam;
        t.src = s;
        t.dst = d.first;
        static const std::vector<uint8_t> protos = {6, 6, 6, 17, 17, 17, 1, 58, 2};
        t.proto = pick(protos);
        if (t.proto == 6 || t.proto == 17) {
            t.sport = pick(ports);
            t.dport = pick(ports);
        }
        if (t.proto == 58) {
            static const std::vector<int16_t> types = {128, 129, 130, 133, 135, 136, 143};
            t.icmp_type = pick(types);
        }
        static const std::vector<uint16_t> vlans = {0, 120, 120, 121, 121, 999};
        t.vlan = pick(vlans);
        t.arrival = rng() % 2 ? Side::Clinical : Side::Core;
        if (rng() % 3) t.src_mac = pick(macs);
        if (rng() % 3) t.dst_mac = pick(macs);
        return t;
    }
};

uint64_t seed() {
    if (const char* s = std::getenv("WG_PROPERTY_SEED")) return std::strtoull(s, nullptr, 10);
    return 20261130;
}

}  // namespace

TEST_CASE("evaluate agrees between the compiled policy, its image and a naive model",
          "[property]") {
    auto dir = GENERATE(wg::test::example_policy(),
                        wg::test::source_root() / "tests/common/policy/fixtures/rich");
    INFO("policy " << dir);
    auto r = compile_directory(dir);
    REQUIRE(r.ok());
    auto image = encode_image(*r.policy);
    auto decoded = decode_image(image);
    Gen gen(*r.policy, seed());
    std::map<Verdict, int> seen;
    for (int i = 0; i < 6000; ++i) {
        Tuple t = gen.next();
        auto a = evaluate(*r.policy, t);
        auto b = evaluate(decoded, t);
        auto n = naive(decoded, t);
        INFO("tuple " << i << ": " << net::format_addr(t.src, t.family) << " -> "
                      << net::format_addr(t.dst, t.family) << " proto " << int(t.proto) << " "
                      << t.sport << "->" << t.dport << " vlan " << t.vlan);
        REQUIRE(a.verdict == b.verdict);
        REQUIRE(a.tier == b.tier);
        REQUIRE(a.rule == b.rule);
        REQUIRE(a.deciding_class == b.deciding_class);
        REQUIRE(a.src.class_id == b.src.class_id);
        REQUIRE(a.dst.class_id == b.dst.class_id);
        REQUIRE(a.trace == b.trace);
        REQUIRE(b.verdict == n.verdict);
        REQUIRE(b.tier == n.tier);
        if (n.tier != Tier::Default && n.tier != Tier::Essentials) REQUIRE(b.rule == n.rule);
        if (n.src) {
            REQUIRE(b.src.class_id == n.src->cls);
            REQUIRE(b.src.zone_id == n.src->zone);
            REQUIRE(b.src.spoofed == n.src->spoofed);
            REQUIRE(b.dst.class_id == n.dst->cls);
            REQUIRE(b.dst.zone_id == n.dst->zone);
            REQUIRE(b.dst.spoofed == n.dst->spoofed);
        }
        if (n.tier == Tier::Default) REQUIRE(b.deciding_class == n.deciding);
        seen[b.verdict]++;
    }
    // The generator must reach every verdict, or the property is vacuous.
    CHECK(seen[Verdict::Allow] > 100);
    CHECK(seen[Verdict::Deny] > 100);
    CHECK(seen[Verdict::WouldDeny] > 10);
    CHECK(seen[Verdict::Bypass] > 0);
}

TEST_CASE("wardgate explain reports what the decoded image decides", "[property][cli]") {
    auto r = compile_directory(wg::test::example_policy());
    REQUIRE(r.ok());
    auto decoded = decode_image(encode_image(*r.policy));
    Gen gen(decoded, seed() + 1);
    int checked = 0;
    for (int i = 0; checked < 60 && i < 1000; ++i) {
        Tuple t = gen.next();
        if (t.proto != 6 && t.proto != 17) continue;
        // explain infers the arrival port from the source's side.
        int clin = -1, core = -1;
        for (auto& x : decoded.clinical_space)
            if (in_prefix(x, t.src, t.family)) clin = std::max(clin, int(x.len));
        for (auto& x : decoded.core_space)
            if (in_prefix(x, t.src, t.family)) core = std::max(core, int(x.len));
        t.arrival = core > clin ? Side::Core : Side::Clinical;
        wg::cli::Args args = {wg::test::example_policy().string(),
                              "--src",
                              net::format_addr(t.src, t.family),
                              "--dst",
                              net::format_addr(t.dst, t.family),
                              "--proto",
                              t.proto == 6 ? "tcp" : "udp",
                              "--sport",
                              std::to_string(t.sport),
                              "--dport",
                              std::to_string(t.dport),
                              "--vlan",
                              std::to_string(t.vlan),
                              "--format",
                              "json"};
        if (t.src_mac) args.insert(args.end(), {"--src-mac", net::format_mac(*t.src_mac)});
        if (t.dst_mac) args.insert(args.end(), {"--dst-mac", net::format_mac(*t.dst_mac)});
        std::ostringstream out, err;
        REQUIRE(wg::cli::explain(args, out, err) == 0);
        auto j = nlohmann::json::parse(out.str());
        auto d = evaluate(decoded, t);
        INFO(out.str());
        CHECK(j["verdict"] == verdict_name(d.verdict));
        std::string rule = d.tier == Tier::Bypass ? "bypass/" + decoded.bypass[d.rule].name
                           : d.rule != kNoRule    ? decoded.rules[d.rule].name
                           : d.tier == Tier::Default
                               ? decoded.classes[d.deciding_class].name + "/default"
                               : "";
        CHECK(j["rule"] == rule);
        ++checked;
    }
    CHECK(checked == 60);
}
