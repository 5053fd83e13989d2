// wardgate: operator tooling for the policy (lint, explain, diff, compile)
// and the running gateway (status, reload).
#include <iostream>
#include <string>

#include "commands.hpp"

namespace {

const char* kUsage =
    "usage: wardgate <command> [args]\n"
    "  lint DIR [--format text|json]      validate a policy directory\n"
    "  explain DIR --src A --dst B --proto P [--sport S] [--dport D] [--vlan V]\n"
    "          [--src-mac M] [--dst-mac M] [--arrival clinical|core] [--icmp-type T]\n"
    "          [--format text|json]         how the policy decides one flow\n"
    "  diff A B [--repo DIR] [--format text|json]\n"
    "                                     permission changes between two policy dirs or\n"
    "                                     two git revisions of the policy dir\n"
    "  compile DIR (-o FILE | --dump)      write the compiled image / print its tables\n"
    "  status [--socket PATH]              ask the dataplane for status and stats\n"
    "  reload [--state-dir DIR] [--timeout S]\n"
    "                                     ask the control plane to reload the policy\n";

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << kUsage;
        return wg::cli::kExitUsage;
    }
    std::string cmd = argv[1];
    wg::cli::Args args(argv + 2, argv + argc);
    try {
        if (cmd == "lint") return wg::cli::lint(args, std::cout, std::cerr);
        if (cmd == "explain") return wg::cli::explain(args, std::cout, std::cerr);
        if (cmd == "diff") return wg::cli::diff(args, std::cout, std::cerr);
        if (cmd == "compile") return wg::cli::compile(args, std::cout, std::cerr);
        if (cmd == "status") return wg::cli::status(args, std::cout, std::cerr);
        if (cmd == "reload") return wg::cli::reload(args, std::cout, std::cerr);
        if (cmd == "-h" || cmd == "--help" || cmd == "help") {
            std::cout << kUsage;
            return 0;
        }
    } catch (const std::exception& e) {
        std::cerr << "wardgate " << cmd << ": " << e.what() << "\n";
        return wg::cli::kExitFindings;
    }
    std::cerr << "wardgate: unknown command '" << cmd << "'\n" << kUsage;
    return wg::cli::kExitUsage;
}
