#include "l7/ntp.hpp"

namespace wg::l7 {

Result<NtpPacket> parse_ntp(Bytes d) {
    using R = Result<NtpPacket>;
    if (d.empty()) {
        R r = R::violation(Reason::NtpTooShort);
        r.value.set_uint(0);
        return r;
    }
    NtpPacket f;
    f.mode = d[0] & 0x07;
    f.version = (d[0] >> 3) & 0x07;
    if (f.version < 1 || f.version > 4) {
        R r = R::violation(Reason::NtpBadVersion);
        r.value.set_uint(f.version);
        return r;
    }
    size_t min = f.mode == 6   ? kNtpControlHeaderLen
                 : f.mode == 7 ? kNtpPrivateHeaderLen
                 : f.mode == 0 ? 1
                               : kNtpPacketLen;
    if (d.size() < min) {
        R r = R::violation(Reason::NtpTooShort);
        r.value.set_uint(static_cast<uint32_t>(d.size()));
        return r;
    }
    return R::ok(f);
}

}  // namespace wg::l7
