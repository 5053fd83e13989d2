// The L7 parts of the policy language end to end (loader -> compiler ->
// image -> reference evaluator): on_violation (class default, rule override,
// what it does in monitor mode and on UDP), HL7 sending_facilities (MSH-4),
// and the refusal of explicitly empty lists.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "policy/compiler.hpp"
#include "policy/evaluate.hpp"
#include "policy/image.hpp"
#include "policy/l7_rule.hpp"
#include "policy/net.hpp"

using namespace wg::policy;
namespace fs = std::filesystem;

namespace {

const char* kGateway = R"(apiVersion: wardgate/v1
kind: Gateway
name: l7
zones: [ICU]
clinical_space: [198.18.0.0/16]
core_space: [198.19.0.0/16]
unknown: {mode: monitor, default_action: deny}
)";

const char* kInventory = R"(apiVersion: wardgate/v1
kind: Inventory
hosts:
  - {asset_id: C1, ip: 198.18.0.30, class: cart}
  - {asset_id: C2, ip: 198.18.0.32, class: watch}
  - {asset_id: M1, ip: 198.18.0.40, class: monitor}
  - {asset_id: S1, ip: 198.19.20.1, class: server}
)";

// cart: on_violation reset for the class, one rule back to drop.
// watch: monitor mode with reset (a would-deny never resets).
// monitor: HL7 with sending_facilities, class default (drop) and a rule reset.
const char* kClasses = R"(apiVersion: wardgate/v1
kind: DeviceClass
name: cart
mode: enforce
default_action: deny
on_violation: reset
egress:
  - name: store
    to: {class: server}
    proto: tcp
    ports: [104]
    constraints:
      dicom: {calling_ae_titles: ["US_CART_*"]}
  - name: store-alt
    to: {class: server}
    proto: tcp
    ports: [11112]
    constraints:
      on_violation: drop
      dicom: {calling_ae_titles: ["US_CART_*"]}
  - name: time
    to: {class: server}
    proto: udp
    ports: [123]
    constraints:
      ntp: {modes: [3]}
  - name: web
    to: {class: server}
    proto: tcp
    ports: [443]
---
apiVersion: wardgate/v1
kind: DeviceClass
name: watch
mode: monitor
default_action: deny
on_violation: reset
egress:
  - name: store
    to: {class: server}
    proto: tcp
    ports: [104]
    constraints:
      dicom: {calling_ae_titles: ["US_CART_*"]}
---
apiVersion: wardgate/v1
kind: DeviceClass
name: monitor
mode: enforce
default_action: deny
egress:
  - name: results
    to: {class: server}
    proto: tcp
    ports: [2575]
    constraints:
      hl7: {sending_applications: [BEDVIEW], sending_facilities: [ICU_EAST, "ICU_W*"]}
  - name: results-reset
    to: {class: server}
    proto: tcp
    ports: [2576]
    constraints:
      on_violation: reset
      hl7: {sending_facilities: [ICU_EAST]}
---
apiVersion: wardgate/v1
kind: DeviceClass
name: server
mode: enforce
default_action: deny
)";

struct Dir {
    fs::path path;
    explicit Dir(const std::string& classes) {
        path = fs::temp_directory_path() /
               ("wg-l7-policy-" + std::to_string(getpid()) + "-" + std::to_string(counter()++));
        fs::create_directories(path);
        std::ofstream(path / "gateway.yaml") << kGateway;
        std::ofstream(path / "inventory.yaml") << kInventory;
        std::ofstream(path / "classes.yaml") << classes;
    }
    ~Dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    static int& counter() {
        static int n = 0;
        return n;
    }
};

const Rule& rule(const CompiledPolicy& p, const std::string& name) {
    for (auto& r : p.rules)
        if (r.name == name) return r;
    FAIL("no rule " << name);
    return p.rules.front();
}

std::array<uint8_t, 16> ip(const char* s) {
    std::string err;
    auto a = net::parse_ip(s, err);
    REQUIRE(a);
    return a->addr;
}

Decision flow(const CompiledPolicy& p, const char* src, const char* dst, uint8_t proto,
              uint16_t dport) {
    Tuple t;
    t.src = ip(src);
    t.dst = ip(dst);
    t.proto = proto;
    t.sport = 40000;
    t.dport = dport;
    Decision d = evaluate(p, t);
    REQUIRE(d.verdict == Verdict::Allow);
    return d;
}

std::vector<uint8_t> assoc_rq(const std::string& calling) {
    std::vector<uint8_t> b = {0x01, 0x00, 0x00, 0x00, 0x00, 0x48, 0x00, 0x01, 0x00, 0x00};
    std::string called = "PACS" + std::string(12, ' ');
    std::string cg = calling + std::string(16 - calling.size(), ' ');
    b.insert(b.end(), called.begin(), called.end());
    b.insert(b.end(), cg.begin(), cg.end());
    b.resize(74, 0);
    for (uint8_t x : {0x10, 0x00, 0x00, 0x00}) b.push_back(x);
    return b;
}

std::vector<uint8_t> mllp(const std::string& msh) {
    const std::string framed = "\x0b" + msh + "\r\x1c\r";
    return std::vector<uint8_t>(framed.begin(), framed.end());
}

std::string diagnostics(const CompileResult& r) {
    std::string s;
    for (auto& d : r.diagnostics) s += format(d) + "\n";
    return s;
}

}  // namespace

TEST_CASE("on_violation: the rule's value, else its class's, else drop", "[l7][policy]") {
    Dir d(kClasses);
    auto r = compile_directory(d.path);
    INFO(diagnostics(r));
    REQUIRE(r.ok());
    const CompiledPolicy& p = *r.policy;
    CHECK(rule(p, "cart/store").constraints.on_violation == ViolationAction::Reset);
    CHECK(rule(p, "cart/store-alt").constraints.on_violation == ViolationAction::Drop);
    CHECK(rule(p, "cart/time").constraints.on_violation == ViolationAction::Reset);
    CHECK_FALSE(rule(p, "cart/web").constraints.on_violation.has_value());  // nothing to act on
    CHECK(rule(p, "monitor/results").constraints.on_violation == ViolationAction::Drop);
    CHECK(rule(p, "monitor/results-reset").constraints.on_violation == ViolationAction::Reset);

    SECTION("the image carries it (class and rule) and the hash covers it") {
        CompiledPolicy copy = p;
        auto bytes = encode_image(copy);
        CompiledPolicy back = decode_image(bytes);
        CHECK(rule(back, "cart/store").constraints.on_violation == ViolationAction::Reset);
        CHECK(rule(back, "cart/store-alt").constraints.on_violation == ViolationAction::Drop);
        CHECK_FALSE(rule(back, "cart/web").constraints.on_violation.has_value());
        bool cart_reset = false;
        for (auto& c : back.classes)
            if (c.name == "cart") cart_reset = c.on_violation == ViolationAction::Reset;
        CHECK(cart_reset);
        CHECK(encode_image(back) == bytes);
        Dir d2(std::string(kClasses).replace(std::string(kClasses).find("on_violation: drop"), 18,
                                             "on_violation: reset"));
        auto r2 = compile_directory(d2.path);
        REQUIRE(r2.ok());
        CompiledPolicy other = *r2.policy;
        encode_image(other);  // sets content_hash
        REQUIRE(copy.content_hash.size() == 64);
        CHECK(other.content_hash != copy.content_hash);
    }

    SECTION("the evaluator says when the gateway resets") {
        const Decision cart = flow(p, "198.18.0.30", "198.19.20.1", 6, 104);
        L7Decision bad = evaluate_l7(p, cart, assoc_rq("XS_CART_ICU1"));
        CHECK(bad.verdict == Verdict::Deny);
        CHECK(bad.reset);
        CHECK_FALSE(evaluate_l7(p, cart, assoc_rq("US_CART_ICU1")).reset);  // allowed
        L7Decision alt = evaluate_l7(p, flow(p, "198.18.0.30", "198.19.20.1", 6, 11112),
                                     assoc_rq("XS_CART_ICU1"));
        CHECK(alt.verdict == Verdict::Deny);
        CHECK_FALSE(alt.reset);  // the rule overrides the class: drop only
        // A monitor class forwards the violation: nothing to reset.
        L7Decision mon =
            evaluate_l7(p, flow(p, "198.18.0.32", "198.19.20.1", 6, 104), assoc_rq("XS_CART_ICU1"));
        CHECK(mon.verdict == Verdict::WouldDeny);
        CHECK_FALSE(mon.reset);
        // UDP has no connection: an NTP violation is only dropped.
        std::vector<uint8_t> ntpq(12, 0);
        ntpq[0] = 0x26;  // v4 mode 6
        L7Decision ntp = evaluate_l7(p, flow(p, "198.18.0.30", "198.19.20.1", 17, 123), ntpq);
        CHECK(ntp.verdict == Verdict::Deny);
        CHECK_FALSE(ntp.reset);
    }
}

TEST_CASE("on_violation: lint and loader findings", "[l7][policy]") {
    Dir d(kClasses);
    auto r = compile_directory(d.path);
    REQUIRE(r.ok());
    const std::string all = diagnostics(r);
    // Reset inherited by an NTP rule: the lint says it only drops.
    CHECK(all.find("warning[constraint-reset-udp]: rule 'cart/time'") != std::string::npos);
    CHECK(all.find("rule 'cart/store'") == std::string::npos);
    Dir bad(std::string(kClasses).replace(std::string(kClasses).find("on_violation: reset"), 19,
                                          "on_violation: rst"));
    auto rb = compile_directory(bad.path);
    CHECK_FALSE(rb.ok());
    CHECK(diagnostics(rb).find("classes.yaml:6:15: error[bad-value]") != std::string::npos);
}

TEST_CASE("hl7 sending_facilities (MSH-4): a wrong facility is a violation", "[l7][policy]") {
    Dir d(kClasses);
    auto r = compile_directory(d.path);
    REQUIRE(r.ok());
    const CompiledPolicy& p = *r.policy;
    CHECK(rule(p, "monitor/results").constraints.hl7_sending_facility ==
          std::vector<std::string>{"ICU_EAST", "ICU_W*"});
    wg::l7::Constraint c;
    std::string err;
    REQUIRE(rule_constraint(rule(p, "monitor/results").constraints, c, err));
    const Decision mon = flow(p, "198.18.0.40", "198.19.20.1", 6, 2575);
    auto msg = [](const std::string& fac) {
        return mllp("MSH|^~\\&|BEDVIEW|" + fac + "|LAB|HOSP|20260101||ORU^R01|1|P|2.5");
    };
    CHECK(evaluate_l7(p, mon, msg("ICU_EAST")).verdict == Verdict::Allow);
    CHECK(evaluate_l7(p, mon, msg("ICU_WEST^1.2.3^ISO")).verdict == Verdict::Allow);  // 1st comp.
    L7Decision bad = evaluate_l7(p, mon, msg("OR_1"));
    CHECK(bad.verdict == Verdict::Deny);
    CHECK(bad.reason == "hl7_sending_facility_denied");
    CHECK(bad.value == "OR_1");
    CHECK_FALSE(bad.reset);
    // Only sending_facilities named: the application is free, the facility is not.
    const Decision alt = flow(p, "198.18.0.40", "198.19.20.1", 6, 2576);
    CHECK(evaluate_l7(p, alt, mllp("MSH|^~\\&|OTHERAPP|ICU_EAST|LAB|HOSP|1||ADT^A01|1|P|2.5"))
              .verdict == Verdict::Allow);
    L7Decision bad2 =
        evaluate_l7(p, alt, mllp("MSH|^~\\&|OTHERAPP|ICU_WEST|LAB|HOSP|1||ADT^A01|1|P|2.5"));
    CHECK(bad2.reason == "hl7_sending_facility_denied");
    CHECK(bad2.reset);
}

TEST_CASE("an explicitly empty list is an error for every list, never 'anything goes'",
          "[l7][policy]") {
    struct Case {
        const char* key;
        const char* constraint;
        const char* proto;
        int col;  // of the key
    };
    const Case cases[] = {
        {"calling_ae_titles", "dicom: {calling_ae_titles: []}", "tcp", 15},
        {"called_ae_titles", "dicom: {called_ae_titles: []}", "tcp", 15},
        {"sending_applications", "hl7: {sending_applications: []}", "tcp", 13},
        {"sending_facilities", "hl7: {sending_facilities: []}", "tcp", 13},
        {"message_types", "hl7: {message_types: []}", "tcp", 13},
        {"modes", "ntp: {modes: []}", "udp", 13},
    };
    for (const Case& k : cases) {
        DYNAMIC_SECTION(k.key) {
            std::string classes = std::string(R"(apiVersion: wardgate/v1
kind: DeviceClass
name: cart
mode: enforce
default_action: deny
egress:
  - name: r
    to: {class: server}
    proto: )") + k.proto + R"(
    ports: [104]
    constraints:
      )" + k.constraint + R"(
---
apiVersion: wardgate/v1
kind: DeviceClass
name: server
mode: enforce
default_action: deny
---
apiVersion: wardgate/v1
kind: DeviceClass
name: watch
mode: monitor
default_action: deny
---
apiVersion: wardgate/v1
kind: DeviceClass
name: monitor
mode: enforce
default_action: deny
)";
            Dir d(classes);
            auto r = compile_directory(d.path);
            const std::string all = diagnostics(r);
            INFO(all);
            CHECK_FALSE(r.ok());
            CHECK(all.find("classes.yaml:12:" + std::to_string(k.col) +
                           ": error[constraint-empty-list]: '" + k.key + "'") != std::string::npos);
            CHECK(all.find("is an empty list") != std::string::npos);
        }
    }
    SECTION("a protocol with no list at all") {
        for (const char* c : {"dicom: {}", "hl7: {}"}) {
            std::string classes = std::string(kClasses);
            const std::string old = "dicom: {calling_ae_titles: [\"US_CART_*\"]}";
            classes.replace(classes.find(old), old.size(), c);
            Dir d(classes);
            auto r = compile_directory(d.path);
            INFO(c << "\n" << diagnostics(r));
            CHECK_FALSE(r.ok());
            CHECK(diagnostics(r).find("error[bad-constraint]") != std::string::npos);
        }
    }
    SECTION("the compiled form reads an empty list as nothing matches") {
        // Not reachable from a policy (refused above), but the matcher the
        // dataplane runs must never read it as "anything".
        wg::l7::DicomConstraint c;
        REQUIRE(
            wg::l7::build(wg::l7::DicomConstraintSpec{std::vector<std::string>{}, std::nullopt}, c)
                .empty());
        auto v = wg::l7::inspect(c, assoc_rq("US_CART_ICU1"));
        CHECK(v.status == wg::l7::Status::Violation);
        CHECK(v.reason == wg::l7::Reason::DicomCallingAeDenied);
        wg::l7::NtpConstraint n;
        REQUIRE(wg::l7::build(wg::l7::NtpConstraintSpec{}, n).empty());
        std::vector<uint8_t> q(48, 0);
        q[0] = 0x23;
        CHECK(wg::l7::inspect(n, q).reason == wg::l7::Reason::NtpModeDenied);
    }
}
