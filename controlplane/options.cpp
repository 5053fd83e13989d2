#include "options.hpp"

namespace wg::cp {

void add_options(opt::Table& t, Options& o) {
    t.str({"--dataplane"}, "SOCKET", o.dataplane_socket,
          "dataplane management socket (default " + o.dataplane_socket + ")");
    t.str({"--metrics"}, "ADDR:PORT", o.metrics_addr,
          "Prometheus listener (default " + o.metrics_addr + ", loopback)");
    t.num({"--poll-ms"}, "N", o.poll_ms, "stats poll interval (default 1000)");
    t.str({"--policy"}, "DIR", o.policy_dir,
          "policy directory (a git checkout) to compile, push and watch");
    t.str({"--state-dir"}, "DIR", o.state_dir,
          "pid and state files for `wardgate reload` (default " + o.state_dir + ")");
    t.str(
        {"--image-store"}, "FILE", o.image_store,
        "last good image, read by the dataplane's --policy-image\n(default " + o.image_store + ")");
    t.flag({"--require-committed"}, o.require_committed,
           "refuse a policy tree with uncommitted changes");
    t.num({"--debounce-ms"}, "N", o.debounce_ms,
          "quiet time before a changed tree is reloaded (default 300)");
    t.num({"--push-timeout-ms"}, "N", o.push_timeout_ms,
          "wait this long for the dataplane's acknowledgement (default 30000)");
    t.str({"--audit-log"}, "FILE", o.audit_file,
          "JSON-lines audit log of denied / would-deny events (SIGUSR1\nreopens)");
    t.flag({"--audit-syslog"}, o.audit_syslog, "also send audit lines to syslog (facility auth)");
    t.num({"--audit-rate"}, "N", o.audit_rate,
          "audit lines per second per source address (default 10)");
    t.num({"--audit-burst"}, "N", o.audit_burst, "audit burst per source address (default 20)");
    t.num({"--audit-summary-s"}, "N", o.audit_summary_s,
          "interval of \"N more suppressed\" summaries (default 10)");
    t.num({"--audit-poll-ms"}, "N", o.audit_poll_ms, "audit drain interval (default 250)");
    t.str({"--gateway-name"}, "NAME", o.gateway_name,
          "\"gateway\" field of audit lines (default: hostname)");
    t.flag({"--log-syslog"}, o.log_syslog,
           "also send log lines to syslog (facility daemon; stderr\nalways)");
    t.str({"--gateway"}, "NAME", o.gateway,
          "compile gateway NAME of a fleet repository (gateways/NAME/);\nalso the "
          "wardgate_gateway_info name and the audit \"gateway\"");
    t.str({"--policy-git"}, "URL", o.policy_git,
          "follow this git remote (file, https, ssh) instead of --policy:\nfetched into "
          "STATE-DIR/policy-git, fast-forward only");
    t.str({"--policy-branch"}, "BRANCH", o.policy_branch,
          "branch of --policy-git to follow (default main)");
    t.num({"--policy-fetch-s"}, "N", o.policy_fetch_s,
          "fetch interval in seconds (default 60; SIGHUP fetches now)");
    t.flag({"--require-signed"}, o.require_signed,
           "apply only revisions signed by an allowed key (git verify-commit)");
    t.str({"--allowed-signers"}, "FILE", o.allowed_signers,
          "SSH allowed-signers file (gpg.ssh.allowedSignersFile) for\n--require-signed");
    t.str({"--gpg-home"}, "DIR", o.gpg_home,
          "GnuPG home whose keyring holds the allowed OpenPGP keys");
    t.str({"--staged-policy-dir"}, "DIR", o.staged_policy_dir,
          "staged policy directory: judged next to the enforced policy for\nnew flows, "
          "differences counted (never enforced)");
    t.str({"--staged-policy-branch"}, "BRANCH", o.staged_policy_branch,
          "stage this branch of --policy's git repository (promote it by\nmerging it)");
    t.flag({"--help", "-h"}, o.help, "this text");
}

std::string usage() {
    Options scratch;
    opt::Table t("usage: wardgate-controlplane [options]");
    add_options(t, scratch);
    return t.help();
}

std::optional<std::string> parse_options(int argc, char** argv, Options& o) {
    opt::Table t("");
    add_options(t, o);
    if (auto e = t.parse(argc, argv)) return e;
    if (o.help) return std::nullopt;
    if (o.poll_ms == 0 || o.audit_poll_ms == 0) return std::string("poll intervals must be > 0");
    if (o.audit_rate <= 0 || o.audit_burst < 1)
        return std::string("--audit-rate must be > 0 and --audit-burst >= 1");
    if (o.audit_summary_s == 0) return std::string("--audit-summary-s must be > 0");
    if (o.require_committed && o.policy_dir.empty())
        return std::string("--require-committed needs --policy DIR");
    if (!o.policy_git.empty()) {
        if (!o.policy_dir.empty())
            return std::string("--policy-git and --policy exclude each other");
        if (o.gateway.empty())
            return std::string(
                "--policy-git needs --gateway NAME (the fleet repository's gateway)");
        if (o.policy_fetch_s == 0) return std::string("--policy-fetch-s must be > 0");
    }
    if (o.require_signed && o.policy_git.empty())
        return std::string("--require-signed needs --policy-git URL");
    if (o.require_signed && o.allowed_signers.empty() && o.gpg_home.empty())
        return std::string("--require-signed needs --allowed-signers FILE and/or --gpg-home DIR");
    if (!o.staged_policy_dir.empty() && !o.staged_policy_branch.empty())
        return std::string("--staged-policy-dir and --staged-policy-branch exclude each other");
    if (!o.staged_policy_branch.empty() && o.policy_dir.empty())
        return std::string("--staged-policy-branch needs --policy DIR (a git checkout)");
    if (o.gateway_name.empty()) o.gateway_name = o.gateway;
    if (o.metrics_addr.find(':') == std::string::npos)
        return std::string("--metrics wants ADDR:PORT");
    return std::nullopt;
}

bool is_loopback_listen(const std::string& addr) {
    auto colon = addr.rfind(':');
    std::string host = colon == std::string::npos ? addr : addr.substr(0, colon);
    if (host == "localhost" || host == "[::1]" || host == "::1") return true;
    return host.rfind("127.", 0) == 0;
}

}  // namespace wg::cp
