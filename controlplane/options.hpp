// wardgate-controlplane command line.
#pragma once

#include <optional>
#include <string>

#include "cli/options.hpp"
#include "contract/paths.hpp"

namespace wg::cp {

struct Options {
    std::string dataplane_socket = contract::kDataplaneSocket;
    std::string metrics_addr = contract::kMetricsListen;
    unsigned poll_ms = 1000;
    std::string policy_dir;  // "" = metrics only, no policy management
    std::string state_dir = contract::kStateDir;
    std::string image_store = contract::kImageStore;
    bool require_committed = false;
    unsigned debounce_ms = 300;
    unsigned push_timeout_ms = 30000;
    std::string audit_file;  // "" = no file
    bool audit_syslog = false;
    double audit_rate = 10;  // lines per second per source
    double audit_burst = 20;
    unsigned audit_summary_s = 10;
    unsigned audit_poll_ms = 250;
    std::string gateway_name;  // "" = hostname
    bool log_syslog = false;   // log lines to syslog too (besides stderr)
    // Fleet (docs/fleet.md): compile gateway `gateway` of a fleet repository,
    // from --policy DIR or from a git remote followed into the state dir.
    std::string gateway;
    std::string policy_git;  // URL ("" = no remote)
    std::string policy_branch = "main";
    unsigned policy_fetch_s = 60;
    bool require_signed = false;
    std::string allowed_signers;  // SSH allowed-signers file
    std::string gpg_home;         // GnuPG home holding the allowed OpenPGP keys
    // Staged policy (issue 13 part 3, docs/policy-lifecycle.md): a second
    // directory, or a branch of --policy's git repository, evaluated by the
    // dataplane next to the enforced policy for new flows.
    std::string staged_policy_dir;
    std::string staged_policy_branch;
    bool help = false;
};

std::optional<std::string> parse_options(int argc, char** argv, Options& o);
// The --help text, generated from the option table.
std::string usage();
// Declares every option (parsing and help text) bound to `o`.
void add_options(opt::Table& t, Options& o);

// True if ADDR:PORT binds to a loopback address (127.0.0.0/8, [::1], localhost).
bool is_loopback_listen(const std::string& addr);

}  // namespace wg::cp
