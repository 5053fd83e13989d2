// wardgate diff A B [--repo DIR]: what a policy change does to permissions.
// A and B are policy directories, or git revisions of the policy directory
// DIR (default "."), e.g. `wardgate diff HEAD~1 HEAD --repo policies`.
// Fleet repositories (policy/fleet.hpp): which gateways' permissions change,
// and how, per gateway.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <ostream>
#include <set>

#include "commands.hpp"
#include "policy/compiler.hpp"
#include "policy/diff.hpp"
#include "policy/fleet.hpp"
#include "policy/git.hpp"

namespace fs = std::filesystem;

namespace wg::cli {

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "wardgate-diff-XXXXXX").string();
        if (!mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a temporary directory");
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

// Compiles `what`: a directory, or a git revision of the policy dir `repo`.
std::optional<policy::CompiledPolicy> load(const std::string& what, const std::string& repo,
                                           std::vector<std::unique_ptr<TempDir>>& temps,
                                           std::ostream& err) {
    fs::path dir = what;
    std::string commit;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        // Plumbing only (no `git archive`: it runs the checkout's filters).
        auto rev = policy::git::resolve_commit(repo, what);
        if (!rev) {
            err << "wardgate diff: '" << what << "' is neither a directory nor a git revision of "
                << repo << "\n";
            return std::nullopt;
        }
        commit = *rev;
        temps.push_back(std::make_unique<TempDir>());
        fs::path root = temps.back()->path / "tree";
        if (auto e = policy::git::export_tree(repo, commit, root)) {
            err << "wardgate diff: cannot read revision " << what << ": " << *e << "\n";
            return std::nullopt;
        }
        dir = root;
    }
    auto r = policy::compile_directory(dir);
    if (!r.policy) {
        for (auto& d : r.diagnostics)
            if (d.severity == policy::Severity::Error)
                err << what << ": " << policy::format(d) << "\n";
        err << "wardgate diff: " << what << " does not compile\n";
        return std::nullopt;
    }
    if (!commit.empty()) r.policy->commit = commit;
    return std::move(r.policy);
}

// The directory `what` names: itself, or revision `what` of `repo` exported
// to a temporary directory. nullopt (and a message) if it is neither.
std::optional<fs::path> resolve_tree(const std::string& what, const std::string& repo,
                                     std::vector<std::unique_ptr<TempDir>>& temps,
                                     std::ostream& err) {
    std::error_code ec;
    if (fs::is_directory(what, ec)) return fs::path(what);
    auto rev = policy::git::resolve_commit(repo, what);
    if (!rev) {
        err << "wardgate diff: '" << what << "' is neither a directory nor a git revision of "
            << repo << "\n";
        return std::nullopt;
    }
    temps.push_back(std::make_unique<TempDir>());
    fs::path root = temps.back()->path / "tree";
    if (auto e = policy::git::export_tree(repo, *rev, root)) {
        err << "wardgate diff: cannot read revision " << what << ": " << *e << "\n";
        return std::nullopt;
    }
    return root;
}

nlohmann::ordered_json changes_json(const std::vector<policy::Change>& v) {
    auto j = nlohmann::ordered_json::array();
    for (auto& c : v) j.push_back({{"change", c.kind}, {"name", c.name}, {"detail", c.detail}});
    return j;
}

void changes_text(std::ostream& out, const char* indent, const char* title,
                  const std::vector<policy::Change>& v) {
    if (v.empty()) return;
    out << indent << title << ":\n";
    for (auto& c : v) {
        char mark = c.kind == "added" ? '+' : c.kind == "removed" ? '-' : '~';
        out << indent << "  " << mark << " " << c.name << ": " << c.detail << "\n";
    }
}

// Fleet repositories: which gateways' permissions change between A and B
// (each gateway's view compiled on both sides and compared; a gateway only
// on one side is added or removed). Exit 1 if a view does not compile.
int diff_fleet(const std::string& from, const std::string& to, const fs::path& a, const fs::path& b,
               const std::string& only, const std::string& fmt, std::ostream& out,
               std::ostream& err) {
    std::set<std::string> names;
    for (auto& g : policy::fleet::gateways(a)) names.insert(g);
    for (auto& g : policy::fleet::gateways(b)) names.insert(g);
    if (!only.empty()) names = {only};
    bool broken = false;
    auto compile = [&](const fs::path& repo, const std::string& side,
                       const std::string& g) -> std::optional<policy::CompiledPolicy> {
        auto known = policy::fleet::gateways(repo);
        if (std::find(known.begin(), known.end(), g) == known.end()) return std::nullopt;
        auto r = policy::fleet::compile_gateway(repo, g);
        if (!r.policy) {
            for (auto& d : r.diagnostics)
                if (d.severity == policy::Severity::Error)
                    err << "[" << g << "] " << side << ": " << policy::format(d) << "\n";
            err << "wardgate diff: gateway " << g << " does not compile in " << side << "\n";
            broken = true;
        }
        return std::move(r.policy);
    };
    nlohmann::ordered_json j;
    j["from"] = from;
    j["to"] = to;
    auto gws = nlohmann::ordered_json::array();
    std::vector<std::string> changed;
    for (auto& g : names) {
        auto known_a = policy::fleet::gateways(a), known_b = policy::fleet::gateways(b);
        bool in_a = std::find(known_a.begin(), known_a.end(), g) != known_a.end();
        bool in_b = std::find(known_b.begin(), known_b.end(), g) != known_b.end();
        auto pa = compile(a, from, g);
        auto pb = compile(b, to, g);
        nlohmann::ordered_json x;
        x["gateway"] = g;
        std::string status;
        policy::PolicyDiff d;
        if (!in_a && !in_b) {
            status = "unknown";
        } else if (!in_a) {
            status = "added";
        } else if (!in_b) {
            status = "removed";
        } else if (!pa || !pb) {
            status = "does-not-compile";
        } else {
            d = policy::diff_policies(*pa, *pb);
            status = d.empty() ? "unchanged" : "changed";
        }
        if (status != "unchanged") changed.push_back(g);
        x["status"] = status;
        if (status == "changed") {
            x["rules"] = changes_json(d.rules);
            x["classes"] = changes_json(d.classes);
            x["devices"] = changes_json(d.devices);
            x["global"] = changes_json(d.global);
        }
        gws.push_back(x);
        if (fmt == "json") continue;
        if (status == "unchanged") {
            out << "gateway " << g << ": no permission changes\n";
        } else if (status == "changed") {
            out << "gateway " << g << ": permissions change\n";
            changes_text(out, "  ", "rules", d.rules);
            changes_text(out, "  ", "classes", d.classes);
            changes_text(out, "  ", "devices", d.devices);
            changes_text(out, "  ", "global", d.global);
        } else if (status == "unknown") {
            out << "gateway " << g << ": in neither revision\n";
        } else {
            out << "gateway " << g << ": " << status << "\n";
        }
    }
    j["gateways"] = gws;
    j["changed"] = changed;
    if (fmt == "json") {
        out << j.dump(2) << "\n";
    } else {
        std::string list;
        for (auto& g : changed) list += (list.empty() ? "" : ", ") + g;
        out << (changed.empty() ? "no gateway's permissions change"
                                : "gateways whose permissions change: " + list)
            << "\n";
    }
    return broken ? kExitFindings : kExitOk;
}

}  // namespace

int diff(const Args& args, std::ostream& out, std::ostream& err) {
    std::vector<std::string> pos;
    std::string repo = ".", fmt = "text";
    opt::Table ot(
        "usage: wardgate diff A B [--repo DIR] [--format text|json]\n"
        "  A, B: policy directories, or git revisions of the policy directory DIR");
    ot.str({"--repo"}, "DIR", repo, "git checkout holding the policy (default .)");
    ot.str({"--format"}, "text|json", fmt, "output format (default text)");
    std::string gateway;
    ot.str({"--gateway"}, "NAME", gateway,
           "fleet repositories: compare this gateway only (default: every\ngateway)");
    if (int rc = parse_args(ot, "diff", args, &pos, out, err); rc >= 0) return rc;
    if (pos.size() != 2 || (fmt != "text" && fmt != "json")) {
        err << ot.help();
        return kExitUsage;
    }
    std::vector<std::unique_ptr<TempDir>> temps;
    {
        auto ta = resolve_tree(pos[0], repo, temps, err);
        auto tb = ta ? resolve_tree(pos[1], repo, temps, err) : std::nullopt;
        if (!ta || !tb) return kExitFindings;
        bool fa = policy::fleet::is_fleet_repo(*ta), fb = policy::fleet::is_fleet_repo(*tb);
        if (fa != fb) {
            err << "wardgate diff: " << (fa ? pos[0] : pos[1])
                << " is a fleet repository and the other is not\n";
            return kExitUsage;
        }
        if (fa) return diff_fleet(pos[0], pos[1], *ta, *tb, gateway, fmt, out, err);
        if (!gateway.empty()) {
            err << "wardgate diff: --gateway needs fleet repositories\n";
            return kExitUsage;
        }
        temps.clear();
    }
    auto a = load(pos[0], repo, temps, err);
    auto b = load(pos[1], repo, temps, err);
    if (!a || !b) return kExitFindings;
    auto d = policy::diff_policies(*a, *b);
    if (fmt == "json") {
        auto arr = [](const std::vector<policy::Change>& v) {
            auto j = nlohmann::ordered_json::array();
            for (auto& c : v)
                j.push_back({{"change", c.kind}, {"name", c.name}, {"detail", c.detail}});
            return j;
        };
        nlohmann::ordered_json j;
        j["from"] = pos[0];
        j["to"] = pos[1];
        j["rules"] = arr(d.rules);
        j["classes"] = arr(d.classes);
        j["devices"] = arr(d.devices);
        j["global"] = arr(d.global);
        out << j.dump(2) << "\n";
        return kExitOk;
    }
    if (d.empty()) {
        out << "no permission changes between " << pos[0] << " and " << pos[1] << "\n";
        return kExitOk;
    }
    auto section = [&](const char* title, const std::vector<policy::Change>& v) {
        if (v.empty()) return;
        out << title << ":\n";
        for (auto& c : v) {
            char mark = c.kind == "added" ? '+' : c.kind == "removed" ? '-' : '~';
            out << "  " << mark << " " << c.name << ": " << c.detail << "\n";
        }
    };
    section("rules", d.rules);
    section("classes", d.classes);
    section("devices", d.devices);
    section("global", d.global);
    return kExitOk;
}

}  // namespace wg::cli
