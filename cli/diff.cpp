// wardgate diff A B [--repo DIR]: what a policy change does to permissions.
// A and B are policy directories, or git revisions of the policy directory
// DIR (default "."), e.g. `wardgate diff HEAD~1 HEAD --repo policies`.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <ostream>

#include "commands.hpp"
#include "policy/compiler.hpp"
#include "policy/diff.hpp"
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

}  // namespace

int diff(const Args& args, std::ostream& out, std::ostream& err) {
    std::vector<std::string> pos;
    std::string repo = ".", fmt = "text";
    opt::Table ot(
        "usage: wardgate diff A B [--repo DIR] [--format text|json]\n"
        "  A, B: policy directories, or git revisions of the policy directory DIR");
    ot.str({"--repo"}, "DIR", repo, "git checkout holding the policy (default .)");
    ot.str({"--format"}, "text|json", fmt, "output format (default text)");
    if (int rc = parse_args(ot, "diff", args, &pos, out, err); rc >= 0) return rc;
    if (pos.size() != 2 || (fmt != "text" && fmt != "json")) {
        err << ot.help();
        return kExitUsage;
    }
    std::vector<std::unique_ptr<TempDir>> temps;
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
