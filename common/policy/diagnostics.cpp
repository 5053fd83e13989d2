#include "policy/diagnostics.hpp"

namespace wg::policy {

std::string format(const Diagnostic& d) {
    std::string s = d.loc.file;
    if (d.loc.line) {
        s += ":" + std::to_string(d.loc.line);
        if (d.loc.column) s += ":" + std::to_string(d.loc.column);
    }
    s += d.severity == Severity::Error ? ": error[" : ": warning[";
    s += d.code + "]: " + d.message;
    return s;
}

}  // namespace wg::policy
