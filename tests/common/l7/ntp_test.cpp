#include <catch2/catch.hpp>

#include "segment_util.hpp"

using namespace wg::l7;
using namespace l7test;

namespace {
Constraint modes(std::vector<int> m) {
    NtpConstraint c;
    REQUIRE(build(NtpConstraintSpec{m}, c).empty());
    return c;
}
}  // namespace

TEST_CASE("ntp: mode and version from byte 0", "[l7][ntp]") {
    auto r = parse_ntp(span_of(ntp_client()));
    REQUIRE(r.status == Status::Ok);
    CHECK(r.fields.mode == 3);
    CHECK(r.fields.version == 4);
    CHECK(inspect_bytes(modes({3}), ntp_client()).status == Status::Ok);
    AuditValue summary;
    inspect(modes({3}), span_of(ntp_client()), &summary);
    CHECK(summary.view() == "mode=3 version=4");
}

TEST_CASE("ntp reason: ntp_mode_denied (ntpq control, monlist)", "[l7][ntp]") {
    auto rv = inspect_bytes(modes({3}), ntpq_rv());
    CHECK(rv.reason == Reason::NtpModeDenied);
    CHECK(rv.value.view() == "6");
    auto monlist = inspect_bytes(modes({3}), ntp_monlist());
    CHECK(monlist.reason == Reason::NtpModeDenied);
    CHECK(monlist.value.view() == "7");
    CHECK(inspect_bytes(modes({3, 6}), ntpq_rv()).status == Status::Ok);
    CHECK(reason_name(Reason::NtpModeDenied) == "ntp_mode_denied");
}

TEST_CASE("ntp reason: ntp_too_short", "[l7][ntp]") {
    Buf p = ntp_client();
    p.resize(47);
    auto r = parse_ntp(span_of(p));
    CHECK(r.reason == Reason::NtpTooShort);
    CHECK(r.value.view() == "47");
    CHECK(parse_ntp({}).reason == Reason::NtpTooShort);
    CHECK(parse_ntp(span_of(Buf{0x26, 0, 0})).reason == Reason::NtpTooShort);  // mode 6 < 12
    CHECK(parse_ntp(span_of(Buf{0x17, 0, 3})).reason == Reason::NtpTooShort);  // mode 7 < 8
}

TEST_CASE("ntp reason: ntp_bad_version", "[l7][ntp]") {
    Buf p = ntp_client();
    p[0] = 0x3b;  // VN 7
    auto r = parse_ntp(span_of(p));
    CHECK(r.reason == Reason::NtpBadVersion);
    CHECK(r.value.view() == "7");
    p[0] = 0x03;  // VN 0
    CHECK(parse_ntp(span_of(p)).reason == Reason::NtpBadVersion);
}

TEST_CASE("ntp: modes builder refuses non-modes", "[l7][ntp]") {
    NtpConstraint c;
    CHECK(build(NtpConstraintSpec{{3, 8}}, c) == "modes: 8 is not an NTP mode (0-7)");
    CHECK(build(NtpConstraintSpec{{-1}}, c) != "");
    REQUIRE(build(NtpConstraintSpec{{3, 4}}, c).empty());
    CHECK(c.allowed_modes == 0x18);
}
