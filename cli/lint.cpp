// wardgate lint DIR [--format text|json]
// wardgate lint --all REPO | lint REPO --gateway NAME   (fleet repositories)
#include <nlohmann/json.hpp>

#include <ostream>

#include "commands.hpp"
#include "policy/compiler.hpp"
#include "policy/fleet.hpp"
#include "policy/image.hpp"

namespace wg::cli {

namespace {

struct Counts {
    size_t errors = 0, warnings = 0;
    std::string hash;
};

Counts count(policy::CompileResult& r) {
    Counts c;
    for (auto& d : r.diagnostics) (d.severity == policy::Severity::Error ? c.errors : c.warnings)++;
    if (r.policy) {
        policy::encode_image(*r.policy);  // fills the content hash
        c.hash = r.policy->content_hash;
    }
    return c;
}

// Adds the report's fields to `j` (which may already name the directory or gateway).
void json_report(const policy::CompileResult& r, const Counts& c, nlohmann::ordered_json& j) {
    j["ok"] = c.errors == 0;
    j["errors"] = c.errors;
    j["warnings"] = c.warnings;
    auto arr = nlohmann::ordered_json::array();
    for (auto& d : r.diagnostics) {
        nlohmann::ordered_json x;
        x["severity"] = d.severity == policy::Severity::Error ? "error" : "warning";
        x["code"] = d.code;
        x["file"] = d.loc.file;
        x["line"] = d.loc.line;
        x["column"] = d.loc.column;
        x["message"] = d.message;
        arr.push_back(x);
    }
    j["diagnostics"] = arr;
    if (r.policy) {
        j["policy"] = {{"name", r.policy->name},           {"content_hash", c.hash},
                       {"commit", r.policy->commit},       {"classes", r.policy->classes.size()},
                       {"hosts", r.policy->hosts.size()},  {"rules", r.policy->rules.size()},
                       {"bypass", r.policy->bypass.size()}};
    }
}

// `prefix` ("[icu] ") names the gateway of each line in a fleet run.
void text_report(const policy::CompileResult& r, const Counts& c, const std::string& what,
                 const std::string& prefix, std::ostream& out) {
    for (auto& d : r.diagnostics) out << prefix << policy::format(d) << "\n";
    if (r.policy)
        out << prefix << what << ": ok (" << r.policy->classes.size() << " classes, "
            << r.policy->hosts.size() << " hosts, " << r.policy->rules.size() << " rules, "
            << r.policy->bypass.size() << " bypass entries, " << c.warnings << " warnings; content "
            << c.hash.substr(0, 12) << ")\n";
    else
        out << prefix << what << ": " << c.errors << " error(s), " << c.warnings << " warning(s)\n";
}

std::string dump(const nlohmann::ordered_json& j) {
    // Names (file names, too) may hold bytes that are not UTF-8: replace
    // them rather than throw, so the output is always a JSON report.
    return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Every gateway of a fleet repository (or the one named), in one run.
int lint_fleet(const std::string& repo, const std::vector<std::string>& names,
               const std::string& fmt, std::ostream& out) {
    size_t failed = 0;
    nlohmann::ordered_json all;
    all["repository"] = repo;
    auto arr = nlohmann::ordered_json::array();
    for (auto& g : names) {
        auto r = policy::fleet::compile_gateway(repo, g);
        auto c = count(r);
        if (c.errors) ++failed;
        if (fmt == "json") {
            nlohmann::ordered_json j;
            j["gateway"] = g;
            json_report(r, c, j);
            arr.push_back(j);
        } else {
            text_report(r, c, "gateway " + g, "[" + g + "] ", out);
        }
    }
    if (fmt == "json") {
        all["ok"] = failed == 0 && !names.empty();
        all["gateways"] = arr;
        out << dump(all) << "\n";
    } else if (names.empty()) {
        out << repo << ": no gateways (add gateways/<name>/gateway.yaml)\n";
    } else {
        out << repo << ": " << names.size() << " gateway(s), "
            << (failed ? std::to_string(failed) + " with errors" : std::string("all ok")) << "\n";
    }
    return failed || names.empty() ? kExitFindings : kExitOk;
}

}  // namespace

int lint(const Args& args, std::ostream& out, std::ostream& err) {
    std::string fmt = "text", gateway;
    bool all = false;
    opt::Table ot(
        "usage: wardgate lint DIR [--format text|json]\n"
        "       wardgate lint --all REPO | lint REPO --gateway NAME   (fleet repository)");
    ot.str({"--format"}, "text|json", fmt, "output format (default text)");
    ot.flag({"--all"}, all, "lint every gateway of a fleet repository (the default for one)");
    ot.str({"--gateway"}, "NAME", gateway, "lint this gateway of a fleet repository");
    std::vector<std::string> pos;
    if (int rc = parse_args(ot, "lint", args, &pos, out, err); rc >= 0) return rc;
    if (pos.size() > 1) {
        err << "wardgate lint: one policy directory expected, got '" << pos[0] << "' and '"
            << pos[1] << "'\n";
        return kExitUsage;
    }
    if (pos.empty()) {
        err << ot.help();
        return kExitUsage;
    }
    const std::string& dir = pos[0];
    if (fmt != "text" && fmt != "json") {
        err << "wardgate lint: --format must be text or json\n";
        return kExitUsage;
    }
    if (all && !gateway.empty()) {
        err << "wardgate lint: --all and --gateway exclude each other\n";
        return kExitUsage;
    }
    bool fleet = policy::fleet::is_fleet_repo(dir);
    if ((all || !gateway.empty()) && !fleet) {
        err << "wardgate lint: " << dir
            << " is not a fleet repository (no gateways/ directory); lint it without "
            << (all ? "--all" : "--gateway") << "\n";
        return kExitUsage;
    }
    if (fleet)
        return lint_fleet(
            dir, gateway.empty() ? policy::fleet::gateways(dir) : std::vector<std::string>{gateway},
            fmt, out);
    auto r = policy::compile_directory(dir);
    auto c = count(r);
    if (fmt == "json") {
        nlohmann::ordered_json j;
        j["directory"] = dir;
        json_report(r, c, j);
        out << dump(j) << "\n";
    } else {
        text_report(r, c, dir, "", out);
    }
    return c.errors ? kExitFindings : kExitOk;
}

}  // namespace wg::cli
