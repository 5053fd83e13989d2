// UTF-8 validation of policy and CSV text. Diagnostics quote names and
// values, and `wardgate lint --format json` must be able to print them; so
// the loader rejects a file with invalid UTF-8 at the first bad byte instead
// of letting the bytes reach a message (where the JSON writer would throw).
#pragma once

#include <cstdint>
#include <string_view>

namespace wg::policy::utf8 {

struct Invalid {
    uint32_t line = 0, column = 0;  // 1-based; column counts characters
    uint8_t byte = 0;               // the first byte that is not valid UTF-8
};

// True when `text` is valid UTF-8 (no overlong forms, surrogates or code
// points above U+10FFFF); otherwise fills `at` with the first bad byte.
bool valid(std::string_view text, Invalid& at);

}  // namespace wg::policy::utf8
