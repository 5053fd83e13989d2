// wardgate lint DIR [--format text|json]
#include <nlohmann/json.hpp>

#include <ostream>

#include "commands.hpp"
#include "policy/compiler.hpp"
#include "policy/image.hpp"

namespace wg::cli {

int lint(const Args& args, std::ostream& out, std::ostream& err) {
    std::string fmt = "text";
    opt::Table ot("usage: wardgate lint DIR [--format text|json]");
    ot.str({"--format"}, "text|json", fmt, "output format (default text)");
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
    auto r = policy::compile_directory(dir);
    size_t errors = 0, warnings = 0;
    for (auto& d : r.diagnostics) (d.severity == policy::Severity::Error ? errors : warnings)++;
    std::string hash;
    if (r.policy) {
        policy::encode_image(*r.policy);  // fills the content hash
        hash = r.policy->content_hash;
    }
    if (fmt == "json") {
        nlohmann::ordered_json j;
        j["directory"] = dir;
        j["ok"] = errors == 0;
        j["errors"] = errors;
        j["warnings"] = warnings;
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
            j["policy"] = {
                {"name", r.policy->name},           {"content_hash", hash},
                {"commit", r.policy->commit},       {"classes", r.policy->classes.size()},
                {"hosts", r.policy->hosts.size()},  {"rules", r.policy->rules.size()},
                {"bypass", r.policy->bypass.size()}};
        }
        // Names (file names, too) may hold bytes that are not UTF-8: replace
        // them rather than throw, so the output is always a JSON report.
        out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else {
        for (auto& d : r.diagnostics) out << policy::format(d) << "\n";
        if (r.policy)
            out << dir << ": ok (" << r.policy->classes.size() << " classes, "
                << r.policy->hosts.size() << " hosts, " << r.policy->rules.size() << " rules, "
                << r.policy->bypass.size() << " bypass entries, " << warnings
                << " warnings; content " << hash.substr(0, 12) << ")\n";
        else
            out << dir << ": " << errors << " error(s), " << warnings << " warning(s)\n";
    }
    return errors ? kExitFindings : kExitOk;
}

}  // namespace wg::cli
