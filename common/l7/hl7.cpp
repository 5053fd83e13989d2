#include "l7/hl7.hpp"

namespace wg::l7 {

namespace {

using R = Result<Hl7Message>;

// A separator must be a visible non-alphanumeric character (v2.x, 2.5.4).
bool separator_ok(uint8_t c) {
    if (c <= 0x20 || c >= 0x7f) return false;
    if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) return false;
    return true;
}

bool ends_field(uint8_t c, uint8_t fs) {
    return c == fs || c == kHl7SegmentEnd || c == kMllpEnd;
}

// The first `want` components of `field` joined by '^'. Returns false (too
// long) when the result cannot fit in kHl7FieldMax; the check also works on a
// partial field, so an over-long value is refused without waiting for its end.
bool copy_components(Bytes field, uint8_t cs, int want, Hl7Text& out) {
    out.len = 0;
    int comp = 0;
    for (uint8_t c : field) {
        if (c == cs) {
            if (++comp == want) break;
            c = '^';
        }
        if (out.len == kHl7FieldMax) return false;
        out.data[out.len++] = static_cast<char>(c);
    }
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

    Hl7Message m;
    m.field_separator = static_cast<char>(fs);
    m.component_separator = static_cast<char>(cs);
    ++i;  // past the separator that ends MSH-2
    for (int field = 3; field <= 9; ++field) {
        size_t start = i;
        while (i < p.size() && !ends_field(p[i], fs)) ++i;
        Bytes value = p.subspan(start, i - start);
        bool complete = i < p.size();
        Hl7Text* out = field == 3   ? &m.sending_application
                       : field == 4 ? &m.sending_facility
                       : field == 9 ? &m.message_type
                                    : nullptr;
        if (out && !copy_components(value, cs, field == 9 ? 2 : 1, *out)) return too_long(value);
        if (!complete) return R::need_more(static_cast<uint32_t>(p.size() + 1));
        if (p[i] != fs && field < 9) {
            // The segment (or the message) ended before MSH-9: nothing to decide on.
            return R::violation(Reason::Hl7Truncated, p.subspan(0, std::min<size_t>(i + 1, 32)));
        }
        ++i;
    }
    return R::ok(m);
}

}  // namespace wg::l7
