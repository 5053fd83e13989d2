// The indexed rule analysis (analysis.cpp) must report exactly what the
// pairwise scan it replaced reported: same rules, same "covered by" rule,
// same order. The pairwise scan is kept here as the reference, and both run
// on random policies dense in covering pairs (few classes, ports, prefixes;
// any-class, any-proto, any-port and wide-range rules). Fixed seed;
// WG_PROPERTY_SEED overrides it.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <random>

#include "policy/analysis.hpp"

using namespace wg::policy;

namespace {

std::string at(const SourceLoc& l) {
    return l.file + ":" + std::to_string(l.line);
}

// The pre-index algorithm, verbatim in its logic: O(N^2).
std::vector<Diagnostic> pairwise(const CompiledPolicy& p) {
    std::vector<Diagnostic> out;
    auto warn = [&](const SourceLoc& l, const char* code, std::string msg) {
        out.push_back({Severity::Warning, code, l, std::move(msg)});
    };
    std::vector<const Rule*> guards, allows;
    for (auto& r : p.rules) (r.tier == Tier::Guardrail ? guards : allows).push_back(&r);
    for (auto* a : allows) {
        for (auto* g : guards)
            if (g->mode == Mode::Enforce && rule_covers(*g, *a)) {
                warn(a->loc, "shadowed-rule",
                     "rule '" + a->name + "' can never allow anything: guardrail '" + g->name +
                         "' (" + at(g->loc) +
                         ") denies all of its traffic first. Remove the rule or narrow the "
                         "guardrail");
                break;
            }
        for (auto* b : allows) {
            if (a == b || !rule_covers(*b, *a)) continue;
            if (rule_covers(*a, *b) && b->id > a->id) continue;
            warn(a->loc, "redundant-rule",
                 "rule '" + a->name + "' is redundant: rule '" + b->name + "' (" + at(b->loc) +
                     ") already allows all of its traffic. Remove one of them");
            break;
        }
    }
    for (size_t i = 0; i < guards.size(); ++i)
        for (size_t j = 0; j < i; ++j)
            if (rule_covers(*guards[j], *guards[i]) &&
                (guards[j]->mode == Mode::Enforce || guards[i]->mode == Mode::Monitor)) {
                warn(guards[i]->loc, "redundant-rule",
                     "guardrail '" + guards[i]->name + "' is redundant: '" + guards[j]->name +
                         "' (" + at(guards[j]->loc) + ") already denies all of its traffic");
                break;
            }
    return out;
}

IpPrefix v4(uint8_t a, uint8_t b, uint8_t len) {
    IpPrefix p;
    p.family = 4;
    p.len = len;
    p.addr[0] = 198;
    p.addr[1] = 18;
    p.addr[2] = len >= 24 ? a : 0;
    p.addr[3] = len >= 32 ? b : 0;
    return p;
}

CompiledPolicy random_policy(std::mt19937& rng, size_t n_rules) {
    auto pick = [&](int n) { return int(rng() % unsigned(n)); };
    CompiledPolicy p;
    for (uint16_t c = 0; c < 5; ++c) {
        ClassDef d;
        d.id = c;
        d.name = c ? "c" + std::to_string(c) : "unknown";
        p.classes.push_back(d);
    }
    auto endpoint = [&] {
        Endpoint e;
        if (pick(3)) e.class_id = uint16_t(1 + pick(4));
        if (pick(4) == 0) e.zone_id = uint16_t(1 + pick(2));
        int k = pick(4);
        for (int i = 0; i < k; ++i)
            e.prefixes.push_back(pick(3) ? v4(uint8_t(pick(3)), uint8_t(pick(3)), 32)
                                         : v4(uint8_t(pick(3)), 0, 24));
        if (pick(6) == 0) e.prefixes.push_back(v4(0, 0, 16));
        return e;
    };
    auto ports = [&] {
        std::vector<PortRange> v;
        switch (pick(5)) {
            case 0:
                break;  // any
            case 1:
                v.push_back({1, 1024});
                break;  // wide
            case 2:
                v.push_back({uint16_t(440 + pick(8)), uint16_t(450 + pick(4))});
                break;
            default: {
                uint16_t a = uint16_t(440 + pick(12));
                v.push_back({a, a});
                if (pick(3) == 0 && a + 5 < 460) v.push_back({uint16_t(a + 5), uint16_t(a + 5)});
            }
        }
        return v;
    };
    const Proto protos[] = {Proto::Any, Proto::Tcp, Proto::Udp};
    for (size_t i = 0; i < n_rules; ++i) {
        Rule r;
        r.id = uint32_t(i);
        r.tier = pick(4) == 0 ? Tier::Guardrail : Tier::ClassAllow;
        r.mode = pick(3) == 0 ? Mode::Monitor : Mode::Enforce;
        r.name = "r" + std::to_string(i);
        r.initiator = endpoint();
        r.responder = endpoint();
        r.proto = protos[pick(3)];
        r.dports = ports();
        if (pick(5) == 0) r.sports = ports();
        if (pick(5) == 0) r.vlan = uint16_t(10 + pick(2));
        if (pick(8) == 0) r.constraints.smb_deny_v1 = true;
        r.loc = {"rules.yaml", uint32_t(i + 1), 3};
        p.rules.push_back(std::move(r));
    }
    // Guardrails first, as the compiler orders them; ids follow the order.
    std::stable_partition(p.rules.begin(), p.rules.end(),
                          [](const Rule& r) { return r.tier == Tier::Guardrail; });
    for (uint32_t i = 0; i < p.rules.size(); ++i) p.rules[i].id = i;
    return p;
}

}  // namespace

TEST_CASE("analysis: the rule index reports exactly what the pairwise scan did", "[analysis]") {
    unsigned seed = 20261203;
    if (const char* s = std::getenv("WG_PROPERTY_SEED")) seed = unsigned(std::strtoul(s, 0, 10));
    std::mt19937 rng(seed);
    size_t findings = 0;
    for (int round = 0; round < 60; ++round) {
        auto p = random_policy(rng, 20 + size_t(round) * 5);
        std::vector<Diagnostic> got;
        analyse(p, got);
        std::erase_if(got, [](const Diagnostic& d) {
            return d.code != "shadowed-rule" && d.code != "redundant-rule";
        });
        auto want = pairwise(p);
        INFO("seed " << seed << " round " << round);
        REQUIRE(got.size() == want.size());
        for (size_t i = 0; i < got.size(); ++i) {
            CHECK(got[i].code == want[i].code);
            CHECK(got[i].loc.line == want[i].loc.line);
            CHECK(got[i].message == want[i].message);
        }
        findings += want.size();
    }
    // The generator must actually produce covering pairs, or this proves nothing.
    CHECK(findings > 500);
}
