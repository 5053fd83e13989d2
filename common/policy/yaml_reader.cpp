#include "policy/yaml_reader.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <sstream>

#include "policy/limits.hpp"

namespace wg::policy::yaml {

SourceLoc FileCtx::loc(const YAML::Mark& m, const SourceLoc& fallback) const {
    // yaml-cpp marks are 0-based and some exceptions carry a null mark (-1).
    if (m.is_null() || m.line < 0) {
        SourceLoc l = fallback;
        l.file = file_;
        return l;
    }
    return {file_, static_cast<uint32_t>(m.line + 1), static_cast<uint32_t>(m.column + 1)};
}

SourceLoc FileCtx::loc(const YAML::Node& n, const SourceLoc& fallback) const {
    if (!n.IsDefined()) return loc(YAML::Mark::null_mark(), fallback);
    return loc(n.Mark(), fallback);
}

std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
    // Levenshtein distance; good enough for the handful of keys per object.
    auto dist = [](std::string_view a, std::string_view b) {
        std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
        for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
        for (size_t i = 1; i <= a.size(); ++i) {
            cur[0] = i;
            for (size_t j = 1; j <= b.size(); ++j)
                cur[j] = std::min(
                    {prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
            std::swap(prev, cur);
        }
        return prev[b.size()];
    };
    std::string best;
    size_t best_d = std::max<size_t>(2, word.size() / 3) + 1;
    for (const auto& c : candidates) {
        size_t d = dist(word, c);
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    return best;
}

namespace {

// Stops the event parser at the first alias or at a document that starts
// where the previous one did (the parser made no progress).
struct Stop {
    Prescan result;
};
class Scan : public YAML::EventHandler {
  public:
    explicit Scan(uint64_t max_nodes) : max_(max_nodes) {}
    void OnDocumentStart(const YAML::Mark& m) override {
        if (started_ && m.pos == last_.pos) throw Stop{{Prescan::Stuck, m, nodes_}};
        started_ = true;
        last_ = m;
    }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& m, YAML::anchor_t) override { node(m); }
    void OnAlias(const YAML::Mark& m, YAML::anchor_t) override {
        throw Stop{{Prescan::Alias, m, nodes_}};
    }
    void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                  const std::string&) override {
        node(m);
    }
    void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {
        node(m);
    }
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {
        node(m);
    }
    void OnMapEnd() override {}
    uint64_t nodes() const { return nodes_; }

  private:
    void node(const YAML::Mark& m) {
        if (++nodes_ > max_) throw Stop{{Prescan::TooLarge, m, nodes_}};
    }
    bool started_ = false;
    YAML::Mark last_;
    uint64_t nodes_ = 0, max_;
};

}  // namespace

Prescan prescan(const std::string& text, uint64_t max_nodes) {
    std::istringstream in(text);
    Scan scan(max_nodes);
    try {
        YAML::Parser parser(in);
        // Every document consumes at least one byte, so more documents than
        // bytes also means a parser that stopped making progress.
        for (size_t docs = 0; parser.HandleNextDocument(scan);)
            if (++docs > text.size() + 1)
                return {Prescan::Stuck, YAML::Mark::null_mark(), scan.nodes()};
    } catch (const Stop& s) {
        return s.result;
    } catch (const YAML::Exception&) {
        // Reported with its location by the real parse.
    }
    return {Prescan::Ok, YAML::Mark::null_mark(), scan.nodes()};
}

namespace {
const char* node_kind(const YAML::Node& n) {
    switch (n.Type()) {
        case YAML::NodeType::Map:
            return "a mapping";
        case YAML::NodeType::Sequence:
            return "a list";
        case YAML::NodeType::Scalar:
            return "a scalar";
        case YAML::NodeType::Null:
            return "empty";
        default:
            return "undefined";
    }
}
}  // namespace

Map::Map(FileCtx& ctx, const YAML::Node& node, std::string what,
         std::span<const std::string_view> allowed)
    : ctx_(ctx), node_(node), what_(std::move(what)) {
    if (!node.IsMap()) {
        ctx_.error(node, "bad-value",
                   what_ + " must be a mapping (key: value), found " + node_kind(node));
        return;
    }
    valid_ = true;
    std::vector<std::string> allowed_v(allowed.begin(), allowed.end());
    std::map<std::string, YAML::Mark> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
        const YAML::Node k = it->first;
        const YAML::Node v = it->second;
        if (!k.IsScalar()) {
            ctx_.error(k, "bad-value", "keys of " + what_ + " must be plain names");
            continue;
        }
        std::string key = k.Scalar();
        auto [pos, fresh] = seen.emplace(key, k.Mark());
        if (!fresh) {
            ctx_.error(k, "duplicate-key",
                       "duplicate key '" + key + "' in " + what_ + " (first defined at line " +
                           std::to_string(pos->second.line + 1) +
                           "); YAML keeps only one of them, remove or merge the other");
            continue;
        }
        if (std::find(allowed_v.begin(), allowed_v.end(), key) == allowed_v.end()) {
            std::string hint = closest(key, allowed_v);
            std::string list;
            for (auto& a : allowed_v) list += (list.empty() ? "" : ", ") + a;
            ctx_.error(k, "unknown-field",
                       "unknown field '" + key + "' in " + what_ +
                           (hint.empty() ? "" : "; did you mean '" + hint + "'?") +
                           " (allowed: " + list + ")");
            continue;
        }
        entries_.push_back({key, {k, v}});
    }
}

std::optional<YAML::Node> Map::get(std::string_view key) const {
    for (const auto& e : entries_)
        if (e.first == key) return e.second.second;
    return std::nullopt;
}

SourceLoc Map::key_loc(std::string_view key) const {
    for (const auto& e : entries_)
        if (e.first == key) return ctx_.loc(e.second.first);
    return loc();
}

std::optional<YAML::Node> Map::require(std::string_view key) const {
    auto v = get(key);
    if (!v && valid_)
        ctx_.error(loc(), "missing-field", what_ + " needs the field '" + std::string(key) + "'");
    return v;
}

std::optional<std::string> scalar(FileCtx& ctx, const YAML::Node& n, const std::string& what) {
    if (!n.IsScalar()) {
        ctx.error(n, "bad-value", what + " must be a single value, found " + node_kind(n));
        return std::nullopt;
    }
    if (!within_limit(ctx, n, what)) return std::nullopt;
    return n.Scalar();
}

bool within_limit(FileCtx& ctx, const YAML::Node& n, const std::string& what) {
    if (n.Scalar().size() <= limits::kMaxStringBytes) return true;
    ctx.error(n, "too-long", too_long(what, n.Scalar().size()));
    return false;
}

std::string too_long(const std::string& what, size_t bytes) {
    return what + " is " + std::to_string(bytes) + " bytes long, over the limit of " +
           std::to_string(limits::kMaxStringBytes) + " bytes per string";
}

std::optional<uint64_t> to_uint(FileCtx& ctx, const YAML::Node& n, const std::string& what,
                                uint64_t lo, uint64_t hi) {
    auto s = scalar(ctx, n, what);
    if (!s) return std::nullopt;
    uint64_t v = 0;
    bool ok = !s->empty() && s->size() <= 19;
    for (char c : *s) {
        if (c < '0' || c > '9') {
            ok = false;
            break;
        }
        v = v * 10 + uint64_t(c - '0');
    }
    if (!ok || v < lo || v > hi) {
        ctx.error(n, "bad-value",
                  what + " must be a whole number from " + std::to_string(lo) + " to " +
                      std::to_string(hi) + ", found '" + *s + "'");
        return std::nullopt;
    }
    return v;
}

std::optional<std::string> Map::str(std::string_view key, bool required) const {
    auto v = required ? require(key) : get(key);
    if (!v) return std::nullopt;
    auto s = scalar(ctx_, *v, "'" + std::string(key) + "' of " + what_);
    if (s && s->empty()) {
        ctx_.error(*v, "bad-value", "'" + std::string(key) + "' of " + what_ + " is empty");
        return std::nullopt;
    }
    return s;
}

std::optional<bool> Map::boolean(std::string_view key) const {
    auto v = get(key);
    if (!v) return std::nullopt;
    auto s = scalar(ctx_, *v, "'" + std::string(key) + "' of " + what_);
    if (!s) return std::nullopt;
    // Only the YAML 1.2 spellings: yes/no/on/off are YAML 1.1 booleans in
    // yaml-cpp and a frequent source of surprises.
    if (*s == "true") return true;
    if (*s == "false") return false;
    ctx_.error(
        *v, "bad-value",
        "'" + std::string(key) + "' of " + what_ + " must be true or false, found '" + *s + "'");
    return std::nullopt;
}

std::optional<uint64_t> Map::uint(std::string_view key, uint64_t lo, uint64_t hi) const {
    auto v = get(key);
    if (!v) return std::nullopt;
    return to_uint(ctx_, *v, "'" + std::string(key) + "' of " + what_, lo, hi);
}

std::optional<std::string> Map::choice(std::string_view key,
                                       std::span<const std::string_view> choices) const {
    auto s = str(key);
    if (!s) return std::nullopt;
    for (auto c : choices)
        if (*s == c) return s;
    std::string list;
    for (auto c : choices) list += (list.empty() ? "" : " | ") + std::string(c);
    ctx_.error(*get(key), "bad-value",
               "'" + std::string(key) + "' of " + what_ + " must be one of " + list + ", found '" +
                   *s + "'");
    return std::nullopt;
}

std::optional<std::vector<std::pair<std::string, SourceLoc>>> Map::str_list(
    std::string_view key) const {
    auto v = get(key);
    if (!v) return std::nullopt;
    std::vector<std::pair<std::string, SourceLoc>> out;
    std::string what = "'" + std::string(key) + "' of " + what_;
    if (v->IsScalar()) {
        if (!within_limit(ctx_, *v, what)) return std::nullopt;
        out.push_back({v->Scalar(), ctx_.loc(*v)});
        return out;
    }
    if (!v->IsSequence()) {
        ctx_.error(*v, "bad-value", what + " must be a value or a list of values");
        return std::nullopt;
    }
    bool ok = true;
    for (const auto& item : *v) {
        auto s = scalar(ctx_, item, "each entry of " + what);
        if (!s) {
            ok = false;
            continue;
        }
        out.push_back({*s, ctx_.loc(item)});
    }
    if (!ok) return std::nullopt;
    return out;
}

}  // namespace wg::policy::yaml
