#include <catch2/catch.hpp>

#include "segment_util.hpp"

using namespace wg::l7;
using namespace l7test;

namespace {

DicomConstraint dicom(std::optional<std::vector<std::string>> calling,
                      std::optional<std::vector<std::string>> called) {
    DicomConstraint c;
    REQUIRE(build(DicomConstraintSpec{calling, called}, c).empty());
    return c;
}

// A minimal A-ASSOCIATE-RQ built from PS3.8 table 9-11.
Buf associate_rq(std::string_view called, std::string_view calling, uint32_t pdu_len = 205) {
    Buf p(75, 0);
    p[0] = 0x01;
    p[2] = uint8_t(pdu_len >> 24);
    p[3] = uint8_t(pdu_len >> 16);
    p[4] = uint8_t(pdu_len >> 8);
    p[5] = uint8_t(pdu_len);
    p[7] = 0x01;
    for (size_t i = 0; i < 16; ++i) {
        p[10 + i] = i < called.size() ? uint8_t(called[i]) : ' ';
        p[26 + i] = i < calling.size() ? uint8_t(calling[i]) : ' ';
    }
    p[74] = 0x10;
    return p;
}

}  // namespace

TEST_CASE("dicom: echoscu's real A-ASSOCIATE-RQ parses with trimmed titles", "[l7][dicom]") {
    auto r = parse_dicom(span_of(kEchoscuAssociateRq));
    REQUIRE(r.status == Status::Ok);
    CHECK(r.fields.calling.view() == "US_CART_ICU1");
    CHECK(r.fields.called.view() == "PACS");
    CHECK(r.fields.pdu_length == 205);
    CHECK(kEchoscuAssociateRq.size() == 6 + 205);
}

TEST_CASE("dicom: the verdict needs 75 bytes and is asked for in steps", "[l7][dicom]") {
    auto r = parse_dicom({});
    CHECK(r.status == Status::NeedMore);
    CHECK(r.need == 1);
    CHECK(parse_dicom(wg::l7::Bytes(kEchoscuAssociateRq.data(), 1)).need == 6);
    CHECK(parse_dicom(wg::l7::Bytes(kEchoscuAssociateRq.data(), 6)).need == 8);
    CHECK(parse_dicom(wg::l7::Bytes(kEchoscuAssociateRq.data(), 8)).need == 75);
    CHECK(parse_dicom(wg::l7::Bytes(kEchoscuAssociateRq.data(), 74)).need == 75);
    CHECK(parse_dicom(wg::l7::Bytes(kEchoscuAssociateRq.data(), 75)).status == Status::Ok);
}

TEST_CASE("dicom: titles are trimmed of leading and trailing spaces only", "[l7][dicom]") {
    auto r = parse_dicom(span_of(associate_rq("  PACS ARCH", "A")));
    REQUIRE(r.status == Status::Ok);
    CHECK(r.fields.called.view() == "PACS ARCH");
    CHECK(r.fields.calling.view() == "A");
    auto full = parse_dicom(span_of(associate_rq("ABCDEFGHIJKLMNOP", "0123456789ABCDEF")));
    REQUIRE(full.status == Status::Ok);
    CHECK(full.fields.called.view() == "ABCDEFGHIJKLMNOP");
}

TEST_CASE("dicom: reserved bytes are not tested", "[l7][dicom]") {
    Buf p = associate_rq("PACS", "CART");
    p[1] = 0xff;
    p[6] = 0xff;  // only bit 0 of the version is tested
    p[8] = p[9] = 0xaa;
    p[42] = p[73] = 0x55;
    CHECK(parse_dicom(span_of(p)).status == Status::Ok);
}

TEST_CASE("dicom reason: dicom_not_associate_rq (HTTP on 104, other PDU types)", "[l7][dicom]") {
    auto r = parse_dicom(span_of(bytes("GET / HTTP/1.1\r\n")));
    REQUIRE(r.status == Status::Violation);
    CHECK(r.reason == Reason::DicomNotAssociateRq);
    CHECK(r.value.view() == "0x47");
    CHECK(reason_name(r.reason) == "dicom_not_associate_rq");
    Buf pdata = associate_rq("PACS", "CART");
    pdata[0] = 0x04;  // P-DATA-TF before any association
    CHECK(parse_dicom(span_of(pdata)).reason == Reason::DicomNotAssociateRq);
}

TEST_CASE("dicom reason: dicom_bad_pdu_length", "[l7][dicom]") {
    auto small = parse_dicom(span_of(associate_rq("PACS", "CART", 71)));
    CHECK(small.reason == Reason::DicomBadPduLength);
    CHECK(small.value.view() == "71");
    CHECK(parse_dicom(span_of(associate_rq("PACS", "CART", 72))).status == Status::Ok);
    CHECK(parse_dicom(span_of(associate_rq("PACS", "CART", 256 * 1024))).status == Status::Ok);
    auto huge = parse_dicom(span_of(associate_rq("PACS", "CART", 0xffffffffu)));
    CHECK(huge.reason == Reason::DicomBadPduLength);
    CHECK(huge.value.view() == "4294967295");
}

TEST_CASE("dicom reason: dicom_bad_protocol_version", "[l7][dicom]") {
    Buf p = associate_rq("PACS", "CART");
    p[7] = 0x02;
    auto r = parse_dicom(span_of(p));
    CHECK(r.reason == Reason::DicomBadProtocolVersion);
    CHECK(r.value.view() == "\\x00\\x02");
}

TEST_CASE("dicom reason: dicom_bad_item", "[l7][dicom]") {
    Buf p = associate_rq("PACS", "CART");
    p[74] = 0x20;  // a presentation context where the application context must be
    auto r = parse_dicom(span_of(p));
    CHECK(r.reason == Reason::DicomBadItem);
    CHECK(r.value.view() == "0x20");
}

TEST_CASE("dicom reason: dicom_bad_ae_title (all spaces, control bytes, backslash)",
          "[l7][dicom]") {
    CHECK(parse_dicom(span_of(associate_rq("PACS", ""))).reason == Reason::DicomBadAeTitle);
    CHECK(parse_dicom(span_of(associate_rq("", "CART"))).reason == Reason::DicomBadAeTitle);
    auto ctl = parse_dicom(span_of(associate_rq("PACS", std::string_view("CA\x01T", 4))));
    CHECK(ctl.reason == Reason::DicomBadAeTitle);
    CHECK(ctl.value.view() == "CA\\x01T            ");
    CHECK(parse_dicom(span_of(associate_rq("PACS", "CA\\RT"))).reason == Reason::DicomBadAeTitle);
}

TEST_CASE("dicom reason: dicom_calling_ae_denied / dicom_called_ae_denied", "[l7][dicom]") {
    Constraint c = dicom(std::vector<std::string>{"US_CART_*"}, std::vector<std::string>{"PACS"});
    CHECK(inspect_bytes(c, kEchoscuAssociateRq).status == Status::Ok);
    auto foreign = inspect_bytes(c, associate_rq("PACS", "EVIL_WS"));
    CHECK(foreign.status == Status::Violation);
    CHECK(foreign.reason == Reason::DicomCallingAeDenied);
    CHECK(foreign.value.view() == "EVIL_WS");
    AuditValue summary;
    inspect(c, span_of(associate_rq("PACS", "EVIL_WS")), &summary);
    CHECK(summary.view() == "calling=EVIL_WS called=PACS");
    auto other_pacs = inspect_bytes(c, associate_rq("PACS2", "US_CART_7"));
    CHECK(other_pacs.reason == Reason::DicomCalledAeDenied);
    CHECK(other_pacs.value.view() == "PACS2");
}

TEST_CASE("dicom: an unnamed list allows any title, an empty list none", "[l7][dicom]") {
    Constraint any = dicom(std::nullopt, std::nullopt);
    CHECK(inspect_bytes(any, kEchoscuAssociateRq).status == Status::Ok);
    Constraint none = dicom(std::vector<std::string>{}, std::nullopt);
    CHECK(inspect_bytes(none, kEchoscuAssociateRq).reason == Reason::DicomCallingAeDenied);
}

TEST_CASE("dicom: every prefix and every 2-segment split of echoscu's RQ",
          "[l7][dicom][segments]") {
    Constraint allow = dicom(std::vector<std::string>{"US_CART_ICU1"}, std::nullopt);
    Constraint deny = dicom(std::vector<std::string>{"OTHER"}, std::nullopt);
    check_every_prefix(allow, kEchoscuAssociateRq);
    check_every_prefix(deny, kEchoscuAssociateRq);
    check_every_split(allow, kEchoscuAssociateRq);
    check_every_split(deny, kEchoscuAssociateRq);
}
