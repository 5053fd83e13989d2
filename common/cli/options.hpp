// One table-driven command-line parser for every wardgate program (dataplane,
// control plane, CLI commands). Each option is declared once — its spellings,
// whether it takes a value, what to do with it, and its help text — so the
// parser and the `--help` text cannot drift apart, and every program gives the
// same one-line errors:
//   option --burst needs a value
//   option --burst: 'x' is not a number
//   unknown option '--frobnicate'
//   --overload-action must be shed, pass or class, not 'x'
#pragma once

#include <charconv>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wg::opt {

// Handler for an option's value ("" for a flag); returns an error message.
using Handler = std::function<std::optional<std::string>(const std::string& value)>;

struct Option {
    std::vector<std::string> names;  // spellings, first is the one shown ("--output", "-o")
    std::string metavar;             // "" = a flag without a value
    std::string help;                // may hold '\n' for continuation lines
    Handler set;
};

class Table {
  public:
    explicit Table(std::string usage_line) : usage_(std::move(usage_line)) {}

    // The general form; the helpers below cover the usual kinds.
    Table& add(Option o);
    // A heading line in the help text before the options that follow.
    Table& section(std::string title);
    // Help text only (e.g. "--rx-desc N --tx-desc N" described together).
    Table& note(std::string left, std::string help);

    Table& flag(std::vector<std::string> names, bool& dst, std::string help);
    Table& str(std::vector<std::string> names, std::string metavar, std::string& dst,
               std::string help);
    // Unsigned/signed integers and doubles; the whole value must be a number.
    template <typename T>
    Table& num(std::vector<std::string> names, std::string metavar, T& dst, std::string help) {
        std::string shown = names.front();
        return add({std::move(names), std::move(metavar), std::move(help),
                    [&dst, shown](const std::string& v) -> std::optional<std::string> {
                        if (!parse_number(v, dst))
                            return "option " + shown + ": '" + v + "' is not a number";
                        return std::nullopt;
                    }});
    }
    // One of a fixed set of words; `pick` gets the index of the word given.
    Table& choice(std::vector<std::string> names, std::vector<std::string> words,
                  std::function<void(size_t)> pick, std::string help);

    // Consumes args[i] (and its value; `--name=value` too) if it is one of
    // ours: returns true and advances i past it, setting err on a bad value.
    bool consume(const std::vector<std::string>& args, size_t& i,
                 std::optional<std::string>& err) const;

    // Parses every argument. Non-option arguments go to `positional` when it
    // is given, else they are an error. "-h"/"--help" set *help if given.
    std::optional<std::string> parse(const std::vector<std::string>& args,
                                     std::vector<std::string>* positional = nullptr,
                                     bool* help = nullptr) const;
    std::optional<std::string> parse(int argc, char** argv,
                                     std::vector<std::string>* positional = nullptr,
                                     bool* help = nullptr) const;

    // The usage line, then one line per option (aligned), headings and notes
    // where they were declared.
    std::string help() const;
    const std::string& usage() const { return usage_; }

    // "a, b or c"
    static std::string join_or(const std::vector<std::string>& words);

    template <typename T>
    static bool parse_number(const std::string& s, T& v) {
        if (s.empty()) return false;
        T tmp{};
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), tmp);
        if (ec != std::errc() || p != s.data() + s.size()) return false;
        v = tmp;
        return true;
    }

  private:
    struct Line {
        std::string left, help;  // an option or a note; left empty = a heading
    };
    const Option* find(std::string_view name) const;

    std::string usage_;
    std::vector<Option> opts_;
    std::vector<Line> lines_;
};

}  // namespace wg::opt
