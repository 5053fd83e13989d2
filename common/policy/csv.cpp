#include "policy/csv.hpp"

namespace wg::policy::csv {

Table parse(std::string_view text) {
    Table t;
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    uint32_t line = 1, col = 1;
    size_t i = 0;
    Row row;
    bool row_has_content = false;
    auto end_row = [&] {
        // Blank lines are skipped; they are common at the end of exports.
        if (row_has_content) t.rows.push_back(std::move(row));
        row.clear();
        row_has_content = false;
    };
    while (i <= text.size()) {
        Field f;
        f.line = line;
        f.column = col;
        if (i < text.size() && text[i] == '"') {
            ++i;
            ++col;
            bool closed = false;
            while (i < text.size()) {
                char c = text[i];
                if (c == '"') {
                    if (i + 1 < text.size() && text[i + 1] == '"') {
                        f.value.push_back('"');
                        i += 2;
                        col += 2;
                        continue;
                    }
                    ++i;
                    ++col;
                    closed = true;
                    break;
                }
                if (c == '\n') {
                    ++line;
                    col = 1;
                } else {
                    ++col;
                }
                f.value.push_back(c);
                ++i;
            }
            if (!closed) {
                t.error = "unterminated quoted field";
                t.error_line = f.line;
                t.error_column = f.column;
                return t;
            }
            if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
                t.error = "unexpected character after a closing quote";
                t.error_line = line;
                t.error_column = col;
                return t;
            }
        } else {
            while (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
                f.value.push_back(text[i]);
                ++i;
                ++col;
            }
        }
        if (!f.value.empty() || (i < text.size() && text[i] == ',')) row_has_content = true;
        row.push_back(std::move(f));
        if (i >= text.size()) {
            end_row();
            break;
        }
        char c = text[i];
        if (c == ',') {
            ++i;
            ++col;
            continue;
        }
        if (c == '\r') ++i;
        if (i < text.size() && text[i] == '\n') ++i;
        ++line;
        col = 1;
        end_row();
        if (i >= text.size()) break;
    }
    return t;
}

}  // namespace wg::policy::csv
