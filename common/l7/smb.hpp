// SMB first client message on 445 (direct TCP) and 139 (NetBIOS session).
// Both carry a 4-byte session header: type byte, then the length (445: 24-bit
// big-endian; 139: a 17-bit length whose top bit is the flags' extension bit,
// which reads the same when the other flag bits are zero, as RFC 1002
// requires). On 139 a client first sends a session request (type 0x81); the
// parser steps over it and judges the SMB message that follows.
//   SMB1: 0xFF 'SMB', command at magic+4, 32-byte header, then WordCount and
//         ByteCount; NEGOTIATE (0x72) carries 0x02-prefixed NUL-terminated
//         dialect strings. "SMB 2.002" / "SMB 2.???" mean the client can
//         upgrade to SMB2 (MS-SMB2 4.2): that is how Windows negotiates.
//   SMB2/3: 0xFE 'SMB', 64-byte header, command u16 LE at magic+12.
//   0xFD 'SMB' (transform, encrypted) before any negotiation is refused.
#pragma once

#include "l7/result.hpp"

namespace wg::l7 {

inline constexpr uint8_t kSmb1Negotiate = 0x72;
inline constexpr size_t kSmb1HeaderLen = 32;
inline constexpr size_t kSmb2HeaderLen = 64;
// A NetBIOS session request carries two encoded names (34 bytes each); more
// than this is not a session request.
inline constexpr uint32_t kNetbiosSessionRequestMax = 256;

enum class SmbKind : uint8_t { Smb1, Smb2 };

struct SmbMessage {
    SmbKind kind = SmbKind::Smb2;
    bool netbios_session_request = false;  // a 0x81 PDU came first (port 139)
    uint8_t smb1_command = 0;              // Smb1 only
    bool offers_smb2 = false;              // Smb1 NEGOTIATE only
    uint16_t smb2_command = 0;             // Smb2 only
    AuditValue
        dialects;  // Smb1 NEGOTIATE without SMB2 dialect: "PC NETWORK PROGRAM 1.0,NT LM 0.12"
};

Result<SmbMessage> parse_smb(Bytes prefix);

}  // namespace wg::l7
