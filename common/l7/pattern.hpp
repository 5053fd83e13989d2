// Allow lists of exact values or "PREFIX*" patterns, compiled into a fixed
// table the dataplane can hold in a flat array (no pointers, no allocation).
// The builder runs at policy-compile time and refuses what does not fit, with
// a message for the policy author.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wg::l7 {

template <size_t MaxPatterns, size_t MaxLen>
struct PatternTable {
    struct Entry {
        char text[MaxLen] = {};
        uint8_t len = 0;
        bool prefix = false;  // written "TEXT*": matches any value starting with TEXT
    };
    Entry entries[MaxPatterns] = {};
    uint8_t count = 0;
    // false: the constraint did not name this list, any value passes.
    // true with count == 0: an explicitly empty list, nothing passes.
    bool restricted = false;

    static constexpr size_t kMaxPatterns = MaxPatterns;
    static constexpr size_t kMaxLen = MaxLen;

    bool matches(std::string_view v) const {
        if (!restricted) return true;
        for (uint8_t i = 0; i < count; ++i) {
            const Entry& e = entries[i];
            if (e.prefix ? v.size() >= e.len && std::memcmp(v.data(), e.text, e.len) == 0
                         : v.size() == e.len && std::memcmp(v.data(), e.text, e.len) == 0)
                return true;
        }
        return false;
    }
};

// Fills `out` from the policy's list (nullopt: unrestricted). Returns an
// error message, empty on success. `what` names the list in the message.
// A '*' is only allowed as the last character; a lone "*" matches anything.
// `printable_only` refuses characters outside 0x20..0x7e (AE titles).
template <size_t N, size_t L>
std::string build_patterns(const std::optional<std::vector<std::string>>& in,
                           PatternTable<N, L>& out, std::string_view what) {
    out = PatternTable<N, L>{};
    if (!in) return {};
    out.restricted = true;
    if (in->size() > N)
        return std::string(what) + ": at most " + std::to_string(N) + " patterns, got " +
               std::to_string(in->size());
    for (const std::string& p : *in) {
        std::string_view s = p;
        bool prefix = !s.empty() && s.back() == '*';
        if (prefix) s.remove_suffix(1);
        if (s.empty() && !prefix) return std::string(what) + ": empty pattern";
        if (s.find('*') != std::string_view::npos)
            return std::string(what) + ": '*' is only allowed at the end, in \"" + p + "\"";
        if (s.size() > L)
            return std::string(what) + ": \"" + p + "\" is longer than " + std::to_string(L) +
                   " characters";
        for (char c : s)
            if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e)
                return std::string(what) + ": \"" + p + "\" has a non-printable character";
        auto& e = out.entries[out.count++];
        std::memcpy(e.text, s.data(), s.size());
        e.len = static_cast<uint8_t>(s.size());
        e.prefix = prefix;
    }
    return {};
}

}  // namespace wg::l7
