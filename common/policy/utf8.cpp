#include "policy/utf8.hpp"

namespace wg::policy::utf8 {

bool valid(std::string_view text, Invalid& at) {
    uint32_t line = 1, column = 1;
    size_t i = 0;
    const size_t n = text.size();
    while (i < n) {
        auto b = static_cast<uint8_t>(text[i]);
        size_t len = 0;
        uint32_t cp = 0, min = 0;
        if (b < 0x80)
            len = 1, cp = b;
        else if ((b & 0xe0) == 0xc0)
            len = 2, cp = b & 0x1f, min = 0x80;
        else if ((b & 0xf0) == 0xe0)
            len = 3, cp = b & 0x0f, min = 0x800;
        else if ((b & 0xf8) == 0xf0)
            len = 4, cp = b & 0x07, min = 0x10000;
        bool ok = len != 0 && i + len <= n;
        for (size_t k = 1; ok && k < len; ++k) {
            auto c = static_cast<uint8_t>(text[i + k]);
            ok = (c & 0xc0) == 0x80;
            cp = cp << 6 | (c & 0x3f);
        }
        ok = ok && cp >= min && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
        if (!ok) {
            at = {line, column, b};
            return false;
        }
        if (b == '\n')
            ++line, column = 1;
        else
            ++column;
        i += len;
    }
    return true;
}

}  // namespace wg::policy::utf8
