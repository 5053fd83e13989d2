// The loader's entry point: walks the policy directory, reads each YAML file
// and dispatches its documents by kind to the load_*.cpp readers.
#include "policy/loader.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "policy/loader_impl.hpp"

namespace wg::policy {

namespace load {

src::Source Loader::run() {
    std::error_code ec;
    if (!fs::is_directory(dir_, ec)) {
        diags_.push_back(
            {Severity::Error,
             "no-policy-dir",
             {dir_.string(), 0, 0},
             "policy directory '" + dir_.string() + "' does not exist or is not a directory"});
        return std::move(s_);
    }
    std::vector<fs::path> files;
    for (auto it = fs::recursive_directory_iterator(dir_, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        auto name = it->path().filename().string();
        if (it->is_directory() && (name.starts_with(".") || name == "schema")) {
            // .git, editor state and the JSON Schema are not policy.
            it.disable_recursion_pending();
            continue;
        }
        auto ext = it->path().extension().string();
        if (it->is_regular_file() && (ext == ".yaml" || ext == ".yml") && !name.starts_with("."))
            files.push_back(it->path());
    }
    // Sorted by relative path: load order, diagnostics and compiled
    // bytes must not depend on directory iteration order.
    std::sort(files.begin(), files.end());
    for (auto& f : files) load_file(f);
    return std::move(s_);
}

void Loader::load_file(const fs::path& path) {
    std::string relname = rel(path);
    s_.files.push_back(relname);
    FileCtx ctx(relname, diags_);
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::vector<YAML::Node> docs;
    try {
        docs = YAML::LoadAll(ss.str());
    } catch (const YAML::Exception& e) {
        ctx.error(ctx.loc(e.mark, {relname, 1, 1}), "syntax",
                  "YAML syntax error: " + e.msg + "; fix the indentation or quoting here");
        return;
    }
    for (const auto& doc : docs) {
        if (doc.IsNull()) continue;  // an empty document between '---' separators
        ++s_.documents;
        load_document(ctx, doc, path);
    }
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
