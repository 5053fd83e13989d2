// Every flag spelling the control plane and the `wardgate` commands accepted
// before the shared option parser still parses (and shows in --help).
#include <catch2/catch.hpp>

#include <sstream>

#include "commands.hpp"
#include "options.hpp"

namespace {

wg::cp::Options cp_parse(std::vector<std::string> a, std::optional<std::string>& err) {
    a.insert(a.begin(), "wardgate-controlplane");
    std::vector<char*> argv;
    for (auto& s : a) argv.push_back(s.data());
    wg::cp::Options o;
    err = wg::cp::parse_options(int(argv.size()), argv.data(), o);
    return o;
}

struct Run {
    int rc;
    std::string out, err;
};
template <typename F>
Run run(F f, wg::cli::Args args) {
    std::ostringstream o, e;
    int rc = f(args, o, e);
    return {rc, o.str(), e.str()};
}

}  // namespace

TEST_CASE("controlplane: every old flag still parses", "[options]") {
    std::optional<std::string> err;
    auto o = cp_parse({"--dataplane",
                       "/tmp/dp.sock",
                       "--metrics",
                       "127.0.0.1:1",
                       "--poll-ms",
                       "5",
                       "--policy",
                       "/p",
                       "--state-dir",
                       "/s",
                       "--image-store",
                       "/i.img",
                       "--require-committed",
                       "--debounce-ms",
                       "6",
                       "--push-timeout-ms",
                       "7",
                       "--audit-log",
                       "/a.log",
                       "--audit-syslog",
                       "--audit-rate",
                       "2.5",
                       "--audit-burst",
                       "3",
                       "--audit-summary-s",
                       "8",
                       "--audit-poll-ms",
                       "9",
                       "--gateway-name",
                       "gw"},
                      err);
    INFO(err.value_or(""));
    REQUIRE_FALSE(err);
    CHECK(o.dataplane_socket == "/tmp/dp.sock");
    CHECK(o.metrics_addr == "127.0.0.1:1");
    CHECK(o.poll_ms == 5);
    CHECK(o.policy_dir == "/p");
    CHECK(o.state_dir == "/s");
    CHECK(o.image_store == "/i.img");
    CHECK(o.require_committed);
    CHECK(o.debounce_ms == 6);
    CHECK(o.push_timeout_ms == 7);
    CHECK(o.audit_file == "/a.log");
    CHECK(o.audit_syslog);
    CHECK(o.audit_rate == 2.5);
    CHECK(o.audit_burst == 3);
    CHECK(o.audit_summary_s == 8);
    CHECK(o.audit_poll_ms == 9);
    CHECK(o.gateway_name == "gw");
    for (const char* h : {"--help", "-h"}) {
        auto x = cp_parse({h}, err);
        CHECK_FALSE(err);
        CHECK(x.help);
    }
    cp_parse({"--poll-ms"}, err);
    CHECK(err == std::optional<std::string>("option --poll-ms needs a value"));
    cp_parse({"--audit-rate", "x"}, err);
    CHECK(err == std::optional<std::string>("option --audit-rate: 'x' is not a number"));
    cp_parse({"--nope"}, err);
    CHECK(err == std::optional<std::string>("unknown option '--nope'"));
    cp_parse({"--require-committed"}, err);
    CHECK(err == std::optional<std::string>("--require-committed needs --policy DIR"));
    const std::string help = wg::cp::usage();
    for (const char* f :
         {"--dataplane", "--metrics", "--poll-ms", "--policy", "--state-dir", "--image-store",
          "--require-committed", "--debounce-ms", "--push-timeout-ms", "--audit-log",
          "--audit-syslog", "--audit-rate", "--audit-burst", "--audit-summary-s", "--audit-poll-ms",
          "--gateway-name"})
        CHECK(help.find(std::string("  ") + f + " ") != std::string::npos);
}

TEST_CASE("controlplane: the fleet options and their cross-checks", "[options][fleet]") {
    std::optional<std::string> err;
    auto o =
        cp_parse({"--policy-git", "file:///srv/policy.git", "--policy-branch", "prod", "--gateway",
                  "icu", "--policy-fetch-s", "30", "--require-signed", "--allowed-signers",
                  "/etc/wardgate/allowed_signers", "--gpg-home", "/etc/wardgate/gnupg"},
                 err);
    INFO(err.value_or(""));
    REQUIRE_FALSE(err);
    CHECK(o.policy_git == "file:///srv/policy.git");
    CHECK(o.policy_branch == "prod");
    CHECK(o.gateway == "icu");
    CHECK(o.gateway_name == "icu");  // the audit/metrics name follows --gateway by default
    CHECK(o.policy_fetch_s == 30);
    CHECK(o.require_signed);
    CHECK(o.allowed_signers == "/etc/wardgate/allowed_signers");
    CHECK(o.gpg_home == "/etc/wardgate/gnupg");
    CHECK(cp_parse({"--policy-git", "u"}, err).policy_branch == "main");
    CHECK(err == std::optional<std::string>(
                     "--policy-git needs --gateway NAME (the fleet repository's gateway)"));
    cp_parse({"--policy-git", "u", "--gateway", "g", "--policy", "/p"}, err);
    CHECK(err == std::optional<std::string>("--policy-git and --policy exclude each other"));
    cp_parse({"--policy-git", "u", "--gateway", "g", "--policy-fetch-s", "0"}, err);
    CHECK(err == std::optional<std::string>("--policy-fetch-s must be > 0"));
    cp_parse({"--policy", "/p", "--require-signed", "--allowed-signers", "/a"}, err);
    CHECK(err == std::optional<std::string>("--require-signed needs --policy-git URL"));
    cp_parse({"--policy-git", "u", "--gateway", "g", "--require-signed"}, err);
    CHECK(err == std::optional<std::string>(
                     "--require-signed needs --allowed-signers FILE and/or --gpg-home DIR"));
    auto local = cp_parse({"--policy", "/repo", "--gateway", "or", "--gateway-name", "or-1"}, err);
    CHECK_FALSE(err);
    CHECK(local.gateway_name == "or-1");
    const std::string help = wg::cp::usage();
    for (const char* f : {"--gateway", "--policy-git", "--policy-branch", "--policy-fetch-s",
                          "--require-signed", "--allowed-signers", "--gpg-home"})
        CHECK(help.find(std::string("  ") + f + " ") != std::string::npos);
}

// Each command with each flag: the arguments are accepted (no usage error);
// what fails afterwards is the missing directory, socket or state.
TEST_CASE("wardgate commands: every old flag still parses", "[options]") {
    using namespace wg::cli;
    const std::string none = "/nonexistent-wardgate-test";
    struct Case {
        int (*cmd)(const Args&, std::ostream&, std::ostream&);
        Args args;
    };
    std::vector<Case> cases = {
        {lint, {none, "--format", "json"}},
        {lint, {none, "--format=text"}},
        {explain,
         {none,
          "--src",
          "198.18.0.1",
          "--dst",
          "198.18.0.2",
          "--proto",
          "tcp",
          "--sport",
          "1",
          "--dport",
          "2",
          "--vlan",
          "3",
          "--src-mac",
          "02:00:00:00:00:01",
          "--dst-mac",
          "02:00:00:00:00:02",
          "--arrival",
          "clinical",
          "--icmp-type",
          "8",
          "--format",
          "json"}},
        {explain,
         {none, "--src", "198.18.0.1", "--dst", "198.18.0.2", "--proto", "udp", "--payload=23 00"}},
        {explain,
         {none, "--src", "198.18.0.1", "--dst", "198.18.0.2", "--proto", "tcp", "--payload-file",
          "/dev/null"}},
        {diff, {none, none + "2", "--repo", none, "--format", "json"}},
        {compile, {none, "-o", none + "/x.img"}},
        {compile, {none, "--output", none + "/x.img", "--dump"}},
        {status, {"--socket", none + "/dp.sock", "--timeout", "1"}},
        {reload, {"--state-dir", none, "--timeout", "1"}},
    };
    for (auto& c : cases) {
        auto r = run(c.cmd, c.args);
        INFO(c.args[0] << " " << c.args[1] << ": " << r.err);
        CHECK(r.rc == kExitFindings);
        CHECK(r.err.find("unknown option") == std::string::npos);
    }
    for (auto cmd : {lint, explain, diff, compile, status, reload}) {
        auto r = run(cmd, {"--help"});
        CHECK(r.rc == kExitOk);
        CHECK(r.out.starts_with("usage: wardgate "));
    }
    auto bad = run(status, {"--timeout"});
    CHECK(bad.rc == kExitUsage);
    CHECK(bad.err.starts_with("wardgate status: option --timeout needs a value\n"));
    bad = run(reload, {"--timeout", "0"});
    CHECK(bad.rc == kExitUsage);
    CHECK(bad.err.starts_with("wardgate reload: --timeout must be 1-3600 seconds\n"));
    bad = run(explain, {none, "--frob"});
    CHECK(bad.rc == kExitUsage);
    CHECK(bad.err.starts_with("wardgate explain: unknown option '--frob'\n"));
}
