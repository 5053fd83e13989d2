// `wardgate` subcommands. Each returns the process exit status and writes to
// the given streams (so tests can run them in-process).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace wg::cli {

using Args = std::vector<std::string>;

// Exit codes shared by the policy commands: 0 clean / allowed, 1 findings
// (errors, or a denied verdict for explain --exit-code), 2 unusable arguments.
inline constexpr int kExitOk = 0, kExitFindings = 1, kExitUsage = 2;

int lint(const Args& args, std::ostream& out, std::ostream& err);
int explain(const Args& args, std::ostream& out, std::ostream& err);
int diff(const Args& args, std::ostream& out, std::ostream& err);
int compile(const Args& args, std::ostream& out, std::ostream& err);
int status(const Args& args, std::ostream& out, std::ostream& err);
int reload(const Args& args, std::ostream& out, std::ostream& err);

}  // namespace wg::cli
