#include "l7/hl7.hpp"

#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace wg::l7 {

namespace {

using R = Result<Hl7Message>;

// A separator must be a visible non-alphanumeric character (v2.x, 2.5.4).
bool separator_ok(uint8_t c) {
    if (c <= 0x20 || c >= 0x7f) return false;
    if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) return false;
    return true;
}

// The first index in [from, end) whose byte is a, b or c; `end` if none.
// The fields before MSH-9 are crossed on every first payload, so this is the
// parser's inner loop: 16 bytes per step with SSE2 (x86-64 baseline), never
// reading past `end`.
size_t find3(const uint8_t* p, size_t from, size_t end, uint8_t a, uint8_t b, uint8_t c) {
    size_t i = from;
#if defined(__SSE2__)
    const __m128i va = _mm_set1_epi8(char(a)), vb = _mm_set1_epi8(char(b)),
                  vc = _mm_set1_epi8(char(c));
    for (; i + 16 <= end; i += 16) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
        const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)),
                                         _mm_cmpeq_epi8(x, vc));
        if (const int m = _mm_movemask_epi8(hit)) return i + size_t(__builtin_ctz(unsigned(m)));
    }
#endif
    for (; i < end; ++i)
        if (p[i] == a || p[i] == b || p[i] == c) return i;
    return end;
}

size_t find1(const uint8_t* p, size_t from, size_t end, uint8_t a) {
    const void* hit = from < end ? std::memchr(p + from, a, end - from) : nullptr;
    return hit ? size_t(static_cast<const uint8_t*>(hit) - p) : end;
}

// The first `want` (1 or 2) components of field p[b, e) joined by '^'.
// Returns false (too long) when the result cannot fit in kHl7FieldMax; the
// check also works on a partial field, so an over-long value is refused
// without waiting for its end.
bool copy_components(const uint8_t* p, size_t b, size_t e, uint8_t cs, int want, Hl7Text& out) {
    const size_t c1 = find1(p, b, e, cs);
    size_t n1 = c1 - b, total = n1;
    size_t b2 = 0, n2 = 0;
    if (want == 2 && c1 < e) {
        b2 = c1 + 1;
        n2 = find1(p, b2, e, cs) - b2;
        total = n1 + 1 + n2;
    }
    if (total > kHl7FieldMax) return false;
    std::memcpy(out.data, p + b, n1);
    if (want == 2 && c1 < e) {
        out.data[n1] = '^';
        std::memcpy(out.data + n1 + 1, p + b2, n2);
    }
    out.len = static_cast<uint8_t>(total);
    return true;
}

R too_long(Bytes field) {
    return R::violation(Reason::Hl7FieldTooLong, field);
}

}  // namespace

Result<Hl7Message> parse_hl7(Bytes p) {
    if (p.empty()) return R::need_more(1);
    if (p[0] != kMllpStart)
        return R::violation(Reason::Hl7NotMllp, p.first(std::min<size_t>(p.size(), 24)));
    static constexpr uint8_t kMsh[] = {'M', 'S', 'H'};
    for (size_t i = 1; i <= 3; ++i) {
        if (i >= p.size()) return R::need_more(4);
        if (p[i] != kMsh[i - 1])
            return R::violation(Reason::Hl7NotMsh,
                                p.subspan(1, std::min<size_t>(p.size() - 1, 16)));
    }
    if (p.size() < 5) return R::need_more(5);
    const uint8_t fs = p[4];
    if (!separator_ok(fs)) return R::violation(Reason::Hl7BadSeparators, p.subspan(4, 1));

    // MSH-2: the encoding characters, 1 to 5 of them (v2.7 added a fifth).
    size_t i = 5;
    while (i < p.size() && p[i] != fs) {
        if (i - 5 >= 5 || !separator_ok(p[i]))
            return R::violation(Reason::Hl7BadSeparators, p.subspan(4, i - 4 + 1));
        for (size_t j = 5; j < i; ++j)
            if (p[j] == p[i])
                return R::violation(Reason::Hl7BadSeparators, p.subspan(4, i - 4 + 1));
        ++i;
    }
    if (i >= p.size()) return R::need_more(static_cast<uint32_t>(p.size() + 1));
    if (i == 5) return R::violation(Reason::Hl7BadSeparators, p.subspan(4, 2));
    const uint8_t cs = p[5];

    // Filled in place: the message is copied out once, into the result.
    R r;
    Hl7Message& m = r.fields;
    m.field_separator = static_cast<char>(fs);
    m.component_separator = static_cast<char>(cs);
    m.sending_application.len = m.sending_facility.len = m.message_type.len = 0;
    const uint8_t* d = p.data();
    const size_t n = p.size();
    ++i;  // past the separator that ends MSH-2
    for (int field = 3; field <= 9; ++field) {
        const size_t start = i;
        i = find3(d, i, n, fs, kHl7SegmentEnd, kMllpEnd);
        const bool complete = i < n;
        Hl7Text* out = field == 3   ? &m.sending_application
                       : field == 4 ? &m.sending_facility
                       : field == 9 ? &m.message_type
                                    : nullptr;
        if (out && !copy_components(d, start, i, cs, field == 9 ? 2 : 1, *out))
            return too_long(p.subspan(start, i - start));
        if (!complete) return R::need_more(static_cast<uint32_t>(n + 1));
        if (d[i] != fs && field < 9) {
            // The segment (or the message) ended before MSH-9: nothing to decide on.
            return R::violation(Reason::Hl7Truncated, p.subspan(0, std::min<size_t>(i + 1, 32)));
        }
        ++i;
    }
    r.status = Status::Ok;
    return r;
}

}  // namespace wg::l7
