// libFuzzer harness: the inventory CSV reader (asset-database exports).
//
// Beyond "no crash, no sanitizer report": every field must carry a position
// inside the text (1-based line and column), and positions never go back, so
// an inventory error always points at a real place in the export.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "policy/csv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto t = wg::policy::csv::parse(text);
    uint32_t last_line = 0;
    for (const auto& row : t.rows) {
        for (const auto& f : row) {
            if (f.line == 0 || f.column == 0 || f.line < last_line) std::abort();
            if (f.value.size() > size) std::abort();
            last_line = f.line;
        }
    }
    if (!t.error.empty() && t.error_line == 0) std::abort();
    return 0;
}
