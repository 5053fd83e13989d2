// `wardgate lint` warnings on protocol constraints that can never do what
// their author meant (analysis.cpp, analyse_constraints): a constraint on a
// protocol or port that cannot carry it, on a TLS port it cannot read, on
// every port of a peer, and patterns no parsed value can ever equal.
#include <catch2/catch.hpp>

#include <algorithm>

#include "policy/analysis.hpp"

using namespace wg::policy;

namespace {

Rule rule(Proto proto, std::vector<PortRange> ports) {
    Rule r;
    r.name = "cart/store";
    r.proto = proto;
    r.dports = std::move(ports);
    r.loc = {"classes/cart.yaml", 12, 5};
    return r;
}

std::vector<Diagnostic> lint(const Rule& r) {
    CompiledPolicy p;
    p.rules.push_back(r);
    std::vector<Diagnostic> out;
    analyse_constraints(p, out);
    return out;
}

bool has(const std::vector<Diagnostic>& ds, const std::string& code, const std::string& text) {
    return std::any_of(ds.begin(), ds.end(), [&](const Diagnostic& d) {
        return d.code == code && d.message.find(text) != std::string::npos &&
               d.severity == Severity::Warning && d.loc.line == 12;
    });
}

std::string all(const std::vector<Diagnostic>& ds) {
    std::string s;
    for (auto& d : ds) s += format(d) + "\n";
    return s;
}

}  // namespace

TEST_CASE("constraint lint: well-placed constraints are quiet", "[analysis][constraints]") {
    Rule d = rule(Proto::Tcp, {{104, 104}, {11112, 11112}});
    d.constraints.dicom_calling_ae = {"US_CART_*"};
    d.constraints.dicom_called_ae = {"PACS_ARCH"};
    CHECK(lint(d).empty());
    Rule h = rule(Proto::Tcp, {{2575, 2575}});
    h.constraints.hl7_sending_application = {"BEDVIEW"};
    h.constraints.hl7_message_types = {"ORU^R01", "ACK", "ADT^*"};
    CHECK(lint(h).empty());
    Rule s = rule(Proto::Tcp, {{139, 139}, {445, 445}});
    s.constraints.smb_deny_v1 = true;
    CHECK(lint(s).empty());
    Rule n = rule(Proto::Udp, {{123, 123}});
    n.constraints.ntp_modes = {3};
    CHECK(lint(n).empty());
    Rule plain = rule(Proto::Udp, {});
    CHECK(lint(plain).empty());
}

TEST_CASE("constraint lint: a protocol the rule cannot carry", "[analysis][constraints]") {
    Rule d = rule(Proto::Udp, {{104, 104}});
    d.constraints.dicom_calling_ae = {"US_CART_ICU1"};
    auto ds = lint(d);
    CHECK(has(ds, "constraint-never-applies", "dicom constraint on a udp rule"));
    Rule n = rule(Proto::Tcp, {{123, 123}});
    n.constraints.ntp_modes = {3};
    CHECK(has(lint(n), "constraint-never-applies", "ntp constraint on a tcp rule"));
    Rule s = rule(Proto::Any, {});
    s.constraints.smb_deny_v1 = true;
    CHECK(has(lint(s), "constraint-never-applies", "smb constraint on a rule of any protocol"));
}

TEST_CASE("constraint lint: ports that cannot carry the protocol", "[analysis][constraints]") {
    Rule n = rule(Proto::Udp, {{5000, 5010}});
    n.constraints.ntp_modes = {3};
    auto ds = lint(n);
    INFO(all(ds));
    CHECK(has(ds, "constraint-port", "port 123"));
    Rule s = rule(Proto::Tcp, {{8080, 8080}});
    s.constraints.smb_deny_v1 = true;
    CHECK(has(lint(s), "constraint-port", "445"));
    // Every port of the peer: every other protocol to it is judged as this one.
    Rule any = rule(Proto::Tcp, {});
    any.constraints.hl7_sending_application = {"BEDVIEW"};
    CHECK(has(lint(any), "constraint-port", "every tcp port"));
    Rule anyn = rule(Proto::Udp, {});
    anyn.constraints.ntp_modes = {3};
    CHECK(has(lint(anyn), "constraint-port", "every udp port"));
}

TEST_CASE("constraint lint: TLS ports carry no readable first message", "[analysis][constraints]") {
    Rule d = rule(Proto::Tcp, {{104, 104}, {2762, 2762}});
    d.constraints.dicom_called_ae = {"PACS"};
    auto ds = lint(d);
    INFO(all(ds));
    CHECK(has(ds, "constraint-tls-port", "2762"));
    CHECK(has(ds, "constraint-tls-port", "dicom_not_associate_rq"));
    Rule h = rule(Proto::Tcp, {{443, 443}});
    h.constraints.hl7_message_types = {"ORU^R01"};
    CHECK(has(lint(h), "constraint-tls-port", "hl7_not_mllp"));
    // A range that contains the TLS port counts too.
    Rule r = rule(Proto::Tcp, {{2700, 2800}});
    r.constraints.dicom_calling_ae = {"A"};
    CHECK(has(lint(r), "constraint-tls-port", "2762"));
}

TEST_CASE("constraint lint: patterns no AE title can equal", "[analysis][constraints]") {
    // Titles are compared after trimming their space padding, and the parser
    // refuses titles with a backslash or outside 0x20-0x7e.
    for (std::string bad : {" PACS", "PACS ", "PA\\CS", "    "}) {
        Rule d = rule(Proto::Tcp, {{104, 104}});
        d.constraints.dicom_called_ae = {"PACS_ARCH", bad};
        auto ds = lint(d);
        INFO("pattern '" << bad << "': " << all(ds));
        CHECK(has(ds, "constraint-never-matches", "called_ae_titles"));
    }
    Rule ok = rule(Proto::Tcp, {{104, 104}});
    ok.constraints.dicom_calling_ae = {"US CART*", "A B", "US_CART_ *"};  // inner spaces are fine
    CHECK(lint(ok).empty());
    Rule longer = rule(Proto::Tcp, {{104, 104}});
    longer.constraints.dicom_calling_ae = {"ULTRASOUND_CART_ICU1"};
    CHECK(has(lint(longer), "constraint-never-matches", "16"));
}

TEST_CASE("constraint lint: HL7 values the parser never extracts", "[analysis][constraints]") {
    Rule h = rule(Proto::Tcp, {{2575, 2575}});
    h.constraints.hl7_message_types = {"ORU^R01^ORU_R01"};  // MSH-9.3, the structure
    auto ds = lint(h);
    INFO(all(ds));
    CHECK(has(ds, "constraint-never-matches", "ORU^R01^ORU_R01"));
    CHECK(has(ds, "constraint-never-matches", "two components"));
    Rule a = rule(Proto::Tcp, {{2575, 2575}});
    a.constraints.hl7_sending_application = {"PUMPGW^1.2.3^ISO"};
    CHECK(has(lint(a), "constraint-never-matches", "first component"));
    // An empty trigger event is what the parser extracts from "ORU^": allowed.
    Rule e = rule(Proto::Tcp, {{2575, 2575}});
    e.constraints.hl7_message_types = {"ORU^", "ACK"};
    CHECK(lint(e).empty());
}

TEST_CASE("constraint lint: runs as part of analyse()", "[analysis][constraints]") {
    CompiledPolicy p;
    Rule n = rule(Proto::Udp, {{5000, 5000}});
    n.constraints.ntp_modes = {3};
    p.rules.push_back(n);
    std::vector<Diagnostic> out;
    analyse(p, out);
    CHECK(has(out, "constraint-port", "port 123"));
}
