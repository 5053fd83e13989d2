// Lint of the `sources:` block (policy/source_check.hpp): exceptions that
// change nothing, exceptions wider than what they except. (Defaults off is
// the compiler's warning: it knows where the block is.)
#include "policy/analysis.hpp"
#include "policy/net.hpp"
#include "policy/source_check.hpp"

namespace wg::policy {

namespace {

// Would the addresses of `a` arriving on `port` be refused without the
// exception at index `skip`? Over the resolved table: the verdicts of the
// prefixes inside `a` and of the innermost one around it.
bool refused_without(const CompiledPolicy& p, size_t skip, const IpPrefix& a, Side port) {
    CompiledPolicy q;
    q.clinical_space = p.clinical_space;
    q.core_space = p.core_space;
    for (size_t i = 0; i < p.sources.size(); ++i)
        if (i != skip) q.sources.push_back(p.sources[i]);
    // Named: `around` points into it after the loop.
    const auto resolved = resolve_sources(q);
    const ResolvedSource* around = nullptr;
    for (const auto& r : resolved) {
        if (r.prefix.family != a.family) continue;
        if (net::contains(a, r.prefix)) {
            if (r.on[unsigned(port)] != SourceVerdict::Ok) return true;
        } else if (net::contains(r.prefix, a) && (!around || r.prefix.len > around->prefix.len)) {
            around = &r;
        }
    }
    return around && around->on[unsigned(port)] != SourceVerdict::Ok;
}

}  // namespace

void analyse_sources(const CompiledPolicy& p, std::vector<Diagnostic>& out) {
    auto warn = [&](const SourceLoc& l, const char* code, std::string msg) {
        report(out, {Severity::Warning, code, l, std::move(msg)});
    };
    for (size_t i = 0; i < p.sources.size(); ++i) {
        const auto& x = p.sources[i];
        if (!x.allow || x.builtin) continue;
        for (Side port : {Side::Clinical, Side::Core}) {
            if (!(x.ports & port_bit(port))) continue;
            const char* pname = port == Side::Core ? "core" : "clinical";
            const auto& other = port == Side::Core ? p.clinical_space : p.core_space;
            bool wide = false;
            for (const auto& s : other)
                if (s.family == x.prefix.family && net::contains(x.prefix, s)) {
                    warn(x.loc, "source-exception-too-wide",
                         "the exception " + net::format(x.prefix) + " on the " + pname +
                             " port covers all of " + net::format(s) + ", a " +
                             (port == Side::Core ? "clinical" : "core") +
                             "-side space: anti-spoofing is off for that whole range. List the "
                             "few addresses that really send from the " +
                             pname + " side");
                    wide = true;
                    break;
                }
            for (const auto& n : p.sources)
                if (!wide && !n.allow && (n.ports & port_bit(port)) &&
                    n.prefix.family == x.prefix.family && n.prefix.len > x.prefix.len &&
                    net::contains(x.prefix, n.prefix)) {
                    warn(x.loc, "source-exception-too-wide",
                         "the exception " + net::format(x.prefix) + " on the " + pname +
                             " port is wider than the never-valid range " + source_rule_text(n) +
                             " it lets through; name that range or less");
                    wide = true;
                }
            if (!refused_without(p, i, x.prefix, port))
                warn(x.loc, "source-exception-unused",
                     "the exception " + net::format(x.prefix) + " on the " + pname +
                         " port matches nothing: these sources are accepted there anyway (not "
                         "never-valid, not of the other side). Remove it, or check the port");
        }
    }
}

}  // namespace wg::policy
