// Builds one gateway's view of a fleet repository (layout in fleet.hpp).
#include "policy/fleet.hpp"

#include <algorithm>

#include "policy/loader_impl.hpp"
#include "policy/utf8.hpp"

namespace wg::policy::fleet {

namespace fs = std::filesystem;

namespace {

constexpr const char* kGatewaysDir = "gateways";
constexpr const char* kGatewayFile = "gateway.yaml";

// An include entry we accept: relative, no "..", no "." components sneaking
// past the lexical check, not under .git, not another gateway's directory.
std::optional<std::string> bad_include(const std::string& p) {
    if (p.empty()) return "an empty path";
    fs::path fp(p);
    if (fp.is_absolute()) return "an absolute path; includes are relative to the repository root";
    for (const auto& c : fp) {
        auto s = c.string();
        if (s == "..") return "a path leaving the repository ('..')";
        if (s.starts_with(".") && s != ".") return "a hidden path ('" + s + "')";
    }
    auto norm = fp.lexically_normal().generic_string();
    if (norm == "." || norm.empty()) return "the whole repository (name the shared directories)";
    if (norm == kGatewaysDir || norm.starts_with(std::string(kGatewaysDir) + "/"))
        return "a gateway directory; shared files live outside gateways/, a gateway's own "
               "files are read anyway";
    return std::nullopt;
}

bool is_policy_file(const fs::path& p) {
    auto ext = p.extension().string();
    return ext == ".yaml" || ext == ".yml";
}

// Reads the include list of gateways/<name>/gateway.yaml and adds the files
// it names. A file that cannot be read or parsed adds nothing here: the
// loader reads it again and reports it.
void add_includes(const fs::path& repo, const fs::path& gw_file, load::Loader& loader,
                  std::vector<fs::path>& files, std::vector<Diagnostic>& diags) {
    std::string relname = gw_file.lexically_relative(repo).generic_string();
    PolicyFiles pf(repo);
    FileRead fr = pf.read(gw_file);
    if (fr.status != ReadStatus::Ok) return;
    utf8::Invalid bad;
    if (!utf8::valid(fr.text, bad)) return;
    std::vector<YAML::Node> docs;
    try {
        docs = YAML::LoadAll(fr.text);
    } catch (const YAML::Exception&) {
        return;
    }
    yaml::FileCtx ctx(relname, diags);
    for (const auto& doc : docs) {
        if (!doc.IsMap()) continue;
        const YAML::Node kind = doc["kind"];
        if (!kind.IsScalar() || kind.Scalar() != "Gateway") continue;
        const YAML::Node inc = doc["include"];
        if (!inc.IsDefined()) continue;
        if (!inc.IsSequence()) {
            ctx.error(inc, "bad-include",
                      "'include' must be a list of paths relative to the repository root, e.g. "
                      "[shared/classes, shared/guardrails.yaml]");
            continue;
        }
        for (const auto& e : inc) {
            if (!e.IsScalar()) {
                ctx.error(e, "bad-include", "an include entry must be a path (a string)");
                continue;
            }
            const std::string& p = e.Scalar();
            if (auto why = bad_include(p)) {
                ctx.error(e, "bad-include", "include '" + p + "' is " + *why);
                continue;
            }
            fs::path target = repo / fs::path(p).lexically_normal();
            std::error_code ec;
            // symlink_status: the loader's rules decide about symlinks (a
            // symlinked file is read and must resolve inside the repository;
            // a symlinked directory is not descended into).
            auto st = fs::symlink_status(target, ec);
            if (ec || !fs::exists(st)) {
                ctx.error(e, "missing-include",
                          "include '" + p +
                              "' does not exist in the repository; fix the path or add the "
                              "shared file");
            } else if (fs::is_directory(st)) {
                loader.walk(target, files);
            } else if (is_policy_file(target)) {
                files.push_back(target);
            } else {
                ctx.error(e, "bad-include",
                          "include '" + p + "' is neither a directory nor a *.yaml file");
            }
        }
    }
}

}  // namespace

bool is_fleet_repo(const fs::path& dir) {
    std::error_code ec;
    return fs::is_directory(dir / kGatewaysDir, ec);
}

std::vector<std::string> gateways(const fs::path& repo) {
    std::vector<std::string> out;
    std::error_code ec;
    fs::directory_iterator it(repo / kGatewaysDir, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        std::error_code sec;
        auto name = it->path().filename().string();
        if (!name.starts_with(".") && fs::is_directory(it->symlink_status(sec)))
            out.push_back(name);
    }
    std::sort(out.begin(), out.end());
    return out;
}

src::Source load_gateway_view(const fs::path& repo, const std::string& name,
                              std::vector<Diagnostic>& diags) {
    load::Loader loader(repo, diags);
    auto known = gateways(repo);
    if (!is_fleet_repo(repo) || std::find(known.begin(), known.end(), name) == known.end()) {
        std::string list;
        for (auto& g : known) list += (list.empty() ? "" : ", ") + g;
        diags.push_back(
            {Severity::Error,
             "no-such-gateway",
             {std::string(kGatewaysDir) + "/" + name, 0, 0},
             "gateway '" + name + "' is not in fleet repository '" + repo.string() +
                 "' (no gateways/" + name + "/ directory); " +
                 (list.empty() ? std::string("it has no gateways") : "its gateways: " + list)});
        return {};
    }
    fs::path gw_dir = repo / kGatewaysDir / name;
    fs::path gw_file = gw_dir / kGatewayFile;
    std::vector<fs::path> files;
    loader.walk(gw_dir, files);
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(gw_file, ec)))
        diags.push_back({Severity::Error,
                         "missing-gateway-file",
                         {std::string(kGatewaysDir) + "/" + name + "/" + kGatewayFile, 0, 0},
                         "gateway '" + name + "' has no " + kGatewayFile +
                             " (its Gateway document, naming the shared files it includes)"});
    else
        add_includes(repo, gw_file, loader, files, diags);
    auto src = loader.run_files(std::move(files));
    // The directory name is what the control plane's --gateway, lint and
    // diff call the gateway: the document must agree, or two names would
    // float around for one gateway.
    if (src.gateway_loc && !src.name.empty() && src.name != name)
        diags.push_back({Severity::Error, "gateway-name-mismatch", *src.gateway_loc,
                         "the Gateway document is named '" + src.name + "' but lives in gateways/" +
                             name + "/; name it '" + name + "' (or rename the directory)"});
    return src;
}

CompileResult compile_gateway(const fs::path& repo, const std::string& name) {
    std::vector<Diagnostic> diags;
    auto src = load_gateway_view(repo, name, diags);
    bool unknown = std::any_of(diags.begin(), diags.end(),
                               [](const Diagnostic& d) { return d.code == "no-such-gateway"; });
    if (unknown) {
        CompileResult r;
        r.diagnostics = std::move(diags);
        return r;
    }
    return compile_source(src, repo, std::move(diags));
}

}  // namespace wg::policy::fleet
