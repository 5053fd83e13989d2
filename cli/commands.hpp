// `wardgate` subcommands. Each returns the process exit status and writes to
// the given streams (so tests can run them in-process).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "cli/options.hpp"

namespace wg::cli {

using Args = std::vector<std::string>;

// Exit codes shared by the policy commands: 0 clean / allowed, 1 findings
// (errors, or a denied verdict for explain --exit-code), 2 unusable arguments.
inline constexpr int kExitOk = 0, kExitFindings = 1, kExitUsage = 2;

// Parses a command's arguments with its option table. "--help" prints the
// table's help to `out`; a bad argument prints "wardgate CMD: <error>" and the
// help to `err`. Returns the exit status to return now, or -1 to go on.
inline int parse_args(const opt::Table& t, const char* cmd, const Args& args,
                      std::vector<std::string>* positional, std::ostream& out, std::ostream& err) {
    bool help = false;
    if (auto e = t.parse(args, positional, &help)) {
        err << "wardgate " << cmd << ": " << *e << "\n" << t.help();
        return kExitUsage;
    }
    if (help) {
        out << t.help();
        return kExitOk;
    }
    return -1;
}

// --timeout S, shared by status and reload.
inline void add_timeout_option(opt::Table& t, int& timeout, const char* help) {
    t.add(
        {{"--timeout"}, "S", help, [&timeout](const std::string& v) -> std::optional<std::string> {
             if (!opt::Table::parse_number(v, timeout) || timeout <= 0 || timeout > 3600)
                 return std::string("--timeout must be 1-3600 seconds");
             return std::nullopt;
         }});
}

int lint(const Args& args, std::ostream& out, std::ostream& err);
int explain(const Args& args, std::ostream& out, std::ostream& err);
int diff(const Args& args, std::ostream& out, std::ostream& err);
int compile(const Args& args, std::ostream& out, std::ostream& err);
int status(const Args& args, std::ostream& out, std::ostream& err);
int reload(const Args& args, std::ostream& out, std::ostream& err);
int replay(const Args& args, std::ostream& out, std::ostream& err);
int learn(const Args& args, std::ostream& out, std::ostream& err);

}  // namespace wg::cli
