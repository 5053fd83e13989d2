#include "l7/explain.hpp"

namespace wg::l7 {

namespace {
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
}  // namespace

std::optional<std::vector<uint8_t>> parse_hex(std::string_view text, std::string* error) {
    if (text.starts_with("0x") || text.starts_with("0X")) text.remove_prefix(2);
    std::vector<uint8_t> out;
    int high = -1;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ':' || c == '-') {
            if (high >= 0) {
                if (error)
                    *error = "hex: a byte needs two digits (at offset " + std::to_string(i) + ")";
                return std::nullopt;
            }
            continue;
        }
        int v = hex_value(c);
        if (v < 0) {
            if (error)
                *error = "hex: '" + std::string(1, c) + "' is not a hex digit (at offset " +
                         std::to_string(i) + ")";
            return std::nullopt;
        }
        if (high < 0) {
            high = v;
        } else {
            out.push_back(static_cast<uint8_t>(high << 4 | v));
            high = -1;
        }
    }
    if (high >= 0) {
        if (error) *error = "hex: odd number of digits";
        return std::nullopt;
    }
    return out;
}

std::string explain_line(const Constraint& c, Bytes payload) {
    AuditValue summary;
    Verdict v = inspect(c, payload, &summary);
    std::string out(protocol_name(protocol_of(c)));
    out += ": ";
    switch (v.status) {
        case Status::NeedMore:
            out += "undecided, needs at least " + std::to_string(v.need) + " bytes (have " +
                   std::to_string(payload.size()) + ")";
            return out;
        case Status::Ok:
            out += "allowed";
            break;
        case Status::Violation:
            out += "violation ";
            out += reason_name(v.reason);
            out += " value=\"";
            out += v.value.view();
            out += "\"";
            break;
    }
    if (summary.len) {
        out += " (";
        out += summary.view();
        out += ")";
    }
    return out;
}

}  // namespace wg::l7
