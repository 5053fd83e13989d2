// Strict reading of YAML nodes for the policy loader. yaml-cpp 0.7 accepts
// duplicate keys silently, reports 0-based marks, turns yes/no/on/off into
// booleans and never reports unknown keys; everything here exists to close
// those gaps so each mistake becomes a located, actionable diagnostic.
// Nodes are only ever read through const references (operator[] on a
// non-const node would insert).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "policy/diagnostics.hpp"

namespace wg::policy::yaml {

// Collects diagnostics for one file.
class FileCtx {
  public:
    FileCtx(std::string file, std::vector<Diagnostic>& out) : file_(std::move(file)), out_(out) {}
    const std::string& file() const { return file_; }
    SourceLoc loc(const YAML::Node& n, const SourceLoc& fallback = {}) const;
    SourceLoc loc(const YAML::Mark& m, const SourceLoc& fallback = {}) const;
    void error(const SourceLoc& at, std::string code, std::string msg) {
        report(out_, {Severity::Error, std::move(code), at, std::move(msg)});
    }
    void warning(const SourceLoc& at, std::string code, std::string msg) {
        report(out_, {Severity::Warning, std::move(code), at, std::move(msg)});
    }
    void error(const YAML::Node& n, std::string code, std::string msg) {
        error(loc(n), std::move(code), std::move(msg));
    }

  private:
    std::string file_;
    std::vector<Diagnostic>& out_;
};

// A mapping checked against its allowed keys: duplicates and unknown keys are
// reported once, at construction. `what` names the object in messages
// ("device class 'infusion-pump'", "rule 'to-ntp'").
class Map {
  public:
    Map(FileCtx& ctx, const YAML::Node& node, std::string what,
        std::span<const std::string_view> allowed);
    Map(FileCtx& ctx, const YAML::Node& node, std::string what,
        std::initializer_list<std::string_view> allowed)
        : Map(ctx, node, std::move(what), std::span(allowed.begin(), allowed.size())) {}
    bool valid() const { return valid_; }
    const YAML::Node& node() const { return node_; }
    SourceLoc loc() const { return ctx_.loc(node_); }
    const std::string& what() const { return what_; }
    // The value of `key` if present (never inserts).
    std::optional<YAML::Node> get(std::string_view key) const;
    // Same, but reports `missing-field` when absent.
    std::optional<YAML::Node> require(std::string_view key) const;
    bool has(std::string_view key) const { return get(key).has_value(); }
    SourceLoc key_loc(std::string_view key) const;

    // Typed getters: report `bad-value` and return nullopt on a wrong type.
    std::optional<std::string> str(std::string_view key, bool required = false) const;
    std::optional<bool> boolean(std::string_view key) const;
    std::optional<uint64_t> uint(std::string_view key, uint64_t lo, uint64_t hi) const;
    // One of `choices`; the message lists them.
    std::optional<std::string> choice(std::string_view key,
                                      std::span<const std::string_view> choices) const;
    std::optional<std::string> choice(std::string_view key,
                                      std::initializer_list<std::string_view> choices) const {
        return choice(key, std::span(choices.begin(), choices.size()));
    }
    // A string or a list of strings.
    std::optional<std::vector<std::pair<std::string, SourceLoc>>> str_list(
        std::string_view key) const;

  private:
    FileCtx& ctx_;
    YAML::Node node_;
    std::string what_;
    bool valid_ = false;
    std::vector<std::pair<std::string, std::pair<YAML::Node, YAML::Node>>> entries_;
};

// Scalar helpers usable on any node.
std::optional<std::string> scalar(FileCtx& ctx, const YAML::Node& n, const std::string& what);
// False (and a `too-long` error) when a scalar exceeds limits::kMaxStringBytes.
bool within_limit(FileCtx& ctx, const YAML::Node& n, const std::string& what);
std::string too_long(const std::string& what, size_t bytes);
std::optional<uint64_t> to_uint(FileCtx& ctx, const YAML::Node& n, const std::string& what,
                                uint64_t lo, uint64_t hi);

// What must stop a policy file before yaml-cpp builds its nodes, found by
// one pass of the event parser (nothing is built, no node memory):
// - Alias: the first YAML alias (`*name`, also a merge key `<<: *name`).
//   An alias repeats the anchored node wherever it is written, so a few
//   bytes of aliases stand for any number of rules, addresses or ports (N
//   aliases of a node of size S cost the loader N x S, aliases of aliases
//   multiply); a reviewer would not see them written out either.
// - Stuck: yaml-cpp 0.7 (Debian 12) does not consume a ',' where a document
//   starts (",", "[a], b"), so YAML::LoadAll appends empty documents forever:
//   2 bytes took all memory (upstream jbeder/yaml-cpp#1040, fixed after 0.8
//   by #1319). Seen as a document starting where the previous one did.
// A syntax error is left for YAML::LoadAll to report.
// - TooLarge: more than `max_nodes` nodes (limits.hpp kMaxYamlNodes*):
//   counted by the event parser, which builds nothing, so the real parse
//   never starts on such a file.
struct Prescan {
    enum Kind { Ok, Alias, Stuck, TooLarge } kind = Ok;
    YAML::Mark mark;     // of the alias, the token the parser is stuck on, or the node past the cap
    uint64_t nodes = 0;  // counted (on Ok: all of the file's)
};
Prescan prescan(const std::string& text, uint64_t max_nodes);

// The closest of `candidates` to `word`, for "did you mean" hints; "" if none is close.
std::string closest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace wg::policy::yaml
