#include <catch2/catch.hpp>

#include "segment_util.hpp"

using namespace wg::l7;
using namespace l7test;

namespace {

Constraint hl7(std::optional<std::vector<std::string>> apps,
               std::optional<std::vector<std::string>> facilities = std::nullopt,
               std::optional<std::vector<std::string>> types = std::nullopt) {
    Hl7Constraint c;
    REQUIRE(build(Hl7ConstraintSpec{apps, facilities, types}, c).empty());
    return c;
}

}  // namespace

TEST_CASE("hl7: an MLLP-framed ORU^R01 yields MSH-3.1, MSH-4.1 and MSH-9", "[l7][hl7]") {
    auto r = parse_hl7(span_of(hl7_oru()));
    REQUIRE(r.status == Status::Ok);
    CHECK(r.fields.sending_application.view() == "MONGW");
    CHECK(r.fields.sending_facility.view() == "ICU3");
    CHECK(r.fields.message_type.view() == "ORU^R01");
    CHECK(r.fields.field_separator == '|');
    CHECK(r.fields.component_separator == '^');
}

TEST_CASE("hl7: separators come from MSH-1/MSH-2, not hard-coded", "[l7][hl7]") {
    // Field separator '#', component separator '@': the '|' and '^' are data.
    auto msg = bytes("\x0bMSH#@~\\&#A|B@X#FAC^1#R#RF#2026##ADT@A01@ADT_A01#1#P#2.5\r\x1c\r");
    auto r = parse_hl7(span_of(msg));
    REQUIRE(r.status == Status::Ok);
    CHECK(r.fields.sending_application.view() == "A|B");
    CHECK(r.fields.sending_facility.view() == "FAC^1");
    CHECK(r.fields.message_type.view() == "ADT^A01");  // normalized to '^'
    CHECK(r.fields.field_separator == '#');
}

TEST_CASE("hl7: a one-component MSH-9 and empty fields", "[l7][hl7]") {
    auto r = parse_hl7(span_of(bytes("\x0bMSH|^~\\&|||||||ACK|")));
    REQUIRE(r.status == Status::Ok);
    CHECK(r.fields.sending_application.view().empty());
    CHECK(r.fields.message_type.view() == "ACK");
    // MSH-9 may also end the segment.
    CHECK(parse_hl7(span_of(bytes("\x0bMSH|^~\\&|A|F|||||ACK\r"))).status == Status::Ok);
}

TEST_CASE("hl7: the verdict comes at the end of MSH-9, not the end block", "[l7][hl7]") {
    Buf msg = hl7_oru();
    std::string_view s(reinterpret_cast<const char*>(msg.data()), msg.size());
    size_t after_msh9 = s.find("|MSG00042") + 1;
    CHECK(parse_hl7(wg::l7::Bytes(msg.data(), after_msh9 - 1)).status == Status::NeedMore);
    CHECK(parse_hl7(wg::l7::Bytes(msg.data(), after_msh9)).status == Status::Ok);
}

TEST_CASE("hl7 reason: hl7_not_mllp (an SSH banner on 2575)", "[l7][hl7]") {
    auto r = parse_hl7(span_of(bytes("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")));
    REQUIRE(r.status == Status::Violation);
    CHECK(r.reason == Reason::Hl7NotMllp);
    CHECK(r.value.view() == "SSH-2.0-OpenSSH_9.2p1 De");
    CHECK(reason_name(r.reason) == "hl7_not_mllp");
    CHECK(parse_hl7(span_of(bytes("MSH|^~\\&|A"))).reason == Reason::Hl7NotMllp);  // unframed
}

TEST_CASE("hl7 reason: hl7_not_msh (a batch header, garbage)", "[l7][hl7]") {
    auto r =
        parse_hl7(span_of(bytes("\x0b"
                                "FHS|^~\\&|")));
    CHECK(r.reason == Reason::Hl7NotMsh);
    CHECK(r.value.view() == "FHS|^~\\x5c&|");
    // Decided on the first wrong byte.
    CHECK(parse_hl7(span_of(bytes("\x0bX"))).reason == Reason::Hl7NotMsh);
}

TEST_CASE("hl7 reason: hl7_bad_separators", "[l7][hl7]") {
    CHECK(parse_hl7(span_of(bytes("\x0bMSHA^~\\&A"))).reason == Reason::Hl7BadSeparators);
    CHECK(parse_hl7(span_of(bytes("\x0bMSH\r^~\\&"))).reason == Reason::Hl7BadSeparators);
    CHECK(parse_hl7(span_of(bytes("\x0bMSH||A|"))).reason ==
          Reason::Hl7BadSeparators);  // empty MSH-2
    CHECK(parse_hl7(span_of(bytes("\x0bMSH|^^\\&|A|"))).reason == Reason::Hl7BadSeparators);
    CHECK(parse_hl7(span_of(bytes("\x0bMSH|^~\\&#!|A|"))).reason == Reason::Hl7BadSeparators);
    CHECK(parse_hl7(span_of(bytes("\x0bMSH|^~\\&#|A||||||ACK|"))).status == Status::Ok);  // v2.7
    CHECK(parse_hl7(span_of(bytes("\x0bMSH|^~\r"))).reason == Reason::Hl7BadSeparators);
}

TEST_CASE("hl7 reason: hl7_field_too_long, decided before the field ends", "[l7][hl7]") {
    std::string app(kHl7FieldMax, 'A');
    CHECK(parse_hl7(span_of(bytes("\x0bMSH|^~\\&|" + app + "|F|||||ACK|"))).status == Status::Ok);
    auto r = parse_hl7(span_of(bytes("\x0bMSH|^~\\&|" + app + "A")));
    CHECK(r.reason == Reason::Hl7FieldTooLong);
    CHECK(r.value.len <= kAuditValueMax);
    CHECK(r.value.view().substr(r.value.len - 3) == "...");
    // Only the inspected component counts: a long universal ID is fine.
    std::string oid(100, '1');
    CHECK(parse_hl7(span_of(bytes("\x0bMSH|^~\\&|APP^" + oid + "^ISO|F|||||ACK|"))).status ==
          Status::Ok);
}

TEST_CASE("hl7 reason: hl7_truncated (segment or message ends before MSH-9)", "[l7][hl7]") {
    auto r = parse_hl7(span_of(bytes("\x0bMSH|^~\\&|APP|FAC\r")));
    CHECK(r.reason == Reason::Hl7Truncated);
    CHECK(parse_hl7(span_of(bytes("\x0bMSH|^~\\&|APP\x1c\r"))).reason == Reason::Hl7Truncated);
}

TEST_CASE("hl7 reasons: sending application / facility / message type denied", "[l7][hl7]") {
    Constraint c = hl7(std::vector<std::string>{"MONGW", "PUMP*"}, std::vector<std::string>{"ICU3"},
                       std::vector<std::string>{"ORU^R01", "ACK*"});
    CHECK(inspect_bytes(c, hl7_oru()).status == Status::Ok);
    CHECK(inspect_bytes(c, hl7_oru("PUMPGW7")).status == Status::Ok);
    auto app = inspect_bytes(c, hl7_oru("EVILAPP"));
    CHECK(app.reason == Reason::Hl7SendingAppDenied);
    CHECK(app.value.view() == "EVILAPP");
    AuditValue summary;
    inspect(c, span_of(hl7_oru("EVILAPP")), &summary);
    CHECK(summary.view() == "msh3=EVILAPP msh4=ICU3 msh9=ORU^R01");
    auto fac = inspect_bytes(c, hl7_oru("MONGW", "ER"));
    CHECK(fac.reason == Reason::Hl7SendingFacilityDenied);
    CHECK(fac.value.view() == "ER");
    auto type = inspect_bytes(c, hl7_oru("MONGW", "ICU3", "ADT^A08^ADT_A01"));
    CHECK(type.reason == Reason::Hl7MessageTypeDenied);
    CHECK(type.value.view() == "ADT^A08");
    CHECK(reason_name(type.reason) == "hl7_message_type_denied");
}

TEST_CASE("hl7: every prefix and every 2-segment split of an ORU^R01", "[l7][hl7][segments]") {
    Constraint allow = hl7(std::vector<std::string>{"MONGW"});
    Constraint deny = hl7(std::vector<std::string>{"OTHER"});
    check_every_prefix(allow, hl7_oru());
    check_every_prefix(deny, hl7_oru());
    check_every_split(allow, hl7_oru());
    check_every_split(deny, hl7_oru());
    check_every_prefix(allow, bytes("SSH-2.0-OpenSSH_9.2p1\r\n"));
}
