// Invariants every L7 fuzz harness checks besides "no crash, no UB": a
// NeedMore asks for more than it has, audit values stay bounded and
// NUL-terminated, and a decision taken on a prefix is the decision on the
// whole input (the verdict cannot flip when more bytes arrive).
#pragma once

#include <cstdint>
#include <cstring>

#include "l7/constraint.hpp"

namespace l7fuzz {

inline void require(bool ok) {
    if (!ok) __builtin_trap();
}

inline void check_value(const wg::l7::AuditValue& v) {
    require(v.len <= wg::l7::kAuditValueMax);
    require(v.text[v.len] == '\0');
    for (uint8_t i = 0; i < v.len; ++i) require(v.text[i] >= 0x20 && v.text[i] < 0x7f);
}

inline void check_verdict(const wg::l7::Verdict& v, size_t size) {
    using wg::l7::Status;
    if (v.status == Status::NeedMore) require(v.need > size);
    if (v.status == Status::Violation) require(v.reason != wg::l7::Reason::None);
    if (v.status == Status::Ok) require(v.reason == wg::l7::Reason::None);
    check_value(v.value);
}

// Inspect the whole input and a prefix of it (cut where the first byte
// says); both must satisfy the invariants and agree once decided.
inline void check_constraint(const wg::l7::Constraint& c, const uint8_t* data, size_t size) {
    if (size == 0) return;
    size_t cut = data[0] % size;
    const uint8_t* p = data + 1;
    size_t n = size - 1;
    cut = cut > n ? n : cut;
    wg::l7::AuditValue summary;
    auto whole = wg::l7::inspect(c, wg::l7::Bytes(p, n), &summary);
    check_value(summary);
    auto head = wg::l7::inspect(c, wg::l7::Bytes(p, cut));
    check_verdict(whole, n);
    check_verdict(head, cut);
    if (head.status != wg::l7::Status::NeedMore) {
        require(head.status == whole.status);
        require(head.reason == whole.reason);
    }
}

}  // namespace l7fuzz
