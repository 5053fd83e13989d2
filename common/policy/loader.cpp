// The loader's entry point: walks the policy directory, reads each YAML file
// and dispatches its documents by kind to the load_*.cpp readers.
#include "policy/loader.hpp"

#include <algorithm>
#include <cstdio>

#include "policy/fleet.hpp"
#include "policy/limits.hpp"
#include "policy/loader_impl.hpp"
#include "policy/utf8.hpp"

namespace wg::policy {

namespace load {

src::Source Loader::run() {
    std::error_code ec;
    if (!fs::is_directory(dir_, ec)) {
        report(diags_,
               {Severity::Error,
                "no-policy-dir",
                {dir_.string(), 0, 0},
                "policy directory '" + dir_.string() + "' does not exist or is not a directory"});
        return std::move(s_);
    }
    // A fleet repository holds many gateways' files: read as one directory
    // it would be a pile of duplicate Gateway documents. Say what to do.
    if (fleet::is_fleet_repo(dir_)) {
        diags_.push_back({Severity::Error,
                          "fleet-repository",
                          {".", 0, 0},
                          "'" + dir_.string() +
                              "' is a fleet repository (it has a gateways/ directory): compile "
                              "one gateway's view of it (--gateway NAME), or lint them all "
                              "(wardgate lint --all)"});
        return std::move(s_);
    }
    std::vector<fs::path> files;
    walk(dir_, files);
    // Sorted by relative path: load order, diagnostics and compiled
    // bytes must not depend on directory iteration order.
    std::sort(files.begin(), files.end());
    for (auto& f : files) load_file(f);
    return std::move(s_);
}

src::Source Loader::run_files(std::vector<fs::path> files) {
    fleet_ = true;
    std::sort(files.begin(), files.end());
    files.erase(std::unique(files.begin(), files.end()), files.end());
    for (auto& f : files) load_file(f);
    return std::move(s_);
}

// Every directory is listed with errors checked: a subdirectory that cannot
// be listed would otherwise drop all its files without a word.
void Loader::walk(const fs::path& d, std::vector<fs::path>& files) {
    std::error_code ec;
    fs::directory_iterator it(d, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        const fs::path& p = it->path();
        auto name = p.filename().string();
        std::error_code sec;
        // symlink_status: a symlinked directory is not descended into (as
        // before), but a symlink named *.yaml is read, and must resolve.
        auto st = it->symlink_status(sec);
        if (sec) {
            unreadable_dir(p, sec);
            continue;
        }
        if (fs::is_directory(st)) {
            // .git, editor state and the JSON Schema are not policy, nor is
            // a fleet repository kept next to the policy (its gateways are
            // compiled one by one: fleet.hpp).
            if (!name.starts_with(".") && name != "schema" && !fleet::is_fleet_repo(p))
                walk(p, files);
            continue;
        }
        auto ext = p.extension().string();
        if ((ext == ".yaml" || ext == ".yml") && !name.starts_with(".")) files.push_back(p);
    }
    if (ec) unreadable_dir(d, ec);
}

void Loader::unreadable_dir(const fs::path& d, const std::error_code& ec) {
    std::string r = d == dir_ ? "." : rel(d);
    report(diags_, {Severity::Error,
                    "unreadable-file",
                    {r, 0, 0},
                    "cannot list directory '" + r + "': " + ec.message() +
                        "; every policy file under it would be missing, so the policy is "
                        "rejected. Fix its permissions"});
}

void Loader::file_error(const std::string& relname, const FileRead& fr) {
    std::string code, msg;
    switch (fr.status) {
        case ReadStatus::Unreadable:
            code = "unreadable-file";
            msg = "cannot read policy file '" + relname + "': " + fr.reason +
                  "; its documents would be missing, so the policy is rejected. Fix the file "
                  "or its permissions, or delete it";
            break;
        case ReadStatus::Outside:
            code = "outside-policy-dir";
            msg = "policy file '" + relname + "' resolves to '" + fr.reason +
                  "', outside the policy directory; policy files must live in the reviewed, "
                  "versioned policy directory";
            break;
        case ReadStatus::NotRegular:
            code = "not-regular-file";
            msg = "policy file '" + relname + "' is " + fr.reason +
                  ", not a regular file; remove it or rename it away from *.yaml";
            break;
        case ReadStatus::TooLarge:
            code = "file-too-large";
            msg = "policy file '" + relname + "' is " + fr.reason + ", over the limit of " +
                  std::to_string(limits::kMaxFileBytes >> 20) +
                  " MiB per file; split it into several files";
            break;
        case ReadStatus::PolicyTooLarge:
        case ReadStatus::Ok:
            code = "policy-too-large";
            msg = "with '" + relname + "' the policy files add up to " + fr.reason +
                  ", over the limit of " + std::to_string(limits::kMaxPolicyBytes >> 20) +
                  " MiB per policy";
            break;
    }
    report(diags_, {Severity::Error, code, {relname, 0, 0}, msg});
}

bool Loader::valid_utf8(FileCtx& ctx, std::string_view text) {
    utf8::Invalid bad;
    if (utf8::valid(text, bad)) return true;
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", bad.byte);
    ctx.error(SourceLoc{ctx.file(), bad.line, bad.column}, "bad-encoding",
              std::string("invalid UTF-8 (byte ") + hex +
                  "); policy files and CSV exports must be UTF-8: re-save or re-export the file "
                  "as UTF-8");
    return false;
}

void Loader::load_file(const fs::path& path) {
    std::string relname = rel(path);
    s_.files.push_back(relname);
    FileCtx ctx(relname, diags_);
    FileRead fr = files_.read(path);
    if (fr.status != ReadStatus::Ok) return file_error(relname, fr);
    if (!valid_utf8(ctx, fr.text)) return;
    const uint64_t room =
        limits::kMaxYamlNodesPerPolicy - std::min(yaml_nodes_, limits::kMaxYamlNodesPerPolicy);
    auto pre = yaml::prescan(fr.text, std::min(limits::kMaxYamlNodesPerFile, room));
    yaml_nodes_ += pre.nodes;
    if (pre.kind == yaml::Prescan::TooLarge) {
        const bool file_cap = room >= limits::kMaxYamlNodesPerFile;
        ctx.error(ctx.loc(pre.mark, {relname, 1, 1}), "policy-too-large",
                  file_cap ? "more than " + std::to_string(limits::kMaxYamlNodesPerFile) +
                                 " YAML values in one file (parsing costs memory per value); "
                                 "split the file"
                           : "more than " + std::to_string(limits::kMaxYamlNodesPerPolicy) +
                                 " YAML values in the policy's files together; the policy is "
                                 "larger than the gateway accepts");
        return;
    }
    if (pre.kind == yaml::Prescan::Alias) {
        ctx.error(ctx.loc(pre.mark, {relname, 1, 1}), "yaml-alias",
                  "YAML aliases (*name) are not allowed in policy files: each one repeats a "
                  "whole node, so a few bytes could stand for millions of rules or addresses, "
                  "and a reviewer would not see what is allowed. Write the value out");
        return;
    }
    if (pre.kind == yaml::Prescan::Stuck) {
        ctx.error(ctx.loc(pre.mark, {relname, 1, 1}), "syntax",
                  "YAML syntax error: no document can start here (typically a ',' outside "
                  "[...] or {...}, as in '[a], b'); fix the indentation or quoting here");
        return;
    }
    std::vector<YAML::Node> docs;
    try {
        docs = YAML::LoadAll(fr.text);
    } catch (const YAML::Exception& e) {
        ctx.error(ctx.loc(e.mark, {relname, 1, 1}), "syntax",
                  "YAML syntax error: " + e.msg + "; fix the indentation or quoting here");
        return;
    }
    size_t before = s_.documents;
    for (const auto& doc : docs) {
        if (doc.IsNull()) continue;  // an empty document between '---' separators
        ++s_.documents;
        load_document(ctx, doc, path);
    }
    // A file cut short to nothing (a failed copy, a truncating editor) would
    // otherwise drop its rules silently.
    if (s_.documents == before)
        ctx.error(SourceLoc{relname, 1, 1}, "empty-file",
                  "policy file '" + relname +
                      "' holds no policy document (it is empty or only comments); if it was "
                      "truncated, restore it, otherwise delete it");
}

void Loader::load_document(FileCtx& ctx, const YAML::Node& doc, const fs::path& path) {
    if (!doc.IsMap()) {
        ctx.error(doc, "bad-document", "a policy document must be a mapping with a 'kind' field");
        return;
    }
    const YAML::Node kindn = doc["kind"];
    if (!kindn.IsDefined() || !kindn.IsScalar()) {
        ctx.error(doc, "missing-field",
                  "document needs 'kind': one of Gateway, DeviceClass, Inventory, "
                  "Guardrails, TelemetryBypass");
        return;
    }
    std::string kind = kindn.Scalar();
    if (kind == "Gateway" && !fleet_ && doc["include"].IsDefined()) {
        // Outside a fleet repository nothing would read the listed files:
        // their rules would be silently missing.
        ctx.error(doc["include"], "include-outside-fleet",
                  "'include' only works in a fleet repository's gateways/<name>/gateway.yaml "
                  "(docs/fleet.md); in a plain policy directory every file is read anyway: "
                  "remove it");
    }
    if (kind == "Gateway") return gateway(ctx, doc);
    if (kind == "DeviceClass") return device_class(ctx, doc);
    if (kind == "Inventory") return inventory(ctx, doc, path);
    if (kind == "Guardrails") return guardrails(ctx, doc);
    if (kind == "TelemetryBypass") return bypass(ctx, doc);
    std::vector<std::string> kinds = {"Gateway", "DeviceClass", "Inventory", "Guardrails",
                                      "TelemetryBypass"};
    std::string hint = yaml::closest(kind, kinds);
    ctx.error(kindn, "unknown-kind",
              "unknown kind '" + kind + "'" +
                  (hint.empty() ? "" : "; did you mean '" + hint + "'?") +
                  " (one of Gateway, DeviceClass, Inventory, Guardrails, TelemetryBypass)");
}

void Loader::api_version(FileCtx& ctx, const Map& m) {
    auto v = m.str("apiVersion");
    if (v && *v != kApiVersion)
        ctx.error(
            *m.get("apiVersion"), "bad-version",
            "apiVersion '" + *v + "' is not supported; this wardgate reads '" + kApiVersion + "'");
}

}  // namespace load

src::Source load_directory(const std::filesystem::path& dir, std::vector<Diagnostic>& diags) {
    return load::Loader(dir, diags).run();
}

}  // namespace wg::policy
