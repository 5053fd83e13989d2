// wardgate: operator tooling for the policy (lint, explain, diff, compile)
// and the running gateway (status, reload).
#include <iostream>
#include <string>

#include "commands.hpp"

namespace {

// One row per command; each command's own options and --help text live in
// its option table (`wardgate <command> --help`).
struct Command {
    const char* name;
    int (*run)(const wg::cli::Args&, std::ostream&, std::ostream&);
    const char* synopsis;
};

const Command kCommands[] = {
    {"lint", wg::cli::lint,
     "lint DIR [--format text|json]      validate a policy directory\n"
     "  lint --all REPO                    ... every gateway of a fleet repository"},
    {"explain", wg::cli::explain,
     "explain DIR --src A --dst B --proto P [options]\n"
     "                                     how the policy decides one flow"},
    {"diff", wg::cli::diff,
     "diff A B [--repo DIR] [--format text|json] [--gateway NAME]\n"
     "                                     permission changes between two policy dirs or\n"
     "                                     two git revisions of the policy dir (or, for a\n"
     "                                     fleet repository, which gateways change)"},
    {"compile", wg::cli::compile,
     "compile DIR (-o FILE | --dump)      write the compiled image / print its tables"},
    {"status", wg::cli::status,
     "status [--socket PATH] [--timeout S]\n"
     "                                     ask the dataplane for status and stats"},
    {"reload", wg::cli::reload,
     "reload [--state-dir DIR] [--timeout S]\n"
     "                                     ask the control plane to reload the policy"},
    {"replay", wg::cli::replay,
     "replay --policy DIR [--against DIR2] CAPTURE\n"
     "                                     what a policy would do to captured traffic"},
    {"learn", wg::cli::learn,
     "learn --policy DIR (--pcap F | --audit F | --live STATE)... --out OUT\n"
     "                                     propose rules from observed traffic"},
};

std::string usage() {
    std::string s =
        "usage: wardgate <command> [args]   (wardgate <command> --help for its options)\n";
    for (auto& c : kCommands) s += std::string("  ") + c.synopsis + "\n";
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << usage();
        return wg::cli::kExitUsage;
    }
    std::string cmd = argv[1];
    wg::cli::Args args(argv + 2, argv + argc);
    if (cmd == "-h" || cmd == "--help" || cmd == "help") {
        std::cout << usage();
        return 0;
    }
    for (auto& c : kCommands) {
        if (cmd != c.name) continue;
        try {
            return c.run(args, std::cout, std::cerr);
        } catch (const std::exception& e) {
            std::cerr << "wardgate " << cmd << ": " << e.what() << "\n";
            return wg::cli::kExitFindings;
        }
    }
    std::cerr << "wardgate: unknown command '" << cmd << "'\n" << usage();
    return wg::cli::kExitUsage;
}
