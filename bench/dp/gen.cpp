#include "gen.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>

namespace wg::bench {
namespace {

constexpr uint16_t kZoneIcu = 1, kZoneCore = 2;
// Class-allow ports live in [1024, 30000); scan-storm ports in [40000, 60000)
// so no allow rule ever matches a denied tuple.
constexpr uint16_t kAllowPortLo = 1024, kAllowPortSpan = 28976;
constexpr uint16_t kDenyPortLo = 40000, kDenyPortSpan = 20000;

policy::IpPrefix prefix(uint8_t family, const std::array<uint8_t, 16>& a, uint8_t len) {
    policy::IpPrefix p;
    p.family = family;
    p.len = len;
    p.addr = a;
    // Clear host bits so the prefix is canonical.
    const unsigned total = family == 4 ? 32 : 128;
    for (unsigned b = len; b < total; ++b)
        p.addr[b / 8] &= static_cast<uint8_t>(~(0x80u >> (b % 8)));
    return p;
}

std::array<uint8_t, 16> v4(uint32_t host_order) {
    std::array<uint8_t, 16> a{};
    a[0] = static_cast<uint8_t>(host_order >> 24);
    a[1] = static_cast<uint8_t>(host_order >> 16);
    a[2] = static_cast<uint8_t>(host_order >> 8);
    a[3] = static_cast<uint8_t>(host_order);
    return a;
}

std::array<uint8_t, 16> v6(uint16_t g1, uint32_t low) {
    std::array<uint8_t, 16> a{};
    a[0] = 0xfd;
    a[1] = 0x00;
    a[2] = static_cast<uint8_t>(g1 >> 8);
    a[3] = static_cast<uint8_t>(g1);
    a[12] = static_cast<uint8_t>(low >> 24);
    a[13] = static_cast<uint8_t>(low >> 16);
    a[14] = static_cast<uint8_t>(low >> 8);
    a[15] = static_cast<uint8_t>(low);
    return a;
}

std::array<uint8_t, 6> host_mac(uint32_t i) {
    return {0x02,
            0x00,
            static_cast<uint8_t>(i >> 24),
            static_cast<uint8_t>(i >> 16),
            static_cast<uint8_t>(i >> 8),
            static_cast<uint8_t>(i)};
}
// Every core-side frame carries the router's MAC.
constexpr std::array<uint8_t, 6> kRouterMac = {0x02, 0xfe, 0x00, 0x00, 0x00, 0x01};

}  // namespace

std::array<uint8_t, 16> clinical_addr(uint8_t family, uint32_t index) {
    return family == 4 ? v4(0x0a000000u + index + 1) : v6(0x000c, index + 1);
}
std::array<uint8_t, 16> core_addr(uint8_t family, uint32_t index) {
    return family == 4 ? v4(0xac100000u + index + 1) : v6(0x000e, index + 1);
}

Workload make_workload(const PolicySpec& s) {
    Workload w;
    auto& p = w.policy;
    std::mt19937_64 rng(s.seed);
    const uint8_t fam = s.family;
    p.name = "bench-" + std::to_string(s.rules) + "r-" + std::to_string(s.hosts) + "h-v" +
             std::to_string(fam);
    p.admission = s.admission;

    const unsigned guard = s.rules >= 100 ? std::min(10u, s.rules / 100) : 1u;
    unsigned classes = std::clamp(s.rules / 50, 2u, 200u);
    if (s.rules < guard + classes) classes = std::max(1u, s.rules - guard);
    w.classes = classes;
    const unsigned allows = s.rules - guard;

    policy::ClassDef unknown;
    unknown.id = policy::kUnknownClass;
    unknown.name = "unknown";
    // In the monitor-mode workload every class monitors, servers (unknown) too,
    // so a denied flow is a would-deny: forwarded, recorded, given state.
    unknown.mode = s.monitor ? policy::Mode::Monitor : policy::Mode::Enforce;
    p.classes.push_back(unknown);
    for (unsigned c = 1; c <= classes; ++c) {
        policy::ClassDef d;
        d.id = static_cast<uint16_t>(c);
        d.name = "class-" + std::to_string(c);
        d.mode = s.monitor ? policy::Mode::Monitor : policy::Mode::Enforce;
        d.default_action = policy::Action::Deny;
        p.classes.push_back(d);
    }
    p.zones = {"", "icu", "core"};

    p.hosts.reserve(s.hosts);
    for (uint32_t i = 0; i < s.hosts; ++i) {
        policy::HostEntry h;
        h.class_id = static_cast<uint16_t>(1 + i % classes);
        h.zone_id = kZoneIcu;
        h.has_mac = true;
        h.mac = host_mac(i);
        h.has_ip = true;
        h.ip = prefix(fam, clinical_addr(fam, i), fam == 4 ? 32 : 128);
        h.asset_id = "asset-" + std::to_string(i);
        p.hosts.push_back(std::move(h));
    }
    if (fam == 4) {
        p.clinical_space = {prefix(4, v4(0x0a000000u), 8)};
        p.core_space = {prefix(4, v4(0xac100000u), 12)};
    } else {
        p.clinical_space = {prefix(6, v6(0x000c, 0), 32)};
        p.core_space = {prefix(6, v6(0x000e, 0), 32)};
    }

    // Core-side servers the allow rules point at: enough that rules differ.
    const unsigned nserv = std::clamp(s.rules / 4, 16u, 4096u);
    for (unsigned j = 0; j < nserv; ++j) w.servers.push_back(core_addr(fam, j * 16));

    // Guardrails: deny management ports towards a range no server is in.
    for (unsigned g = 0; g < guard; ++g) {
        policy::Rule r;
        r.id = static_cast<uint32_t>(p.rules.size());
        r.name = "guardrail/no-mgmt-" + std::to_string(g);
        r.tier = policy::Tier::Guardrail;
        r.action = policy::Action::Deny;
        r.mode = policy::Mode::Enforce;
        r.owner_class = policy::kAnyClass;
        r.responder.prefixes = {fam == 4 ? prefix(4, v4(0xac1f0000u + (g << 8)), 24)
                                         : prefix(6, v6(0x001f, g << 8), 120)};
        r.proto = policy::Proto::Tcp;
        r.dports = {{static_cast<uint16_t>(22 + g), static_cast<uint16_t>(22 + g)}};
        p.rules.push_back(std::move(r));
    }
    w.rules_of_class.assign(classes + 1, {});
    for (unsigned i = 0; i < allows; ++i) {
        const uint16_t c = static_cast<uint16_t>(1 + i % classes);
        policy::Rule r;
        r.id = static_cast<uint32_t>(p.rules.size());
        r.name = "class-" + std::to_string(c) + "/allow-" + std::to_string(i);
        r.tier = policy::Tier::ClassAllow;
        r.action = policy::Action::Allow;
        r.owner_class = c;
        r.initiator.class_id = c;
        const auto& srv = w.servers[rng() % nserv];
        // Mostly single servers; every 8th rule a /28 server subnet.
        const uint8_t len = (i % 8 == 7) ? (fam == 4 ? 28 : 124) : (fam == 4 ? 32 : 128);
        r.responder.prefixes = {prefix(fam, srv, len)};
        r.proto = (i % 4 == 3) ? policy::Proto::Udp : policy::Proto::Tcp;
        const uint16_t port = static_cast<uint16_t>(kAllowPortLo + rng() % kAllowPortSpan);
        // Mostly one port; every 16th rule a small range (e.g. an ephemeral service block).
        const uint16_t hi = (i % 16 == 5) ? static_cast<uint16_t>(port + 15) : port;
        r.dports = {{port, hi}};
        w.rules_of_class[c].push_back(r.id);
        p.rules.push_back(std::move(r));
    }

    // Telemetry bypass: monitors stream to a multicast group.
    policy::BypassEntry b;
    b.id = 0;
    b.name = "telemetry/monitor-stream";
    w.bypass_group = fam == 4 ? v4(0xefff0a01u) : [] {
        std::array<uint8_t, 16> a{};
        a[0] = 0xff;
        a[1] = 0x3e;
        a[14] = 0x10;
        a[15] = 0x01;
        return a;
    }();
    b.dst = {prefix(fam, w.bypass_group, fam == 4 ? 32 : 128)};
    b.dports = {5400, 5401};
    w.bypass_port = 5400;
    if (s.bypass_bound) {
        b.side = 0;  // clinical port
        for (const auto& h : p.hosts) {
            b.src.push_back(h.ip);
            b.src_mac.push_back(h.mac);
        }
    }
    p.bypass.push_back(std::move(b));
    return w;
}

namespace {
Flow base_flow(const Workload& w, uint32_t host, uint16_t sport) {
    const auto& h = w.policy.hosts[host];
    Flow f;
    f.family = h.ip.family;
    f.src = h.ip.addr;
    f.src_mac = h.mac;
    f.dst_mac = kRouterMac;
    f.sport = sport;
    f.src_class = h.class_id;
    f.dst_class = policy::kUnknownClass;
    return f;
}
}  // namespace

std::vector<Flow> allowed_flows(const Workload& w, unsigned n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    const auto nh = static_cast<uint32_t>(w.policy.hosts.size());
    std::vector<Flow> out;
    out.reserve(n);
    for (uint32_t k = 0; k < n; ++k) {
        // (host, sport) is unique per flow: sport steps once per full pass over the hosts.
        const uint32_t h = k % nh;
        Flow f = base_flow(w, h, static_cast<uint16_t>(1024 + (k / nh) % 64000));
        const auto& rl = w.rules_of_class[f.src_class];
        const auto& r = w.policy.rules[rl[rng() % rl.size()]];
        const auto& pfx = r.responder.prefixes.front();
        f.dst = pfx.addr;
        const unsigned hostbits = (pfx.family == 4 ? 32u : 128u) - pfx.len;
        if (hostbits)
            f.dst[15 - (pfx.family == 4 ? 12 : 0)] |=
                static_cast<uint8_t>(rng() % (1u << hostbits));
        f.proto = static_cast<uint8_t>(r.proto);
        const auto& pr = r.dports.front();
        f.dport = static_cast<uint16_t>(pr.lo + rng() % (pr.hi - pr.lo + 1u));
        f.rule = r.id;
        out.push_back(f);
    }
    return out;
}

std::vector<Flow> denied_flows(const Workload& w, unsigned n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    const auto nh = static_cast<uint32_t>(w.policy.hosts.size());
    std::vector<Flow> out;
    out.reserve(n);
    for (uint32_t k = 0; k < n; ++k) {
        const uint32_t h = k % nh;
        Flow f = base_flow(w, h, static_cast<uint16_t>(1024 + (k / nh) % 64000));
        f.dst = w.servers[rng() % w.servers.size()];
        f.proto = 6;
        // Unique per (host, sport) pass, and never an allowed port.
        f.dport = static_cast<uint16_t>(kDenyPortLo + (rng() % kDenyPortSpan));
        f.rule = policy::kNoRule;
        out.push_back(f);
    }
    return out;
}

std::vector<Flow> bypass_flows(const Workload& w, unsigned n, uint64_t /*seed*/) {
    const auto nh = static_cast<uint32_t>(w.policy.hosts.size());
    std::vector<Flow> out;
    out.reserve(n);
    for (uint32_t k = 0; k < n; ++k) {
        const uint32_t h = k % nh;
        Flow f = base_flow(w, h, static_cast<uint16_t>(1024 + (k / nh) % 64000));
        f.dst = w.bypass_group;
        f.proto = 17;
        f.dport = w.bypass_port;
        // Multicast destination MAC (01:00:5e / 33:33 prefixes).
        if (f.family == 4)
            f.dst_mac = {0x01,     0x00,    0x5e, static_cast<uint8_t>(f.dst[1] & 0x7f),
                         f.dst[2], f.dst[3]};
        else
            f.dst_mac = {0x33, 0x33, f.dst[12], f.dst[13], f.dst[14], f.dst[15]};
        out.push_back(f);
    }
    return out;
}

Zipf::Zipf(unsigned n, double s, uint64_t seed) : cdf_(n), perm_(n) {
    double sum = 0;
    for (unsigned i = 0; i < n; ++i) {
        sum += 1.0 / std::pow(double(i + 1), s);
        cdf_[i] = sum;
    }
    for (auto& c : cdf_) c /= sum;
    for (unsigned i = 0; i < n; ++i) perm_[i] = i;
    std::mt19937_64 rng(seed);
    std::shuffle(perm_.begin(), perm_.end(), rng);
}

std::vector<uint32_t> Zipf::sequence(size_t len, uint64_t seed) const {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<uint32_t> out(len);
    for (auto& o : out) {
        const auto it = std::lower_bound(cdf_.begin(), cdf_.end(), u(rng));
        const auto rank = static_cast<size_t>(
            std::min<std::ptrdiff_t>(it - cdf_.begin(), std::ptrdiff_t(cdf_.size() - 1)));
        o = perm_[rank];
    }
    return out;
}

}  // namespace wg::bench
