// Minimal RFC 4180 CSV reader for asset-database exports: quoted fields,
// doubled quotes, CRLF, a UTF-8 BOM. Every field keeps its 1-based line and
// column so inventory errors point into the export itself.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wg::policy::csv {

struct Field {
    std::string value;
    uint32_t line = 0, column = 0;
};
using Row = std::vector<Field>;

struct Table {
    std::vector<Row> rows;  // rows[0] is the header when present
    std::string error;      // first structural error ("unterminated quote"), if any
    uint32_t error_line = 0, error_column = 0;
};

Table parse(std::string_view text);

}  // namespace wg::policy::csv
