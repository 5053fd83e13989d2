// Guardrails documents: gateway-wide rules between any peers, each with
// optional narrow exceptions (`except:`).
#include "policy/loader_impl.hpp"
#include "policy/names.hpp"

namespace wg::policy::load {

namespace {

// One `except:` entry: every field optional (inherits the guardrail's).
std::optional<src::ExceptSrc> parse_exception(FileCtx& ctx, const YAML::Node& n,
                                              const std::string& guardrail, size_t index) {
    src::ExceptSrc e;
    e.loc = ctx.loc(n);
    std::string pn = peek_name(n);
    std::string what = "exception " +
                       (pn.empty() ? "#" + std::to_string(index + 1) : "'" + pn + "'") + " of " +
                       guardrail;
    Map m(ctx, n, what, names::kExceptKeys);
    if (!m.valid()) return std::nullopt;
    if (m.has("name")) {
        auto name = name_ref(ctx, m, "name", false, "exception");
        if (!name) return std::nullopt;
        e.name = name->name;
    }
    if (auto f = m.get("from")) e.from = parse_peer(ctx, *f, "'from' of " + what);
    if (auto t = m.get("to")) e.to = parse_peer(ctx, *t, "'to' of " + what);
    if (m.has("proto")) {
        auto p = parse_proto(ctx, m);
        if (!p) return std::nullopt;
        e.proto = *p;
    }
    if (m.has("ports")) e.ports = port_list(ctx, m, "ports");
    if (m.has("source_ports")) e.sports = port_list(ctx, m, "source_ports");
    if (m.has("vlan")) {
        auto v = parse_vlan(m);
        if (!v) return std::nullopt;
        e.vlan = *v;
    }
    if (!e.from && !e.to && !e.proto && !e.ports && !e.sports && !e.vlan) {
        ctx.error(e.loc, "bad-exception",
                  what +
                      " sets nothing, so it would carve out the whole guardrail; name the "
                      "narrow traffic it allows (from, to, proto, ports)");
        return std::nullopt;
    }
    return e;
}

}  // namespace

void Loader::guardrails(FileCtx& ctx, const YAML::Node& doc) {
    Map m(ctx, doc, "a Guardrails document", names::kGuardrailsKeys);
    if (!m.valid()) return;
    api_version(ctx, m);
    auto rs = m.require("rules");
    if (!rs) return;
    if (!rs->IsSequence()) {
        ctx.error(*rs, "bad-value", "'rules' of Guardrails must be a list");
        return;
    }
    for (const auto& n : *rs) {
        src::RuleSrc r;
        r.loc = ctx.loc(n);
        std::string pn = peek_name(n);
        Map rm(ctx, n, pn.empty() ? "a guardrail" : "guardrail '" + pn + "'",
               names::kGuardrailKeys);
        if (!rm.valid()) continue;
        auto name = name_ref(ctx, rm, "name", true, "guardrail");
        if (name) r.name = name->name;
        std::string what = "guardrail '" + r.name + "'";
        r.mode = parse_mode(rm, Mode::Enforce);
        if (auto f = rm.get("from"))
            r.from = parse_peer(ctx, *f, "'from' of " + what);
        else
            r.from.any = true;
        if (auto t = rm.get("to"))
            r.to = parse_peer(ctx, *t, "'to' of " + what);
        else
            r.to.any = true;
        parse_match(ctx, rm, r);
        if (auto ex = rm.get("except")) {
            if (!ex->IsSequence()) {
                ctx.error(*ex, "bad-value",
                          "'except' of " + what + " must be a list of exceptions");
            } else {
                size_t i = 0;
                for (const auto& en : *ex)
                    if (auto e = parse_exception(ctx, en, what, i++))
                        r.exceptions.push_back(std::move(*e));
            }
        }
        s_.guardrails.push_back(std::move(r));
    }
}

}  // namespace wg::policy::load
