#include "l7/smb.hpp"

#include <algorithm>
#include <cstring>

namespace wg::l7 {

namespace {

using R = Result<SmbMessage>;

uint32_t need(size_t n) {
    return static_cast<uint32_t>(n);
}

bool is_smb2_dialect(Bytes s) {
    auto eq = [&](const char* lit) {
        size_t n = std::strlen(lit);
        return s.size() == n && std::memcmp(s.data(), lit, n) == 0;
    };
    return eq("SMB 2.002") || eq("SMB 2.???");
}

// SMB1 NEGOTIATE: WordCount (must be 0 in a request), ByteCount (u16 LE),
// then the dialect entries. `m` is the offset of the 0xFF magic, `msg_end`
// the end of the message per the session header.
R parse_negotiate(Bytes p, size_t m, size_t msg_end, SmbMessage& f) {
    size_t wc_at = m + kSmb1HeaderLen;
    if (p.size() < wc_at + 3) return R::need_more(need(wc_at + 3));
    if (p[wc_at] != 0) {
        R r = R::violation(Reason::SmbBadNegotiate);
        r.value.set_hex(p[wc_at]);
        return r;
    }
    size_t byte_count = p[wc_at + 1] | size_t(p[wc_at + 2]) << 8;
    size_t at = wc_at + 3;
    size_t end = at + byte_count;
    if (end > msg_end || byte_count == 0) {
        R r = R::violation(Reason::SmbBadNegotiate);
        r.value.set_uint(static_cast<uint32_t>(byte_count));
        return r;
    }
    const size_t list = at;
    while (at < end) {
        if (at >= p.size()) return R::need_more(need(at + 1));
        if (p[at] != 0x02) {  // buffer format "dialect string"
            R r = R::violation(Reason::SmbBadNegotiate);
            r.value.set_hex(p[at]);
            return r;
        }
        size_t s = at + 1, e = s;
        while (e < end && e < p.size() && p[e] != 0) ++e;
        if (e == end)
            return R::violation(Reason::SmbBadNegotiate, p.subspan(s, std::min(e, p.size()) - s));
        if (e >= p.size()) return R::need_more(need(e + 1));
        // One SMB2 dialect is enough: decide without waiting for the rest.
        if (is_smb2_dialect(p.subspan(s, e - s))) {
            f.offers_smb2 = true;
            return R::ok(f);
        }
        at = e + 1;
    }
    // No SMB2 dialect: the list is the audit value if the policy denies SMB1.
    // Built only here, off the common path; the list was validated above.
    for (size_t a = list; a < end;) {
        size_t e = a + 1;
        while (p[e] != 0) ++e;
        if (f.dialects.len) f.dialects.append(std::string_view(","));
        f.dialects.append(p.subspan(a + 1, e - a - 1));
        a = e + 1;
    }
    return R::ok(f);
}

}  // namespace

Result<SmbMessage> parse_smb(Bytes p) {
    SmbMessage f;
    size_t off = 0;
    if (p.empty()) return R::need_more(1);
    if (p[0] == 0x81) {  // NetBIOS session request (port 139): skip it
        if (p.size() < 4) return R::need_more(4);
        uint32_t len = uint32_t(p[1] & 1) << 16 | uint32_t(p[2]) << 8 | p[3];
        if (len == 0 || len > kNetbiosSessionRequestMax) {
            R r = R::violation(Reason::SmbBadNetbios);
            r.value.set_uint(len);
            return r;
        }
        f.netbios_session_request = true;
        off = 4 + len;
        if (p.size() <= off) return R::need_more(need(off + 1));
    }
    if (p[off] != 0x00) {  // anything but a session message
        R r = R::violation(Reason::SmbBadNetbios);
        r.value.set_hex(p[off]);
        return r;
    }
    if (p.size() < off + 4) return R::need_more(need(off + 4));
    uint32_t len = uint32_t(p[off + 1]) << 16 | uint32_t(p[off + 2]) << 8 | p[off + 3];
    size_t m = off + 4;  // the SMB magic
    size_t msg_end = m + len;
    for (size_t i = 0; i < 4; ++i) {
        if (p.size() <= m + i) return R::need_more(need(m + i + 1));
        static constexpr uint8_t kTail[] = {'S', 'M', 'B'};
        bool ok =
            i == 0 ? (p[m] == 0xFF || p[m] == 0xFE || p[m] == 0xFD) : p[m + i] == kTail[i - 1];
        if (!ok) return R::violation(Reason::SmbNotSmb, p.subspan(m, i + 1));
    }
    if (p[m] == 0xFD) return R::violation(Reason::SmbTransformFirst, p.subspan(m, 4));
    if (p[m] == 0xFE) {
        if (len < kSmb2HeaderLen) {
            R r = R::violation(Reason::SmbBadNetbios);
            r.value.set_uint(len);
            return r;
        }
        if (p.size() < m + 14) return R::need_more(need(m + 14));
        f.kind = SmbKind::Smb2;
        f.smb2_command = static_cast<uint16_t>(p[m + 12] | p[m + 13] << 8);
        return R::ok(f);
    }
    f.kind = SmbKind::Smb1;
    if (len < kSmb1HeaderLen + 3) {  // header + WordCount + ByteCount
        R r = R::violation(Reason::SmbBadNetbios);
        r.value.set_uint(len);
        return r;
    }
    if (p.size() < m + 5) return R::need_more(need(m + 5));
    f.smb1_command = p[m + 4];
    if (f.smb1_command != kSmb1Negotiate) return R::ok(f);
    return parse_negotiate(p, m, msg_end, f);
}

}  // namespace wg::l7
