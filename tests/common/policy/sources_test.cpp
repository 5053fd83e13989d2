// Anti-spoofing by port (issue 12): never-valid sources with safe defaults,
// per-port exceptions, one precedence (allow > never_valid > sides) shared
// by the evaluator (explain's "source check" step), lint, the image and the
// resolved table the dataplane builds its lookup from.
#include <catch2/catch.hpp>

#include <random>

#include "policy/compiler.hpp"
#include "policy/diff.hpp"
#include "policy/dump.hpp"
#include "policy/evaluate.hpp"
#include "policy/image.hpp"
#include "policy/net.hpp"
#include "policy/source_check.hpp"
#include "test_util.hpp"

using namespace wg::policy;
using wg::test::ScratchDir;

namespace {

const std::string kGateway = R"(kind: Gateway
name: test-gw
zones: [ICU]
clinical_space: [198.18.0.0/16, "2001:2:0:120::/64"]
core_space: [0.0.0.0/0, "::/0"]
unknown: {mode: monitor, default_action: deny}
address_groups:
  ntp: [198.19.0.123]
)";

std::string diags(const CompileResult& r) {
    std::string s;
    for (auto& d : r.diagnostics) s += format(d) + "\n";
    return s;
}

CompileResult compile_with(const std::string& sources) {
    ScratchDir d;
    wg::test::write_minimal_policy(d);
    d.write("gateway.yaml", kGateway + sources);
    return compile_directory(d.path());
}

CompiledPolicy compile_ok(const std::string& sources = "") {
    auto r = compile_with(sources);
    INFO(diags(r));
    REQUIRE(r.ok());
    return *r.policy;
}

Tuple udp(const std::string& src, const std::string& dst, Side arrival, uint16_t sport = 40000,
          uint16_t dport = 5000) {
    std::string e;
    Tuple t;
    auto s = net::parse_ip(src, e);
    REQUIRE(s);
    t.family = s->family;
    t.src = s->addr;
    t.dst = net::parse_ip(dst, e)->addr;
    t.proto = 17;
    t.sport = sport;
    t.dport = dport;
    t.arrival = arrival;
    return t;
}

bool traced(const Decision& d, const std::string& what) {
    for (auto& l : d.trace)
        if (l.find(what) != std::string::npos) return true;
    return false;
}

}  // namespace

TEST_CASE("sources: the built-in never-valid list, on both ports", "[sources]") {
    auto p = compile_ok();
    for (Side port : {Side::Clinical, Side::Core}) {
        for (const char* src : {"224.0.0.5", "239.192.1.1", "127.0.0.1", "0.0.0.0", "0.1.2.3",
                                "240.0.0.1", "255.255.255.255"}) {
            INFO(src << " port " << int(port));
            auto d = evaluate(p, udp(src, "198.18.1.1", port));
            CHECK(d.verdict == Verdict::Deny);
            CHECK(d.reason == "invalid-source");
            CHECK(d.tier == Tier::Essentials);
        }
        for (const char* src : {"::", "::1", "ff02::1", "::ffff:198.18.1.1"}) {
            INFO(src << " port " << int(port));
            CHECK(evaluate(p, udp(src, "2001:2:0:120::5", port)).reason == "invalid-source");
        }
    }
    // The step is in the trace, naming the range and where it comes from.
    auto d = evaluate(p, udp("224.0.0.5", "198.19.1.1", Side::Clinical));
    CHECK(traced(d,
                 "source check: 224.0.0.5 on the clinical port: never valid as a source, "
                 "224.0.0.0/4 (built-in default)"));
    // Ordinary sources pass the step and say which side they are on.
    auto ok = evaluate(p, udp("198.18.1.1", "198.19.1.1", Side::Clinical));
    CHECK(ok.reason != "invalid-source");
    CHECK(traced(ok, "source check: 198.18.1.1 on the clinical port: ok (clinical side)"));
    // 169.254/16 is not a default (devices fall back to it, RFC 3927).
    CHECK(evaluate(p, udp("169.254.7.7", "198.19.1.1", Side::Core)).reason != "invalid-source");
}

TEST_CASE("sources: IPv6 link-local is never valid from the core side, fine on the clinical side",
          "[sources]") {
    auto p = compile_ok();
    auto core = evaluate(p, udp("fe80::1", "2001:2:0:120::5", Side::Core));
    CHECK(core.reason == "invalid-source");
    CHECK(traced(core, "fe80::/10 on the core port (built-in default)"));
    // Link-local belongs to the link, not a side: with core_space "::/0" it
    // would otherwise be a core-side address, spoofed on the clinical port.
    auto cl = evaluate(p, udp("fe80::1", "2001:db8::1", Side::Clinical));
    CHECK(cl.reason != "invalid-source");
    CHECK(cl.reason != "spoofed-source-side");
    CHECK(
        traced(cl, "accepted by the exception fe80::/10 on the clinical port (built-in default)"));
    // A site that wants none says so; its never_valid replaces the built-in exception.
    auto no_ll = compile_ok("sources:\n  clinical_port: {never_valid: [\"fe80::/10\"]}\n");
    CHECK(evaluate(no_ll, udp("fe80::1", "2001:db8::1", Side::Clinical)).reason ==
          "invalid-source");
    // Configured: allowed from the core port too.
    auto q = compile_ok("sources:\n  core_port: {allow: [\"fe80::/10\"]}\n");
    auto c = evaluate(q, udp("fe80::1", "2001:2:0:120::5", Side::Core));
    CHECK(c.reason != "invalid-source");
    CHECK(traced(c, "accepted by the exception fe80::/10 on the core port (gateway.yaml:10)"));
}

TEST_CASE("sources: DHCP discovery and DAD from the unspecified address are excepted",
          "[sources]") {
    auto p = compile_ok();
    // Essentials decide DHCP before the source check ...
    auto d = evaluate(p, udp("0.0.0.0", "255.255.255.255", Side::Clinical, 68, 67));
    CHECK(d.reason == "essential-dhcp");
    // ... and the check itself excepts exactly these packets.
    auto t = udp("0.0.0.0", "255.255.255.255", Side::Clinical, 68, 67);
    auto c = check_source(p, t);
    CHECK(c.verdict == SourceVerdict::Ok);
    CHECK(c.exempt);
    t.sport = 67;  // a "server" answering from 0.0.0.0 is not discovery
    CHECK(check_source(p, t).verdict == SourceVerdict::Invalid);
    t = udp("0.0.0.1", "255.255.255.255", Side::Clinical, 68, 67);  // only the address itself
    CHECK(check_source(p, t).verdict == SourceVerdict::Invalid);
    auto ns = udp("::", "ff02::1:ff00:5", Side::Clinical, 0, 0);
    ns.proto = 58;
    for (int type : {133, 135, 143}) {
        ns.icmp_type = int16_t(type);
        CHECK(check_source(p, ns).verdict == SourceVerdict::Ok);
    }
    ns.icmp_type = 128;  // echo request from :: is nobody's
    CHECK(check_source(p, ns).verdict == SourceVerdict::Invalid);
    CHECK(evaluate(p, ns).reason == "invalid-source");
}

TEST_CASE(
    "sources: a port exception lets the router inside the clinical prefix in on the core port",
    "[sources]") {
    auto p = compile_ok();
    auto router = udp("198.18.0.1", "198.18.1.1", Side::Core);
    CHECK(evaluate(p, router).reason == "spoofed-source-side");
    auto q = compile_ok("sources:\n  core_port:\n    allow: [198.18.0.1]\n");
    auto d = evaluate(q, router);
    CHECK(d.reason != "spoofed-source-side");
    CHECK(traced(d,
                 "source check: 198.18.0.1 on the core port: accepted by the exception "
                 "198.18.0.1 on the core port (gateway.yaml:11)"));
    // Only that address, only on that port.
    CHECK(evaluate(q, udp("198.18.0.2", "198.18.1.1", Side::Core)).reason == "spoofed-source-side");
    auto t = evaluate(q, udp("198.18.1.1", "198.19.1.1", Side::Clinical));
    CHECK(t.reason != "spoofed-source-side");
    // The spoofed step names the side.
    CHECK(traced(evaluate(q, udp("198.18.0.2", "198.18.1.1", Side::Core)),
                 "source check: 198.18.0.2 on the core port: spoofed, the address belongs to the "
                 "clinical side"));
}

TEST_CASE("sources: never_valid adds ranges; defaults: false removes the built-ins", "[sources]") {
    auto p = compile_ok(
        "sources:\n  never_valid: [192.0.2.0/24]\n  clinical_port: {never_valid: [10.0.0.0/8]}\n");
    CHECK(evaluate(p, udp("192.0.2.9", "198.18.1.1", Side::Core)).reason == "invalid-source");
    CHECK(evaluate(p, udp("10.1.1.1", "198.19.1.1", Side::Clinical)).reason == "invalid-source");
    CHECK(evaluate(p, udp("10.1.1.1", "198.18.1.1", Side::Core)).reason != "invalid-source");
    CHECK(traced(evaluate(p, udp("10.1.1.1", "198.19.1.1", Side::Clinical)),
                 "10.0.0.0/8 on the clinical port (gateway.yaml:11)"));
    auto r = compile_with("sources: {defaults: false}\n");
    REQUIRE(r.ok());
    CHECK(diags(r).find("warning[sources-defaults-off]") != std::string::npos);
    CHECK(evaluate(*r.policy, udp("224.0.0.5", "198.18.1.1", Side::Core)).reason !=
          "invalid-source");
    // Unknown keys and bad CIDRs are errors with their position.
    auto bad = compile_with("sources:\n  core_port: {allow: [198.18.0.1/8]}\n  extra: 1\n");
    CHECK_FALSE(bad.ok());
    CHECK(diags(bad).find("gateway.yaml:10") != std::string::npos);
    CHECK(diags(bad).find("extra") != std::string::npos);
}

TEST_CASE("sources: one range both never_valid and allowed on a port is an error", "[sources]") {
    auto r = compile_with(
        "sources:\n  never_valid: [192.0.2.0/24]\n  core_port: {allow: [192.0.2.0/24]}\n");
    CHECK_FALSE(r.ok());
    CHECK(diags(r).find("error[source-conflict]") != std::string::npos);
    CHECK(diags(r).find("192.0.2.0/24 is both never_valid and allowed on the core port") !=
          std::string::npos);
}

TEST_CASE("sources: lint flags exceptions that match nothing or are too wide", "[sources]") {
    // 198.19.0.1 on the core port is a core-side source anyway: nothing to except.
    auto unused = compile_with("sources:\n  core_port: {allow: [198.19.0.1]}\n");
    REQUIRE(unused.ok());
    CHECK(diags(unused).find("warning[source-exception-unused]") != std::string::npos);
    // The whole clinical space allowed on the core port: anti-spoofing off for it.
    auto wide = compile_with("sources:\n  core_port: {allow: [198.16.0.0/12]}\n");
    REQUIRE(wide.ok());
    CHECK(diags(wide).find("warning[source-exception-too-wide]") != std::string::npos);
    CHECK(diags(wide).find("covers all of 198.18.0.0/16") != std::string::npos);
    auto widenv = compile_with("sources:\n  clinical_port: {allow: [224.0.0.0/3]}\n");
    REQUIRE(widenv.ok());
    CHECK(diags(widenv).find("wider than the never-valid range 224.0.0.0/4") != std::string::npos);
    // The router exception and the link-local one are neither.
    auto good = compile_with("sources:\n  core_port: {allow: [198.18.0.1, \"fe80::/10\"]}\n");
    REQUIRE(good.ok());
    CHECK(diags(good).find("source-exception") == std::string::npos);
}

TEST_CASE("sources: the image carries the list; dump and diff show it", "[sources]") {
    auto p = compile_ok("sources:\n  core_port: {allow: [198.18.0.1]}\n");
    CHECK(p.sources.size() == default_never_valid().size() + 1);
    auto q = decode_image(encode_image(p));
    CHECK(q.sources == p.sources);
    CHECK(q.sources.back().loc.line == 10);
    CHECK(dump(q).find("source allow 198.18.0.1 ports=core\n") != std::string::npos);
    CHECK(dump(q).find("source never_valid 224.0.0.0/4 ports=both builtin\n") != std::string::npos);
    auto base = compile_ok();
    bool seen = false;
    for (auto& c : diff_policies(base, p).global)
        seen |= c.name == "sources" &&
                c.detail == "defaults on  =>  defaults on, allow 198.18.0.1 on core";
    CHECK(seen);
}

TEST_CASE("sources: the resolved table answers like check_source for every address", "[sources]") {
    // Nested and overlapping on purpose: spaces inside never-valid ranges,
    // exceptions inside spaces, a never-valid range inside an exception.
    auto p = compile_ok(
        "sources:\n"
        "  never_valid: [198.18.9.0/24, 10.0.0.0/8]\n"
        "  clinical_port: {allow: [10.1.0.0/16], never_valid: [10.1.2.0/24]}\n"
        "  core_port: {allow: [198.18.0.0/24, 198.18.9.8/29, \"fe80::1\"]}\n");
    const auto table = resolve_sources(p);
    auto lookup = [&](const Tuple& t) {
        const ResolvedSource* best = nullptr;
        for (auto& r : table)
            if (net::contains(r.prefix, t.src, t.family) &&
                (!best || r.prefix.len > best->prefix.len))
                best = &r;
        return best ? best->on[unsigned(t.arrival)] : SourceVerdict::Ok;
    };
    std::mt19937 rng(12);
    const char* seeds[] = {"198.18.0.1", "198.18.9.9", "198.18.9.200", "10.1.2.3",
                           "10.1.3.3",   "10.2.0.1",   "224.1.1.1",    "198.19.0.1",
                           "0.0.0.0",    "fe80::1",    "fe80::2",      "2001:2:0:120::1",
                           "::1",        "2001:db8::1"};
    for (int i = 0; i < 4000; ++i) {
        auto t = udp(seeds[i % std::size(seeds)], "198.18.1.1",
                     (i / 7) % 2 ? Side::Core : Side::Clinical);
        // Perturb the low bits so neighbouring ranges are crossed too.
        if (i >= int(std::size(seeds)) * 2) t.src[t.family == 4 ? 3 : 15] ^= uint8_t(rng());
        if (i % 3 == 0 && t.family == 4) t.src[2] ^= uint8_t(rng() & 15);
        const auto ref = check_source(p, t);
        INFO(net::format_addr(t.src, t.family) << " arrival " << int(t.arrival));
        const bool exempt = ref.exempt;  // the table leaves the exception to its caller
        CHECK(lookup(t) == (exempt ? SourceVerdict::Invalid : ref.verdict));
    }
}
