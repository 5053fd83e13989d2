#include "cli/options.hpp"

namespace wg::opt {

namespace {
// Column where help text starts; longer left parts get two spaces instead.
constexpr size_t kHelpColumn = 24;
}  // namespace

Table& Table::add(Option o) {
    std::string left = "  ";
    for (size_t k = 0; k < o.names.size(); ++k) {
        // Long spelling first, short ones after it: "--help, -h".
        left += (k ? ", " : "") + o.names[k];
    }
    if (!o.metavar.empty()) left += " " + o.metavar;
    lines_.push_back({std::move(left), o.help});
    opts_.push_back(std::move(o));
    return *this;
}

Table& Table::section(std::string title) {
    lines_.push_back({"", std::move(title)});
    return *this;
}

Table& Table::note(std::string left, std::string help) {
    lines_.push_back({"  " + std::move(left), std::move(help)});
    return *this;
}

Table& Table::flag(std::vector<std::string> names, bool& dst, std::string help) {
    return add({std::move(names), "", std::move(help), [&dst](const std::string&) {
                    dst = true;
                    return std::optional<std::string>();
                }});
}

Table& Table::str(std::vector<std::string> names, std::string metavar, std::string& dst,
                  std::string help) {
    return add(
        {std::move(names), std::move(metavar), std::move(help), [&dst](const std::string& v) {
             dst = v;
             return std::optional<std::string>();
         }});
}

std::string Table::join_or(const std::vector<std::string>& words) {
    std::string s;
    for (size_t k = 0; k < words.size(); ++k) {
        if (k) s += k + 1 == words.size() ? " or " : ", ";
        s += words[k];
    }
    return s;
}

Table& Table::choice(std::vector<std::string> names, std::vector<std::string> words,
                     std::function<void(size_t)> pick, std::string help) {
    std::string shown = names.front();
    std::string meta;
    for (size_t k = 0; k < words.size(); ++k) meta += (k ? "|" : "") + words[k];
    return add({std::move(names), meta, std::move(help),
                [shown, words, pick](const std::string& v) -> std::optional<std::string> {
                    for (size_t k = 0; k < words.size(); ++k)
                        if (words[k] == v) {
                            pick(k);
                            return std::nullopt;
                        }
                    return shown + " must be " + join_or(words) + ", not '" + v + "'";
                }});
}

const Option* Table::find(std::string_view name) const {
    for (auto& o : opts_)
        for (auto& n : o.names)
            if (n == name) return &o;
    return nullptr;
}

bool Table::consume(const std::vector<std::string>& args, size_t& i,
                    std::optional<std::string>& err) const {
    const std::string& a = args[i];
    std::string_view name = a;
    std::optional<std::string> inline_value;
    if (a.starts_with("--")) {
        if (auto eq = a.find('='); eq != std::string::npos) {
            name = std::string_view(a).substr(0, eq);
            inline_value = a.substr(eq + 1);
        }
    }
    const Option* o = find(name);
    if (!o) return false;
    std::string value;
    if (o->metavar.empty()) {
        if (inline_value) {
            err = "option " + std::string(name) + " takes no value";
            ++i;
            return true;
        }
    } else if (inline_value) {
        value = *inline_value;
    } else if (i + 1 < args.size()) {
        value = args[++i];
    } else {
        err = "option " + a + " needs a value";
        ++i;
        return true;
    }
    err = o->set(value);
    ++i;
    return true;
}

std::optional<std::string> Table::parse(const std::vector<std::string>& args,
                                        std::vector<std::string>* positional, bool* help) const {
    for (size_t i = 0; i < args.size();) {
        std::optional<std::string> err;
        if (consume(args, i, err)) {
            if (err) return err;
            continue;
        }
        const std::string& a = args[i];
        if (help && (a == "--help" || a == "-h")) {
            *help = true;
        } else if (a.size() > 1 && a[0] == '-') {
            return "unknown option '" + a + "'";
        } else if (positional) {
            positional->push_back(a);
        } else {
            return "unexpected argument '" + a + "'";
        }
        ++i;
    }
    return std::nullopt;
}

std::optional<std::string> Table::parse(int argc, char** argv, std::vector<std::string>* positional,
                                        bool* help) const {
    std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    return parse(args, positional, help);
}

std::string Table::help() const {
    std::string s = usage_ + "\n";
    for (auto& l : lines_) {
        if (l.left.empty()) {
            s += l.help + "\n";
            continue;
        }
        s += l.left;
        size_t col = l.left.size();
        size_t start = 0;
        bool first = true;
        // Continuation lines of the help text are indented to the column.
        for (;;) {
            auto nl = l.help.find('\n', start);
            std::string part = l.help.substr(start, nl == std::string::npos ? nl : nl - start);
            if (first) {
                s += col + 2 <= kHelpColumn ? std::string(kHelpColumn - col, ' ') : "  ";
                first = false;
            } else {
                s += std::string(kHelpColumn, ' ');
            }
            s += part + "\n";
            if (nl == std::string::npos) break;
            start = nl + 1;
        }
    }
    return s;
}

}  // namespace wg::opt
