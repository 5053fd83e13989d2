// NTP (RFC 5905 / RFC 1305 control / ntpd mode 7): byte 0 is LI(2) VN(3)
// Mode(3). The datagram is whole, so the parser never asks for more. The
// header a mode needs: modes 1-5 the 48-byte packet, mode 6 (control) its
// 12-byte header, mode 7 (private, e.g. the monlist request) its 8-byte
// header; mode 0 is reserved and only checked for the version.
#pragma once

#include "l7/result.hpp"

namespace wg::l7 {

inline constexpr size_t kNtpPacketLen = 48;
inline constexpr size_t kNtpControlHeaderLen = 12;
inline constexpr size_t kNtpPrivateHeaderLen = 8;

struct NtpPacket {
    uint8_t mode = 0;
    uint8_t version = 0;
};

Result<NtpPacket> parse_ntp(Bytes datagram);

}  // namespace wg::l7
