// Test vectors: real bytes where a real client was at hand, otherwise built
// field by field from the protocol specification (offsets in comments).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace l7test {

using Buf = std::vector<uint8_t>;

inline Buf bytes(std::string_view s) {
    return Buf(s.begin(), s.end());
}

// A-ASSOCIATE-RQ sent by dcmtk's echoscu 3.6.7 (`echoscu -aet US_CART_ICU1
// -aec PACS 127.0.0.1 <port>`), captured on loopback by a listener that
// recorded the first PDU: called "PACS", calling "US_CART_ICU1", PDU length
// 0xcd (205), one presentation context (Verification), user info item.
inline const Buf kEchoscuAssociateRq = {
    0x01, 0x00, 0x00, 0x00, 0x00, 0xcd, 0x00, 0x01, 0x00, 0x00, 0x50, 0x41, 0x43, 0x53, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x55, 0x53, 0x5f, 0x43, 0x41, 0x52,
    0x54, 0x5f, 0x49, 0x43, 0x55, 0x31, 0x20, 0x20, 0x20, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x15, 0x31, 0x2e,
    0x32, 0x2e, 0x38, 0x34, 0x30, 0x2e, 0x31, 0x30, 0x30, 0x30, 0x38, 0x2e, 0x33, 0x2e, 0x31, 0x2e,
    0x31, 0x2e, 0x31, 0x20, 0x00, 0x00, 0x2e, 0x01, 0x00, 0xff, 0x00, 0x30, 0x00, 0x00, 0x11, 0x31,
    0x2e, 0x32, 0x2e, 0x38, 0x34, 0x30, 0x2e, 0x31, 0x30, 0x30, 0x30, 0x38, 0x2e, 0x31, 0x2e, 0x31,
    0x40, 0x00, 0x00, 0x11, 0x31, 0x2e, 0x32, 0x2e, 0x38, 0x34, 0x30, 0x2e, 0x31, 0x30, 0x30, 0x30,
    0x38, 0x2e, 0x31, 0x2e, 0x32, 0x50, 0x00, 0x00, 0x3a, 0x51, 0x00, 0x00, 0x04, 0x00, 0x00, 0x40,
    0x00, 0x52, 0x00, 0x00, 0x1b, 0x31, 0x2e, 0x32, 0x2e, 0x32, 0x37, 0x36, 0x2e, 0x30, 0x2e, 0x37,
    0x32, 0x33, 0x30, 0x30, 0x31, 0x30, 0x2e, 0x33, 0x2e, 0x30, 0x2e, 0x33, 0x2e, 0x36, 0x2e, 0x37,
    0x55, 0x00, 0x00, 0x0f, 0x4f, 0x46, 0x46, 0x49, 0x53, 0x5f, 0x44, 0x43, 0x4d, 0x54, 0x4b, 0x5f,
    0x33, 0x36, 0x37,
};

// An HL7 v2.5 ORU^R01 from a patient monitor gateway, MLLP-framed.
inline Buf hl7_oru(std::string_view msh3 = "MONGW", std::string_view msh4 = "ICU3",
                   std::string_view msh9 = "ORU^R01^ORU_R01") {
    std::string m = "\x0bMSH|^~\\&|" + std::string(msh3) + "^1.2.3.4^ISO|" + std::string(msh4) +
                    "|HL7ENGINE|HOSP|20261203101500||" + std::string(msh9) +
                    "|MSG00042|P|2.5\r"
                    "PID|1||123456^^^HOSP^MR||DOE^JANE||19700101|F\r"
                    "OBR|1||OBS1|8867-4^Heart rate^LN\r"
                    "OBX|1|NM|8867-4^Heart rate^LN||72|/min|||||F\r"
                    "\x1c\r";
    return bytes(m);
}

// NetBIOS session message header (type 0, 24-bit big-endian length).
inline Buf nbss(const Buf& smb) {
    Buf out = {0x00, uint8_t(smb.size() >> 16), uint8_t(smb.size() >> 8), uint8_t(smb.size())};
    out.insert(out.end(), smb.begin(), smb.end());
    return out;
}

// SMB1 header (MS-CIFS 2.2.3.1): magic, command, status(4), flags, flags2(2),
// PIDHigh(2), signature(8), reserved(2), TID(2), PIDLow(2), UID(2), MID(2).
inline Buf smb1_header(uint8_t command) {
    Buf h = {0xff, 'S', 'M', 'B', command, 0, 0, 0, 0, 0x18, 0x53, 0xc8};
    h.resize(32, 0);
    h[26] = 0xff;  // PIDLow
    h[27] = 0xfe;
    return h;
}

// SMB1 NEGOTIATE request: WordCount 0, ByteCount, 0x02-prefixed dialects.
inline Buf smb1_negotiate(const std::vector<std::string>& dialects) {
    Buf m = smb1_header(0x72);
    Buf body;
    for (const auto& d : dialects) {
        body.push_back(0x02);
        body.insert(body.end(), d.begin(), d.end());
        body.push_back(0);
    }
    m.push_back(0);  // WordCount
    m.push_back(uint8_t(body.size()));
    m.push_back(uint8_t(body.size() >> 8));
    m.insert(m.end(), body.begin(), body.end());
    return nbss(m);
}

// The dialect list a Windows 7 client offers (MS-SMB2 4.2 example).
inline const std::vector<std::string> kWindowsDialects = {"PC NETWORK PROGRAM 1.0",
                                                          "LANMAN1.0",
                                                          "Windows for Workgroups 3.1a",
                                                          "LM1.2X002",
                                                          "LANMAN2.1",
                                                          "NT LM 0.12",
                                                          "SMB 2.002",
                                                          "SMB 2.???"};

// SMB2 NEGOTIATE request (MS-SMB2 2.2.2 header, 2.2.3 body): dialects
// 0x0202 0x0210 0x0300 0x0302 0x0311.
inline Buf smb2_negotiate() {
    Buf h = {0xfe, 'S', 'M', 'B', 64, 0, 0, 0, 0, 0, 0, 0, /*command*/ 0, 0};
    h.resize(64, 0);
    Buf body = {36,
                0,
                /*DialectCount*/ 5,
                0,
                /*SecurityMode*/ 1,
                0,
                0,
                0,
                /*Capabilities*/ 0x7f,
                0,
                0,
                0};
    body.resize(36, 0);  // ClientGuid, NegotiateContextOffset/Count
    for (uint16_t d : {0x0202, 0x0210, 0x0300, 0x0302, 0x0311}) {
        body.push_back(uint8_t(d));
        body.push_back(uint8_t(d >> 8));
    }
    h.insert(h.end(), body.begin(), body.end());
    return nbss(h);
}

// NetBIOS session request (RFC 1002 4.3.2) as a client sends first on 139:
// two first-level-encoded names of 34 bytes each.
inline Buf netbios_session_request() {
    Buf out = {0x81, 0x00, 0x00, 68};
    for (int n = 0; n < 2; ++n) {
        out.push_back(32);
        for (int i = 0; i < 32; ++i) out.push_back(i % 2 ? 'A' : 'C');
        out.push_back(0);
    }
    return out;
}

// NTP client request (mode 3, version 4) and an ntpdc monlist (mode 7,
// implementation 3, request code 42 = MON_GETLIST_1).
inline Buf ntp_client() {
    Buf p(48, 0);
    p[0] = 0x23;  // LI 0, VN 4, mode 3
    return p;
}
inline Buf ntp_monlist() {
    return {0x17, 0x00, 0x03, 0x2a, 0, 0, 0, 0};
}
inline Buf ntpq_rv() {
    return {0x26, 0x02, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0};
}  // mode 6, read vars

}  // namespace l7test
