#include "policy/diagnostics.hpp"

#include <cstdio>

#include "policy/limits.hpp"

namespace wg::policy {

namespace {

constexpr const char* kTooMany = "too-many-diagnostics";

std::string too_many_message(unsigned long errors, unsigned long warnings) {
    return std::to_string(errors) + " more error(s) and " + std::to_string(warnings) +
           " more warning(s) were found but are not listed (at most " +
           std::to_string(limits::kMaxDiagnostics) +
           " diagnostics are kept); fix the ones listed and lint again";
}

}  // namespace

void report(std::vector<Diagnostic>& out, Diagnostic d) {
    constexpr size_t kMax = limits::kMaxDiagnostics;
    if (out.size() < kMax) {
        if (d.message.size() > limits::kMaxDiagnosticBytes) {
            size_t cut = limits::kMaxDiagnosticBytes;
            while (cut > 0 && (static_cast<unsigned char>(d.message[cut]) & 0xC0) == 0x80) --cut;
            d.message.resize(cut);
            d.message += "...";
        }
        out.push_back(std::move(d));
        return;
    }
    // The summary sits at index kMax (later direct appends go after it).
    if (out.size() == kMax || out[kMax].code != kTooMany) {
        out.insert(out.begin() + kMax, Diagnostic{Severity::Warning, kTooMany, {".", 0, 0}, ""});
        out[kMax].message = too_many_message(0, 0);
    }
    Diagnostic& sum = out[kMax];
    unsigned long errors = 0, warnings = 0;
    std::sscanf(sum.message.c_str(), "%lu more error(s) and %lu", &errors, &warnings);
    if (d.severity == Severity::Error) {
        ++errors;
        sum.severity = Severity::Error;
    } else {
        ++warnings;
    }
    sum.message = too_many_message(errors, warnings);
}

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
