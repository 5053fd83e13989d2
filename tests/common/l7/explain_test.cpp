#include <catch2/catch.hpp>

#include "l7/explain.hpp"
#include "segment_util.hpp"

using namespace wg::l7;
using namespace l7test;

TEST_CASE("explain: hex payloads in the usual spellings", "[l7][explain]") {
    CHECK(parse_hex("01 00 ff") == std::vector<uint8_t>{0x01, 0x00, 0xff});
    CHECK(parse_hex("0x0b4D5348") == std::vector<uint8_t>{0x0b, 0x4d, 0x53, 0x48});
    CHECK(parse_hex("01:00-fF\n") == std::vector<uint8_t>{0x01, 0x00, 0xff});
    CHECK(parse_hex("")->empty());
    std::string err;
    CHECK_FALSE(parse_hex("0g", &err));
    CHECK(err == "hex: 'g' is not a hex digit (at offset 1)");
    CHECK_FALSE(parse_hex("010", &err));
    CHECK(err == "hex: odd number of digits");
    CHECK_FALSE(parse_hex("0 1", &err));
}

TEST_CASE("explain: one line per verdict, with the parsed fields", "[l7][explain]") {
    DicomConstraint d;
    REQUIRE(
        build(DicomConstraintSpec{std::vector<std::string>{"US_CART_*"}, std::nullopt}, d).empty());
    Constraint c = d;
    CHECK(explain_line(c, span_of(kEchoscuAssociateRq)) ==
          "dicom: allowed (calling=US_CART_ICU1 called=PACS)");
    Buf evil = kEchoscuAssociateRq;
    evil[26] = 'X';
    CHECK(explain_line(c, span_of(evil)) ==
          "dicom: violation dicom_calling_ae_denied value=\"XS_CART_ICU1\" (calling=XS_CART_ICU1 "
          "called=PACS)");
    CHECK(explain_line(c, wg::l7::Bytes(kEchoscuAssociateRq.data(), 12)) ==
          "dicom: undecided, needs at least 75 bytes (have 12)");
    CHECK(explain_line(c, span_of(bytes("GET / HTTP/1.1\r\n"))) ==
          "dicom: violation dicom_not_associate_rq value=\"0x47\"");
    CHECK(explain_line(Constraint{NtpConstraint{}}, span_of(ntp_monlist())) ==
          "ntp: violation ntp_mode_denied value=\"7\" (mode=7 version=2)");
}
