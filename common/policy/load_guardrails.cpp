// Guardrails documents: gateway-wide rules between any peers.
#include "policy/loader_impl.hpp"
#include "policy/names.hpp"

namespace wg::policy::load {

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
        s_.guardrails.push_back(std::move(r));
    }
}

}  // namespace wg::policy::load
