#include "l7/dicom.hpp"

#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace wg::l7 {

namespace {

// AE titles are ISO 646 "default character repertoire" without backslash and
// control characters (PS3.5 AE VR); spaces are padding and not significant.
// The field is always 16 bytes: with SSE2 (x86-64 baseline) the validity
// check and the trimming are three compares and two bit scans on one load
// instead of a loop over every byte (both titles are parsed on every
// association).
bool extract_title(Bytes raw, AeTitle& out) {
    static_assert(kDicomAeTitleLen == 16);
#if defined(__SSE2__)
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(raw.data()));
    // Signed compare: bytes >= 0x80 are negative, so "< 0x20" also catches them.
    const __m128i bad = _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x20)),
                                                  _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f))),
                                     _mm_cmpeq_epi8(x, _mm_set1_epi8('\\')));
    const unsigned text =
        ~unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')))) & 0xffffu;
    if (text == 0) return false;  // all spaces: not a title
    const unsigned b = unsigned(__builtin_ctz(text)), e = 32u - unsigned(__builtin_clz(text));
    // Only bytes between the first and last non-space count (padding is spaces).
    if (unsigned(_mm_movemask_epi8(bad)) & ((1u << e) - 1u) & ~((1u << b) - 1u)) return false;
    std::memcpy(out.data, raw.data() + b, e - b);
    out.len = static_cast<uint8_t>(e - b);
    return true;
#else
    size_t b = 0, e = raw.size();
    while (b < e && raw[b] == ' ') ++b;
    while (e > b && raw[e - 1] == ' ') --e;
    if (b == e) return false;  // all spaces: not a title
    for (size_t i = b; i < e; ++i) {
        uint8_t c = raw[i];
        if (c < 0x20 || c > 0x7e || c == '\\') return false;
        out.data[out.len++] = static_cast<char>(c);
    }
    return true;
#endif
}

uint32_t be32(Bytes p, size_t at) {
    return uint32_t(p[at]) << 24 | uint32_t(p[at + 1]) << 16 | uint32_t(p[at + 2]) << 8 |
           uint32_t(p[at + 3]);
}

}  // namespace

Result<DicomAssociateRq> parse_dicom(Bytes p) {
    using R = Result<DicomAssociateRq>;
    if (p.empty()) return R::need_more(1);
    // Decide on the type as soon as it is there: an HTTP request on 104 fails on byte 0.
    if (p[0] != kDicomAssociateRq) {
        R r = R::violation(Reason::DicomNotAssociateRq);
        r.value.set_hex(p[0]);
        return r;
    }
    if (p.size() < 6) return R::need_more(6);
    uint32_t pdu_len = be32(p, 2);
    if (pdu_len < kDicomMinPduLength || pdu_len > kDicomMaxPduLength) {
        R r = R::violation(Reason::DicomBadPduLength);
        r.value.set_uint(pdu_len);
        return r;
    }
    if (p.size() < 8) return R::need_more(8);
    if ((p[7] & 0x01) == 0) {
        R r = R::violation(Reason::DicomBadProtocolVersion);
        r.value.set(p.subspan(6, 2));
        return r;
    }
    if (p.size() < kDicomDecisionBytes) return R::need_more(kDicomDecisionBytes);
    DicomAssociateRq f;
    f.pdu_length = pdu_len;
    Bytes called = p.subspan(kDicomCalledOffset, kDicomAeTitleLen);
    Bytes calling = p.subspan(kDicomCallingOffset, kDicomAeTitleLen);
    if (!extract_title(called, f.called)) return R::violation(Reason::DicomBadAeTitle, called);
    if (!extract_title(calling, f.calling)) return R::violation(Reason::DicomBadAeTitle, calling);
    if (p[74] != 0x10) {
        R r = R::violation(Reason::DicomBadItem);
        r.value.set_hex(p[74]);
        return r;
    }
    return R::ok(f);
}

}  // namespace wg::l7
