// DeviceClass documents: a class, its labels and its egress/ingress rules.
#include "policy/loader_impl.hpp"
#include "policy/names.hpp"

namespace wg::policy::load {

void Loader::device_class(FileCtx& ctx, const YAML::Node& doc) {
    std::string pn = peek_name(doc);
    Map pre(ctx, doc, pn.empty() ? "a DeviceClass document" : "class '" + pn + "'",
            names::kDeviceClassKeys);
    if (!pre.valid()) return;
    api_version(ctx, pre);
    src::ClassSrc c;
    c.loc = pre.loc();
    auto name = name_ref(ctx, pre, "name", true, "class");
    if (!name) return;
    c.name = name->name;
    c.loc = name->loc;
    if (c.name == "unknown") {
        ctx.error(name->loc, "reserved-name",
                  "'unknown' is the built-in class of hosts not in the inventory; configure "
                  "it with 'unknown:' in the Gateway document");
        return;
    }
    c.mode = parse_mode(pre, Mode::Enforce);
    if (!pre.has("mode"))
        ctx.error(c.loc, "missing-field",
                  "class '" + c.name +
                      "' needs 'mode: enforce' or 'mode: monitor'; there is "
                      "no implicit default for what a clinical device class may do");
    c.default_action = parse_default_action(pre, Action::Deny);
    if (!pre.has("default_action"))
        ctx.error(c.loc, "missing-field",
                  "class '" + c.name + "' needs 'default_action: deny' or 'allow'");
    c.on_failure = parse_fail(pre);
    if (auto v = pre.choice("on_violation", names::kViolationActionNames.names))
        c.on_violation = names::from_name(names::kViolationAction, *v);
    if (auto v = pre.boolean("telemetry_receiver")) c.telemetry_receiver = *v;
    if (auto v = pre.uint("new_flows_per_sec", 1, 1000000)) c.new_flows_per_sec = uint32_t(*v);
    if (auto v = pre.uint("new_flows_burst", 1, 1000000)) c.new_flows_burst = uint32_t(*v);
    if (auto l = pre.get("labels"))
        c.labels = string_map(ctx, *l, "labels of class '" + c.name + "'");
    for (bool egress : {true, false}) {
        const char* key = egress ? "egress" : "ingress";
        auto rs = pre.get(key);
        if (!rs) continue;
        if (!rs->IsSequence()) {
            ctx.error(
                *rs, "bad-value",
                std::string("'") + key + "' of class '" + c.name + "' must be a list of rules");
            continue;
        }
        for (const auto& rn : *rs) c.rules.push_back(parse_class_rule(ctx, rn, c.name, egress));
    }
    s_.classes.push_back(std::move(c));
}

}  // namespace wg::policy::load
