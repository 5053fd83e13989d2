#include "options.hpp"

#include <charconv>
#include <cstring>

namespace wg::cp {

const char* kUsage =
    "usage: wardgate-controlplane [options]\n"
    "  --dataplane SOCKET     dataplane management socket (default /run/wardgate/dataplane.sock)\n"
    "  --metrics ADDR:PORT    Prometheus listener (default 127.0.0.1:9470, loopback)\n"
    "  --poll-ms N            stats poll interval (default 1000)\n"
    "  --policy DIR           policy directory (a git checkout) to compile, push and watch\n"
    "  --state-dir DIR        pid and state files for `wardgate reload` (default /run/wardgate)\n"
    "  --image-store FILE     last good image, read by the dataplane's --policy-image\n"
    "                         (default /var/lib/wardgate/policy.img)\n"
    "  --require-committed    refuse a policy tree with uncommitted changes\n"
    "  --debounce-ms N        quiet time before a changed tree is reloaded (default 300)\n"
    "  --push-timeout-ms N    wait this long for the dataplane's acknowledgement (default 30000)\n"
    "  --audit-log FILE       JSON-lines audit log of denied / would-deny events (SIGUSR1 "
    "reopens)\n"
    "  --audit-syslog         also send audit lines to syslog (facility auth)\n"
    "  --audit-rate N         audit lines per second per source address (default 10)\n"
    "  --audit-burst N        audit burst per source address (default 20)\n"
    "  --audit-summary-s N    interval of \"N more suppressed\" summaries (default 10)\n"
    "  --audit-poll-ms N      audit drain interval (default 250)\n"
    "  --gateway-name NAME    \"gateway\" field of audit lines (default: hostname)\n";

namespace {
template <typename T>
bool to_num(const char* s, T& v) {
    auto end = s + std::strlen(s);
    auto [p, ec] = std::from_chars(s, end, v);
    return ec == std::errc() && p == end;
}
}  // namespace

std::optional<std::string> parse_options(int argc, char** argv, Options& o) {
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto str = [&](std::string& dst) -> std::optional<std::string> {
            if (i + 1 >= argc) return "option " + a + " needs a value";
            dst = argv[++i];
            return std::nullopt;
        };
        auto num = [&](auto& dst) -> std::optional<std::string> {
            if (i + 1 >= argc) return "option " + a + " needs a value";
            const char* v = argv[++i];
            if (!to_num(v, dst)) return "option " + a + ": '" + v + "' is not a number";
            return std::nullopt;
        };
        std::optional<std::string> err;
        if (a == "--dataplane")
            err = str(o.dataplane_socket);
        else if (a == "--metrics")
            err = str(o.metrics_addr);
        else if (a == "--poll-ms")
            err = num(o.poll_ms);
        else if (a == "--policy")
            err = str(o.policy_dir);
        else if (a == "--state-dir")
            err = str(o.state_dir);
        else if (a == "--image-store")
            err = str(o.image_store);
        else if (a == "--require-committed")
            o.require_committed = true;
        else if (a == "--debounce-ms")
            err = num(o.debounce_ms);
        else if (a == "--push-timeout-ms")
            err = num(o.push_timeout_ms);
        else if (a == "--audit-log")
            err = str(o.audit_file);
        else if (a == "--audit-syslog")
            o.audit_syslog = true;
        else if (a == "--audit-rate")
            err = num(o.audit_rate);
        else if (a == "--audit-burst")
            err = num(o.audit_burst);
        else if (a == "--audit-summary-s")
            err = num(o.audit_summary_s);
        else if (a == "--audit-poll-ms")
            err = num(o.audit_poll_ms);
        else if (a == "--gateway-name")
            err = str(o.gateway_name);
        else if (a == "--help" || a == "-h")
            o.help = true;
        else
            err = "unknown option '" + a + "'";
        if (err) return err;
    }
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
