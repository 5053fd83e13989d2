// wardgate explain --payload HEX / --payload-file FILE: the L7 step after the
// L4 trace, on the example policy (policies/): which rule's constraint
// applies, the parser's decision, the reason and the offending value, and the
// verdict that results (deny in an enforce class, would-deny in a monitor one).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <sstream>

#include "commands.hpp"
#include "test_util.hpp"
#include "vectors.hpp"

using l7test::Buf;
using wg::cli::Args;

namespace {

struct Run {
    int rc;
    std::string out, err;
};

Run explain(Args args) {
    std::ostringstream o, e;
    int rc = wg::cli::explain(args, o, e);
    return {rc, o.str(), e.str()};
}

std::string hex(const Buf& b) {
    std::string s;
    char x[4];
    for (uint8_t c : b) {
        std::snprintf(x, sizeof x, "%02x ", c);
        s += x;
    }
    return s;
}

// echoscu's real A-ASSOCIATE-RQ with other titles (16 bytes, space padded, at
// offsets 10 (called) and 26 (calling), PS3.8 table 9-11).
Buf associate_rq(const std::string& calling, const std::string& called) {
    Buf b = l7test::kEchoscuAssociateRq;
    for (size_t i = 0; i < 16; ++i) {
        b[10 + i] = i < called.size() ? uint8_t(called[i]) : ' ';
        b[26 + i] = i < calling.size() ? uint8_t(calling[i]) : ' ';
    }
    return b;
}

// The ultrasound cart (monitor mode) to PACS on 104: rule store-to-pacs,
// dicom calling US_CART_*, called PACS_ARCH.
Args cart_to_pacs() {
    return {wg::test::example_policy().string(),
            "--src",
            "198.18.121.20",
            "--dst",
            "198.19.30.5",
            "--proto",
            "tcp",
            "--dport",
            "104",
            "--vlan",
            "121"};
}

// A patient monitor (enforce mode) to the HL7 engine on 2575: rule
// results-to-hl7, hl7 sending_applications BEDVIEW, message_types ORU^R01.
Args monitor_to_hl7() {
    return {wg::test::example_policy().string(),
            "--src",
            "198.18.120.61",
            "--dst",
            "198.19.20.10",
            "--proto",
            "tcp",
            "--dport",
            "2575",
            "--vlan",
            "120",
            "--src-mac",
            "00:1b:2c:05:01:01"};
}

Args with(Args a, std::initializer_list<std::string> more) {
    a.insert(a.end(), more);
    return a;
}

bool has(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("explain --payload: an allowed DICOM association", "[cli][explain][l7]") {
    auto r = explain(
        with(cart_to_pacs(), {"--payload", hex(associate_rq("US_CART_ICU1", "PACS_ARCH"))}));
    INFO(r.out << r.err);
    CHECK(r.rc == 0);
    CHECK(has(r.out, "l7: rule ultrasound-cart/store-to-pacs (classes/ultrasound-cart.yaml:"));
    CHECK(has(r.out, "dicom: allowed (calling=US_CART_ICU1 called=PACS_ARCH)"));
    CHECK(has(r.out, "=> allow by tier class-allow"));
}

TEST_CASE("explain --payload: a foreign calling AE title", "[cli][explain][l7]") {
    auto r =
        explain(with(cart_to_pacs(), {"--payload", hex(associate_rq("XS_WORKSTN", "PACS_ARCH"))}));
    INFO(r.out << r.err);
    CHECK(r.rc == 0);
    CHECK(has(r.out, "dicom: violation dicom_calling_ae_denied value=\"XS_WORKSTN\""));
    CHECK(has(r.out, "calling_ae_titles [US_CART_*], called_ae_titles [PACS_ARCH]"));
    CHECK(has(r.out, "monitor mode: the payload is forwarded and recorded as would-deny"));
    // The cart's class is in monitor mode: recorded, not dropped.
    CHECK(has(r.out, "=> would-deny by tier class-allow + l7 (dicom_calling_ae_denied)"));

    // The same as JSON, for tooling.
    auto j = nlohmann::json::parse(
        explain(with(cart_to_pacs(), {"--payload", hex(associate_rq("XS_WORKSTN", "PACS_ARCH")),
                                      "--format", "json"}))
            .out);
    CHECK(j["verdict"] == "would-deny");
    CHECK(j["l4_verdict"] == "allow");
    CHECK(j["l7"]["protocol"] == "dicom");
    CHECK(j["l7"]["status"] == "violation");
    CHECK(j["l7"]["reason"] == "dicom_calling_ae_denied");
    CHECK(j["l7"]["value"] == "XS_WORKSTN");
    CHECK(j["l7"]["summary"] == "calling=XS_WORKSTN called=PACS_ARCH");
    CHECK(j["l7"]["rule"] == "ultrasound-cart/store-to-pacs");
}

TEST_CASE("explain --payload: HL7 in an enforce class, from hex and from a file",
          "[cli][explain][l7]") {
    auto ok = explain(with(monitor_to_hl7(), {"--payload", hex(l7test::hl7_oru("BEDVIEW"))}));
    INFO(ok.out << ok.err);
    CHECK(ok.rc == 0);
    CHECK(has(ok.out, "hl7: allowed"));
    CHECK(has(ok.out, "=> allow by tier class-allow, patient-monitor/results-to-hl7"));

    wg::test::ScratchDir d;
    Buf evil = l7test::hl7_oru("EVILAPP");
    d.write("msg.bin", std::string(evil.begin(), evil.end()));
    auto bad = explain(with(monitor_to_hl7(), {"--payload-file", (d.path() / "msg.bin").string()}));
    INFO(bad.out << bad.err);
    CHECK(has(bad.out, "hl7: violation hl7_sending_application_denied value=\"EVILAPP\""));
    CHECK(has(bad.out, "=> deny by tier class-allow + l7 (hl7_sending_application_denied)"));

    // An SSH banner on the HL7 port.
    auto ssh = explain(
        with(monitor_to_hl7(), {"--payload", hex(l7test::bytes("SSH-2.0-OpenSSH_9.2\r\n"))}));
    CHECK(has(ssh.out, "hl7: violation hl7_not_mllp"));
    CHECK(has(ssh.out, "SSH-2.0"));
}

TEST_CASE("explain --payload: undecided, not inspected, not reached", "[cli][explain][l7]") {
    // Only the 6-byte PDU header: the gateway would wait for more bytes (the
    // parser asks for the next field it needs, the protocol version).
    Buf rq = associate_rq("US_CART_ICU1", "PACS_ARCH");
    auto part = explain(with(cart_to_pacs(), {"--payload", hex(Buf(rq.begin(), rq.begin() + 6))}));
    CHECK(has(part.out, "dicom: undecided, needs at least 8 bytes (have 6)"));
    CHECK(has(part.out, "on_failure"));
    CHECK(has(part.out, "=> allow by tier class-allow"));

    // A rule without constraints: the payload is not inspected.
    auto plain = explain({wg::test::example_policy().string(), "--src", "198.18.120.41", "--dst",
                          "198.19.10.10", "--proto", "tcp", "--dport", "443", "--vlan", "120",
                          "--src-mac", "00:09:fb:10:04:12", "--payload", "16 03 01"});
    CHECK(plain.rc == 0);
    CHECK(has(plain.out, "l7: rule infusion-pump/to-pump-mgmt has no protocol constraint"));
    CHECK(has(plain.out, "=> allow by tier class-allow"));

    // Denied at L4: inspection is never reached.
    auto denied = explain({wg::test::example_policy().string(), "--src", "198.18.120.61", "--dst",
                           "198.19.20.10", "--proto", "tcp", "--dport", "2576", "--vlan", "120",
                           "--src-mac", "00:1b:2c:05:01:01", "--payload", "0b"});
    CHECK(has(denied.out, "l7: not reached"));
    CHECK(has(denied.out, "=> deny"));
}

TEST_CASE("explain --payload: NTP modes", "[cli][explain][l7]") {
    Args base = {wg::test::example_policy().string(),
                 "--src",
                 "198.18.120.61",
                 "--dst",
                 "198.19.0.123",
                 "--proto",
                 "udp",
                 "--dport",
                 "123",
                 "--vlan",
                 "120",
                 "--src-mac",
                 "00:1b:2c:05:01:01"};
    auto client = explain(with(base, {"--payload", hex(l7test::ntp_client())}));
    CHECK(has(client.out, "ntp: allowed"));
    auto rv = explain(with(base, {"--payload", hex(l7test::ntpq_rv())}));
    CHECK(has(rv.out, "ntp: violation ntp_mode_denied value=\"6\""));
    CHECK(has(rv.out, "=> deny by tier class-allow + l7 (ntp_mode_denied)"));
}

TEST_CASE("explain --payload: usage errors are exit 2", "[cli][explain][l7]") {
    CHECK(explain(with(cart_to_pacs(), {"--payload", "0x0g"})).rc == 2);
    CHECK(explain(with(cart_to_pacs(), {"--payload", "012"})).rc == 2);
    CHECK(explain(with(cart_to_pacs(), {"--payload", "01", "--payload-file", "/nonexistent"})).rc ==
          2);
    auto missing = explain(with(cart_to_pacs(), {"--payload-file", "/nonexistent/wg-payload"}));
    CHECK(missing.rc == 2);
    CHECK(has(missing.err, "wardgate explain: --payload-file"));
    // ICMP carries no payload the gateway inspects.
    CHECK(explain({wg::test::example_policy().string(), "--src", "198.18.120.41", "--dst",
                   "198.19.10.10", "--proto", "icmp", "--payload", "00"})
              .rc == 2);
}

TEST_CASE("the policies with constraints lint clean, without warnings", "[cli][l7]") {
    // The example policy, the demo's and the real-client e2e tests' policy:
    // a constraint lint flags there would be a broken example.
    for (const char* dir : {"policies", "scripts/demo-policy", "tests/e2e/l7/policy"}) {
        std::ostringstream o, e;
        int rc = wg::cli::lint({(wg::test::source_root() / dir).string()}, o, e);
        INFO(dir << ": " << o.str() << e.str());
        CHECK(rc == 0);
        CHECK(has(o.str(), ", 0 warnings;"));
    }
}
