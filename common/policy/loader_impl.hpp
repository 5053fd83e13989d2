// Internals of the policy loader, shared by its per-document-kind files
// (load_*.cpp). Not part of the library's interface: use loader.hpp.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "policy/diagnostics.hpp"
#include "policy/file_read.hpp"
#include "policy/source.hpp"
#include "policy/yaml_reader.hpp"

namespace wg::policy::load {

namespace fs = std::filesystem;
using yaml::FileCtx;
using yaml::Map;

inline constexpr const char* kApiVersion = "wardgate/v1";

// Shared field readers (load_fields.cpp).
bool valid_name(const std::string& s);
std::optional<src::Ref> name_ref(FileCtx& ctx, const Map& m, std::string_view key, bool required,
                                 const char* kind);
std::optional<src::Ref> zone_ref(FileCtx& ctx, const Map& m, std::string_view key);
std::vector<IpPrefix> cidr_list(FileCtx& ctx, const Map& m, std::string_view key,
                                std::vector<SourceLoc>* locs = nullptr);
std::optional<PortRange> parse_port_range(FileCtx& ctx, const YAML::Node& n,
                                          const std::string& what);
std::vector<PortRange> port_list(FileCtx& ctx, const Map& m, std::string_view key);
std::optional<Proto> parse_proto(FileCtx& ctx, const Map& m);
std::optional<uint16_t> parse_vlan(const Map& m);
Mode parse_mode(const Map& m, Mode dflt);
Action parse_default_action(const Map& m, Action dflt);
std::optional<FailMode> parse_fail(const Map& m);
std::string peek_name(const YAML::Node& n);
std::vector<std::pair<std::string, std::string>> string_map(FileCtx& ctx, const YAML::Node& n,
                                                            const std::string& what);

// Rule readers (load_rule.cpp).
src::Peer parse_peer(FileCtx& ctx, const YAML::Node& n, const std::string& what);
ProtocolConstraints parse_constraints(FileCtx& ctx, const YAML::Node& n, const std::string& what,
                                      Proto proto);
void parse_match(FileCtx& ctx, const Map& m, src::RuleSrc& r);
src::RuleSrc parse_class_rule(FileCtx& ctx, const YAML::Node& n, const std::string& cls,
                              bool egress);

// One load of one policy directory. Each document kind has its own file.
class Loader {
  public:
    Loader(fs::path dir, std::vector<Diagnostic>& diags)
        : dir_(std::move(dir)), diags_(diags), files_(dir_) {}

    src::Source run();  // loader.cpp
    // One gateway's view of a fleet repository (fleet.cpp picks the files):
    // loads exactly `files` (under the repository), sorted the same way.
    src::Source run_files(std::vector<fs::path> files);
    // Every policy file under `d` (the rules of a plain directory walk).
    void walk(const fs::path& d, std::vector<fs::path>& files);

  private:
    std::string rel(const fs::path& p) const { return p.lexically_relative(dir_).generic_string(); }

    // loader.cpp: files and dispatch.
    void unreadable_dir(const fs::path& d, const std::error_code& ec);
    void file_error(const std::string& relname, const FileRead& fr);
    bool valid_utf8(FileCtx& ctx, std::string_view text);  // else a bad-encoding error
    void load_file(const fs::path& path);
    void load_document(FileCtx& ctx, const YAML::Node& doc, const fs::path& path);
    void api_version(FileCtx& ctx, const Map& m);

    // load_gateway.cpp
    void gateway(FileCtx& ctx, const YAML::Node& doc);
    void essentials(FileCtx& ctx, const YAML::Node& n);
    void settings(FileCtx& ctx, const YAML::Node& n);
    void sources(FileCtx& ctx, const YAML::Node& n);  // load_sources.cpp
    void groups(FileCtx& ctx, const YAML::Node& n);

    // load_admission.cpp
    void admission(FileCtx& ctx, const YAML::Node& n);

    // load_class.cpp
    void device_class(FileCtx& ctx, const YAML::Node& doc);

    // load_inventory.cpp
    void inventory(FileCtx& ctx, const YAML::Node& doc, const fs::path& path);
    void host(FileCtx& ctx, const YAML::Node& n);
    void import_csv(FileCtx& ctx, const YAML::Node& n, const fs::path& yaml_path);
    static std::string lower(std::string s);
    void load_csv(const std::string& text, const std::string& relp, bool bind,
                  const std::set<std::string>& exclude,
                  const std::map<std::string, std::string>& class_map);

    // load_guardrails.cpp
    void guardrails(FileCtx& ctx, const YAML::Node& doc);

    // load_bypass.cpp
    void bypass(FileCtx& ctx, const YAML::Node& doc);

    fs::path dir_;
    std::vector<Diagnostic>& diags_;
    PolicyFiles files_;  // every file read goes through it: containment, type, size
    std::map<std::string, SourceLoc> imported_;  // CSV imports by relative path
    src::Source s_;
    uint64_t yaml_nodes_ = 0;  // counted by the pre-scan over all files (limits.hpp)
    bool fleet_ = false;  // loading a gateway view: `include` in its Gateway document is honoured
};

}  // namespace wg::policy::load
