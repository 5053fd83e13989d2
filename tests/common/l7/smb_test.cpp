#include <catch2/catch.hpp>

#include "segment_util.hpp"

using namespace wg::l7;
using namespace l7test;

namespace {
const Constraint kNoSmb1 = SmbConstraint{true};
const Constraint kAnySmb = SmbConstraint{false};

Buf with_session_request(const Buf& msg) {
    Buf out = netbios_session_request();
    out.insert(out.end(), msg.begin(), msg.end());
    return out;
}
}  // namespace

TEST_CASE("smb: SMB2 NEGOTIATE passes deny_smbv1", "[l7][smb]") {
    auto r = parse_smb(span_of(smb2_negotiate()));
    REQUIRE(r.status == Status::Ok);
    CHECK(r.fields.kind == SmbKind::Smb2);
    CHECK(r.fields.smb2_command == 0);
    CHECK(inspect_bytes(kNoSmb1, smb2_negotiate()).status == Status::Ok);
}

TEST_CASE("smb: an SMB1 NEGOTIATE offering SMB 2.002 / 2.??? is the upgrade and passes",
          "[l7][smb]") {
    auto r = parse_smb(span_of(smb1_negotiate(kWindowsDialects)));
    REQUIRE(r.status == Status::Ok);
    CHECK(r.fields.kind == SmbKind::Smb1);
    CHECK(r.fields.offers_smb2);
    CHECK(inspect_bytes(kNoSmb1, smb1_negotiate(kWindowsDialects)).status == Status::Ok);
    CHECK(inspect_bytes(kNoSmb1, smb1_negotiate({"NT LM 0.12", "SMB 2.???"})).status == Status::Ok);
    CHECK(inspect_bytes(kNoSmb1, smb1_negotiate({"SMB 2.002"})).status == Status::Ok);
}

TEST_CASE("smb: port 139 session request is stepped over", "[l7][smb]") {
    auto r = parse_smb(span_of(with_session_request(smb2_negotiate())));
    REQUIRE(r.status == Status::Ok);
    CHECK(r.fields.netbios_session_request);
    auto v1 = inspect_bytes(kNoSmb1, with_session_request(smb1_negotiate({"NT LM 0.12"})));
    CHECK(v1.reason == Reason::Smb1NegotiateNoSmb2);
    // Only the request itself: wait for the SMB message.
    auto wait = parse_smb(span_of(netbios_session_request()));
    CHECK(wait.status == Status::NeedMore);
    CHECK(wait.need == 73);
}

TEST_CASE("smb reason: smb1_negotiate_no_smb2 names the dialects", "[l7][smb]") {
    auto v = inspect_bytes(kNoSmb1, smb1_negotiate({"PC NETWORK PROGRAM 1.0", "NT LM 0.12"}));
    CHECK(v.status == Status::Violation);
    CHECK(v.reason == Reason::Smb1NegotiateNoSmb2);
    CHECK(v.value.view() == "PC NETWORK PROGRAM 1.0,NT LM 0.12");
    CHECK(reason_name(v.reason) == "smb1_negotiate_no_smb2");
    // "SMB 2.002" must be the whole dialect, not a prefix of it.
    CHECK(inspect_bytes(kNoSmb1, smb1_negotiate({"SMB 2.0021"})).reason ==
          Reason::Smb1NegotiateNoSmb2);
    CHECK(inspect_bytes(kAnySmb, smb1_negotiate({"NT LM 0.12"})).status == Status::Ok);
}

TEST_CASE("smb reason: smb1_command (anything but NEGOTIATE)", "[l7][smb]") {
    Buf setup = smb1_header(0x73);  // SESSION_SETUP_ANDX, e.g. a worm skipping negotiation
    setup.resize(40, 0);
    auto v = inspect_bytes(kNoSmb1, nbss(setup));
    CHECK(v.reason == Reason::Smb1Command);
    CHECK(v.value.view() == "0x73");
    CHECK(inspect_bytes(kAnySmb, nbss(setup)).status == Status::Ok);
    // Decided on the command byte, without the rest of the message.
    CHECK(inspect(kNoSmb1, wg::l7::Bytes(nbss(setup).data(), 9)).reason == Reason::Smb1Command);
}

TEST_CASE("smb reason: smb_bad_netbios", "[l7][smb]") {
    auto keepalive = parse_smb(span_of(Buf{0x85, 0, 0, 0}));
    CHECK(keepalive.reason == Reason::SmbBadNetbios);
    CHECK(keepalive.value.view() == "0x85");
    Buf big_req = {0x81, 0x01, 0x00, 0x00};  // 64 KiB session request
    CHECK(parse_smb(span_of(big_req)).reason == Reason::SmbBadNetbios);
    Buf short_smb2 = {0x00, 0, 0, 8, 0xfe, 'S', 'M', 'B', 0, 0, 0, 0};
    CHECK(parse_smb(span_of(short_smb2)).reason == Reason::SmbBadNetbios);
    Buf short_smb1 = {0x00, 0, 0, 8, 0xff, 'S', 'M', 'B', 0x72, 0, 0, 0};
    CHECK(parse_smb(span_of(short_smb1)).reason == Reason::SmbBadNetbios);
}

TEST_CASE("smb reason: smb_not_smb", "[l7][smb]") {
    auto r = parse_smb(span_of(nbss(bytes("GET / HTTP/1.1\r\n\r\n"))));
    CHECK(r.reason == Reason::SmbNotSmb);
    CHECK(r.value.view() == "G");
    CHECK(parse_smb(span_of(nbss(bytes("\xffSMX....")))).reason == Reason::SmbNotSmb);
}

TEST_CASE("smb reason: smb_transform_first", "[l7][smb]") {
    Buf t = {0xfd, 'S', 'M', 'B'};
    t.resize(52, 0);
    CHECK(parse_smb(span_of(nbss(t))).reason == Reason::SmbTransformFirst);
}

TEST_CASE("smb reason: smb_bad_negotiate", "[l7][smb]") {
    Buf good = smb1_negotiate({"NT LM 0.12"});
    Buf wc = good;
    wc[4 + 32] = 1;  // WordCount must be 0 in a request
    CHECK(parse_smb(span_of(wc)).reason == Reason::SmbBadNegotiate);
    Buf fmt = good;
    fmt[4 + 35] = 0x03;  // not a dialect buffer
    CHECK(parse_smb(span_of(fmt)).reason == Reason::SmbBadNegotiate);
    Buf unterminated = good;
    unterminated.back() = 'X';  // the last dialect has no NUL within ByteCount
    CHECK(parse_smb(span_of(unterminated)).reason == Reason::SmbBadNegotiate);
    Buf over = good;
    over[4 + 33] = 0xff;  // ByteCount beyond the NetBIOS length
    CHECK(parse_smb(span_of(over)).reason == Reason::SmbBadNegotiate);
}

TEST_CASE("smb: every prefix and split of SMB1/SMB2 negotiates", "[l7][smb][segments]") {
    for (const Buf& m :
         {smb1_negotiate(kWindowsDialects), smb1_negotiate({"NT LM 0.12"}), smb2_negotiate(),
          with_session_request(smb1_negotiate(kWindowsDialects))}) {
        check_every_prefix(kNoSmb1, m);
        check_every_split(kNoSmb1, m);
    }
}

TEST_CASE("smb: a Windows negotiate behind a session request fits the flow budget", "[l7][smb]") {
    CHECK(with_session_request(smb1_negotiate(kWindowsDialects)).size() <= kFlowBudget);
}

TEST_CASE("smb: real smbclient first messages (SMB3, NT1-only, multi-protocol)", "[l7][smb]") {
    auto smb3 = inspect_bytes(kNoSmb1, kSmbclientSmb3Negotiate);
    CHECK(smb3.status == Status::Ok);
    auto nt1 = inspect_bytes(kNoSmb1, kSmbclientNt1Negotiate);
    CHECK(nt1.status == Status::Violation);
    CHECK(nt1.reason == Reason::Smb1NegotiateNoSmb2);
    CHECK(nt1.value.view() == "NT LANMAN 1.0,NT LM 0.12");
    auto multi = parse_smb(span_of(kSmbclientMultiProtocolNegotiate));
    REQUIRE(multi.status == Status::Ok);
    CHECK(multi.fields.kind == SmbKind::Smb1);
    CHECK(multi.fields.offers_smb2);
    CHECK(inspect_bytes(kNoSmb1, kSmbclientMultiProtocolNegotiate).status == Status::Ok);
    for (const Buf& m :
         {kSmbclientSmb3Negotiate, kSmbclientNt1Negotiate, kSmbclientMultiProtocolNegotiate}) {
        check_every_prefix(kNoSmb1, m);
        check_every_split(kNoSmb1, m);
    }
}
