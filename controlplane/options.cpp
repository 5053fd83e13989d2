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
