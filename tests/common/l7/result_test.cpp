#include <catch2/catch.hpp>

#include <set>

#include "l7/constraint.hpp"

using namespace wg::l7;

TEST_CASE("reason names are unique, stable and snake_case", "[l7]") {
    std::set<std::string_view> seen;
    for (int i = 0; i < static_cast<int>(Reason::Count); ++i) {
        auto n = reason_name(static_cast<Reason>(i));
        CHECK(n != "unknown");
        for (char c : n) CHECK(((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'));
        CHECK(seen.insert(n).second);
    }
    CHECK(reason_name(Reason::DicomCallingAeDenied) == "dicom_calling_ae_denied");
    CHECK(reason_name(Reason::Count) == "unknown");
    CHECK(protocol_name(Protocol::Hl7) == "hl7");
}

TEST_CASE("audit values are escaped and length-limited", "[l7]") {
    AuditValue v;
    v.set(std::string_view("a\"b\\c\n\x7f"));
    CHECK(v.view() == "a\\x22b\\x5cc\\x0a\\x7f");
    std::string long_text(200, 'A');
    v.set(long_text);
    CHECK(v.len == kAuditValueMax);
    CHECK(v.view() == std::string(kAuditValueMax - 3, 'A') + "...");
    CHECK(v.text[v.len] == '\0');
    v.append(std::string_view("more"));  // a cut value stays cut
    CHECK(v.len == kAuditValueMax);
    // An escape is never split by the cut.
    std::string bin(100, '\x01');
    v.set(bin);
    CHECK(v.len <= kAuditValueMax);
    CHECK(v.view().substr(v.len - 3) == "...");
    CHECK((v.len - 3) % 4 == 0);
    v.set_hex(0x72);
    CHECK(v.view() == "0x72");
    v.set_uint(0);
    CHECK(v.view() == "0");
}

TEST_CASE("pattern builder: exact, PREFIX*, lone *, and its errors", "[l7]") {
    PatternTable<4, 16> t;
    REQUIRE(
        build_patterns(std::optional<std::vector<std::string>>{{"PACS", "US_*"}}, t, "x").empty());
    CHECK(t.matches("PACS"));
    CHECK_FALSE(t.matches("PACS2"));
    CHECK_FALSE(t.matches("PAC"));
    CHECK(t.matches("US_"));
    CHECK(t.matches("US_CART"));
    CHECK_FALSE(t.matches("us_cart"));  // case-sensitive
    REQUIRE(build_patterns(std::optional<std::vector<std::string>>{{"*"}}, t, "x").empty());
    CHECK(t.matches("anything"));
    CHECK(
        build_patterns(std::optional<std::vector<std::string>>{{"A*B"}}, t, "calling_ae_titles") ==
        "calling_ae_titles: '*' is only allowed at the end, in \"A*B\"");
    CHECK(build_patterns(std::optional<std::vector<std::string>>{{""}}, t, "x") ==
          "x: empty pattern");
    CHECK_FALSE(
        build_patterns(std::optional<std::vector<std::string>>{{std::string(17, 'A')}}, t, "x")
            .empty());
    CHECK(build_patterns(std::optional<std::vector<std::string>>{{std::string(16, 'A') + "*"}}, t,
                         "x")
              .empty());
    CHECK_FALSE(
        build_patterns(std::optional<std::vector<std::string>>{{"A", "B", "C", "D", "E"}}, t, "x")
            .empty());
    CHECK_FALSE(build_patterns(std::optional<std::vector<std::string>>{{"A\tB"}}, t, "x").empty());
    REQUIRE(build_patterns(std::optional<std::vector<std::string>>{}, t, "x").empty());
    CHECK(t.matches("whatever"));  // unnamed list: unrestricted
}

TEST_CASE("constraint builder errors name the list", "[l7]") {
    DicomConstraint d;
    auto e =
        build(DicomConstraintSpec{std::nullopt, std::vector<std::string>{"TOO_LONG_FOR_AN_AE"}}, d);
    CHECK(e.find("called_ae_titles") == 0);
    Hl7Constraint h;
    CHECK(build(Hl7ConstraintSpec{std::nullopt, std::nullopt, std::vector<std::string>{"O*R"}}, h)
              .find("message_types") == 0);
    CHECK(protocol_of(Constraint{SmbConstraint{}}) == Protocol::Smb);
    CHECK(protocol_of(Constraint{d}) == Protocol::Dicom);
}
