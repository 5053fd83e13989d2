// Guardrail exceptions (issue 12): `except:` carves a guardrail and nothing
// else. The carved traffic still needs an allow rule, later guardrails still
// apply, explain names the exception, diff lists it, lint flags exceptions
// that reach beyond their guardrail or let nothing through, and the image
// carries them.
#include <catch2/catch.hpp>

#include "policy/compiler.hpp"
#include "policy/diff.hpp"
#include "policy/dump.hpp"
#include "policy/evaluate.hpp"
#include "policy/image.hpp"
#include "policy/net.hpp"
#include "test_util.hpp"

using namespace wg::policy;
using wg::test::ScratchDir;

namespace {

constexpr const char* kGateway = R"(kind: Gateway
name: test-gw
zones: [ICU, NICU]
clinical_space: [198.18.0.0/16]
core_space: [0.0.0.0/0]
unknown: {mode: enforce, default_action: deny}
)";

constexpr const char* kClasses = R"(kind: DeviceClass
name: emr-workstation
mode: enforce
default_action: deny
egress:
  - {name: smb, to: {class: file-server}, proto: tcp, ports: [445]}
---
kind: DeviceClass
name: pump
mode: enforce
default_action: deny
egress:
  - {name: smb, to: {class: file-server}, proto: tcp, ports: [445]}
---
kind: DeviceClass
name: file-server
mode: enforce
default_action: deny
)";

constexpr const char* kInventory = R"(kind: Inventory
hosts:
  - {asset_id: W1, ip: 198.18.1.1, class: emr-workstation, zone: ICU}
  - {asset_id: W2, ip: 198.18.2.1, class: emr-workstation, zone: NICU}
  - {asset_id: P1, ip: 198.18.1.2, class: pump, zone: ICU}
  - {asset_id: F1, ip: 198.19.0.10, class: file-server}
  - {asset_id: F2, ip: 198.19.0.11, class: file-server}
)";

constexpr const char* kGuardrails = R"(kind: Guardrails
rules:
  - name: no-smb
    proto: tcp
    ports: [139, 445]
    except:
      - name: emr-to-files
        from: {class: emr-workstation}
        to: {class: file-server}
        ports: [445]
)";

void write(const ScratchDir& d, const std::string& guardrails = kGuardrails,
           const std::string& classes = kClasses) {
    d.write("gateway.yaml", kGateway);
    d.write("classes.yaml", classes);
    d.write("inventory.yaml", kInventory);
    d.write("guardrails.yaml", guardrails);
}

std::string diags(const CompileResult& r) {
    std::string s;
    for (auto& d : r.diagnostics) s += format(d) + "\n";
    return s;
}

CompiledPolicy compile_ok(const ScratchDir& d) {
    auto r = compile_directory(d.path());
    INFO(diags(r));
    REQUIRE(r.ok());
    return *r.policy;
}

Tuple tcp(const std::string& src, const std::string& dst, uint16_t dport) {
    std::string e;
    Tuple t;
    t.family = 4;
    t.src = net::parse_ip(src, e)->addr;
    t.dst = net::parse_ip(dst, e)->addr;
    t.proto = 6;
    t.sport = 40000;
    t.dport = dport;
    t.arrival = Side::Clinical;
    return t;
}

std::string rule_of(const CompiledPolicy& p, const Decision& d) {
    return d.rule == kNoRule ? "" : p.rules.at(d.rule).name;
}

bool traced(const Decision& d, const std::string& what) {
    for (auto& l : d.trace)
        if (l.find(what) != std::string::npos) return true;
    return false;
}

}  // namespace

TEST_CASE("exceptions: the exception carves the guardrail, the allow rule decides",
          "[exceptions]") {
    ScratchDir d;
    write(d);
    auto p = compile_ok(d);
    // EMR workstation to a file server, SMB: carved, then allowed by its rule.
    auto a = evaluate(p, tcp("198.18.1.1", "198.19.0.10", 445));
    CHECK(a.verdict == Verdict::Allow);
    CHECK(rule_of(p, a) == "emr-workstation/smb");
    CHECK(traced(a,
                 "guardrail: 'guardrail/no-smb' (guardrails.yaml:3:5) matches, but its "
                 "exception 'emr-to-files' (guardrails.yaml:7:9) carves this flow out"));
    // The pump has the same allow rule, but no exception: the guardrail wins.
    auto b = evaluate(p, tcp("198.18.1.2", "198.19.0.10", 445));
    CHECK(b.verdict == Verdict::Deny);
    CHECK(rule_of(p, b) == "guardrail/no-smb");
    // Port 139 is outside the exception (it narrows ports to 445).
    auto c = evaluate(p, tcp("198.18.1.1", "198.19.0.10", 139));
    CHECK(c.verdict == Verdict::Deny);
    CHECK(rule_of(p, c) == "guardrail/no-smb");
    // The pump's allow rule is shadowed; the workstation's is not (the exception reaches it).
    auto r = compile_directory(d.path());
    const std::string lint = diags(r);
    CHECK(lint.find("rule 'pump/smb' can never allow anything") != std::string::npos);
    CHECK(lint.find("rule 'emr-workstation/smb' can never") == std::string::npos);
    CHECK(lint.find("exception") == std::string::npos);
}

TEST_CASE("exceptions: carved traffic without an allow rule is still denied", "[exceptions]") {
    ScratchDir d;
    // The workstations keep an egress rule, but none for SMB.
    write(d, kGuardrails,
          wg::test::replaced(kClasses,
                             "{name: smb, to: {class: file-server}, proto: tcp, ports: [445]}",
                             "{name: web, to: {class: file-server}, proto: tcp, ports: [443]}"));
    auto r = compile_directory(d.path());
    INFO(diags(r));
    REQUIRE(r.ok());
    auto a = evaluate(*r.policy, tcp("198.18.1.1", "198.19.0.10", 445));
    CHECK(a.verdict == Verdict::Deny);
    CHECK(a.tier == Tier::Default);
    CHECK(diags(r).find("guardrails.yaml:7:9: warning[exception-matches-nothing]: exception "
                        "'emr-to-files' of guardrail/no-smb lets nothing through: no allow rule") !=
          std::string::npos);
}

TEST_CASE("exceptions: a later guardrail still applies to carved traffic", "[exceptions]") {
    ScratchDir d;
    write(d, std::string(kGuardrails) + R"(  - name: nicu-no-files
    from: {zone: NICU}
    to: {class: file-server}
    proto: any
)");
    auto p = compile_ok(d);
    CHECK(evaluate(p, tcp("198.18.1.1", "198.19.0.10", 445)).verdict == Verdict::Allow);
    auto n = evaluate(p, tcp("198.18.2.1", "198.19.0.10", 445));
    CHECK(n.verdict == Verdict::Deny);
    CHECK(rule_of(p, n) == "guardrail/nicu-no-files");
}

TEST_CASE("exceptions: lint and errors", "[exceptions]") {
    ScratchDir d;
    SECTION("an exception reaching beyond its guardrail is an error") {
        write(d, wg::test::replaced(kGuardrails, "        ports: [445]",
                                    "        ports: [445, 3389]"));
        auto r = compile_directory(d.path());
        INFO(diags(r));
        CHECK_FALSE(r.ok());
        CHECK(diags(r).find("guardrails.yaml:7:9: error[exception-too-broad]: exception "
                            "'emr-to-files' of guardrail/no-smb reaches beyond its guardrail") !=
              std::string::npos);
    }
    SECTION("an exception outside its guardrail carves nothing") {
        write(d, wg::test::replaced(kGuardrails, "        ports: [445]", "        proto: udp"));
        auto r = compile_directory(d.path());
        INFO(diags(r));
        CHECK(r.ok());
        CHECK(diags(r).find("guardrails.yaml:7:9: warning[exception-matches-nothing]: exception "
                            "'emr-to-files' of guardrail/no-smb lies outside its guardrail") !=
              std::string::npos);
    }
    SECTION("an empty exception would carve out the whole guardrail") {
        write(d, wg::test::replaced(kGuardrails,
                                    R"(      - name: emr-to-files
        from: {class: emr-workstation}
        to: {class: file-server}
        ports: [445]
)",
                                    "      - {name: all}\n"));
        auto r = compile_directory(d.path());
        CHECK_FALSE(r.ok());
        CHECK(diags(r).find("error[bad-exception]") != std::string::npos);
    }
    SECTION("unknown classes and keys in an exception are located") {
        write(d,
              wg::test::replaced(kGuardrails, "class: emr-workstation", "class: emr-workstatoin"));
        auto r = compile_directory(d.path());
        CHECK_FALSE(r.ok());
        CHECK(diags(r).find("guardrails.yaml:8:16: error[unknown-class]") != std::string::npos);
    }
}

TEST_CASE("exceptions: dump, diff and the image carry them", "[exceptions]") {
    ScratchDir a, b;
    write(a, R"(kind: Guardrails
rules:
  - name: no-smb
    proto: tcp
    ports: [139, 445]
)");
    write(b);
    auto r = compile_directory(a.path());
    REQUIRE(r.ok());
    const CompiledPolicy pa = *r.policy;
    CompiledPolicy pb = compile_ok(b);
    CHECK(dump(pb).find("  except emr-to-files carve tcp 445 class:emr-workstation -> "
                        "class:file-server @guardrails.yaml:7:9") != std::string::npos);
    auto df = diff_policies(pa, pb);
    bool added = false;
    for (auto& c : df.rules)
        if (c.kind == "added" && c.name == "guardrail/no-smb except emr-to-files") added = true;
    CHECK(added);
    // The workstations' permissions changed; the pump's did not.
    bool w1 = false, p1 = false;
    for (auto& c : df.devices) {
        if (c.name == "W1") w1 = true;
        if (c.name == "P1") p1 = true;
    }
    CHECK(w1);
    CHECK_FALSE(p1);
    // Image round trip.
    auto img = encode_image(pb);
    auto back = decode_image(img);
    REQUIRE(back.rules.size() == pb.rules.size());
    CHECK(back.rules[0].exceptions.size() == 1);
    CHECK(evaluate(back, tcp("198.18.1.1", "198.19.0.10", 445)).verdict == Verdict::Allow);
    CHECK(encode_image(back) == img);
}
