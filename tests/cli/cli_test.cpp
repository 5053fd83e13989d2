// The wardgate CLI, run in-process: lint exit codes and JSON, diff of two
// directories, and the operational commands against a fake dataplane socket
// and a fake control plane (this process, answering SIGHUP).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "commands.hpp"
#include "mgmt/frame.hpp"
#include "mgmt/messages.hpp"
#include "policy/git.hpp"
#include "sys/process_identity.hpp"
#include "test_util.hpp"

using wg::cli::Args;

namespace {

struct Run {
    int rc;
    std::string out, err;
};

template <typename F>
Run run(F f, Args args) {
    std::ostringstream o, e;
    int rc = f(args, o, e);
    return {rc, o.str(), e.str()};
}

}  // namespace

TEST_CASE("lint: exit codes and the JSON report", "[cli]") {
    auto ok = run(wg::cli::lint, {wg::test::example_policy().string()});
    CHECK(ok.rc == 0);
    CHECK(ok.out.find(": ok (") != std::string::npos);

    wg::test::ScratchDir d;
    wg::test::write_minimal_policy(d);
    d.write("bad.yaml",
            "kind: DeviceClass\nname: cart\nmode: enforce\ndefault_action: deny\negress:\n"
            "  - name: x\n    to: {class: nope}\n    proto: tcp\n    ports: [99999]\n");
    auto bad = run(wg::cli::lint, {d.path().string(), "--format", "json"});
    CHECK(bad.rc == 1);
    auto j = nlohmann::json::parse(bad.out);
    CHECK(j["ok"] == false);
    CHECK(j["errors"] == 2);
    REQUIRE(j["diagnostics"].size() == 2);
    CHECK(j["diagnostics"][0]["file"] == "bad.yaml");
    CHECK(j["diagnostics"][0]["line"] == 7);
    CHECK(j["diagnostics"][0]["code"] == "unknown-class");
    CHECK(j["diagnostics"][1]["code"] == "bad-port");

    CHECK(run(wg::cli::lint, {}).rc == 2);
    CHECK(run(wg::cli::lint, {"a", "b"}).rc == 2);
    CHECK(run(wg::cli::lint, {"a", "--format", "xml"}).rc == 2);
    CHECK(run(wg::cli::lint, {"a", "--frobnicate"}).rc == 2);
}

TEST_CASE("explain: usage errors are exit 2", "[cli]") {
    auto dir = wg::test::example_policy().string();
    CHECK(run(wg::cli::explain, {dir, "--src", "198.18.120.41"}).rc == 2);
    CHECK(run(wg::cli::explain, {dir, "--src", "1.2.3", "--dst", "1.2.3.4", "--proto", "tcp"}).rc ==
          2);
    CHECK(run(wg::cli::explain, {dir, "--src", "198.18.120.41", "--dst", "::1", "--proto", "tcp"})
              .rc == 2);
    CHECK(run(wg::cli::explain, {dir, "--src", "198.18.120.41", "--dst", "198.19.0.1", "--proto",
                                 "icmp", "--dport", "80"})
              .rc == 2);
    auto r = run(wg::cli::explain,
                 {dir, "--src", "198.18.120.41", "--dst", "198.19.10.10", "--proto", "tcp",
                  "--dport", "443", "--vlan", "120", "--src-mac", "00:09:fb:10:04:12"});
    CHECK(r.rc == 0);
    CHECK(r.out.find("=> allow by tier class-allow, infusion-pump/to-pump-mgmt "
                     "(classes/infusion-pump.yaml:") != std::string::npos);
    CHECK(r.out.find("by mac+ip binding from asset BIO-00412 (assets/icu-asset-export.csv:2:1)") !=
          std::string::npos);
}

TEST_CASE("diff: rules and devices whose permissions changed", "[cli]") {
    wg::test::ScratchDir a, b;
    wg::test::write_minimal_policy(a);
    wg::test::write_minimal_policy(b);
    b.write("classes.yaml",
            wg::test::replaced(wg::test::kMinimalClasses, "ports: [443]", "ports: [443, 8443]"));
    b.write("inventory.yaml", R"(kind: Inventory
hosts:
  - {asset_id: P1, mac: "00:09:fb:00:00:01", ip: 198.18.1.1, class: pump, zone: ICU, bind_mac_ip: true}
  - {asset_id: P2, ip: 198.18.1.2, class: pump}
)");
    auto r = run(wg::cli::diff, {a.path().string(), b.path().string(), "--format", "json"});
    REQUIRE(r.rc == 0);
    auto j = nlohmann::json::parse(r.out);
    REQUIRE(j["rules"].size() == 1);
    CHECK(j["rules"][0]["change"] == "changed");
    CHECK(j["rules"][0]["name"] == "pump/to-server");
    std::map<std::string, std::string> dev;
    for (auto& x : j["devices"]) dev[x["name"]] = x["change"];
    CHECK(dev["P1"] == "changed");  // its class's rule changed
    CHECK(dev["P2"] == "added");
    CHECK(dev["S1"] == "removed");  // retired from the inventory: now unknown
    auto same = run(wg::cli::diff, {a.path().string(), a.path().string()});
    CHECK(same.rc == 0);
    CHECK(same.out.find("no permission changes") != std::string::npos);
    CHECK(run(wg::cli::diff, {a.path().string()}).rc == 2);
}

namespace {

std::atomic<bool> g_hup{false};
extern "C" void on_hup(int) {
    g_hup = true;
}

}  // namespace

// The identity fields a control plane records about itself in its state file.
std::string identity_of(pid_t pid) {
    auto id = wg::sys::process_identity(pid);
    REQUIRE(id);
    return "\"pid\":" + std::to_string(pid) + ",\"start_time\":" + std::to_string(id->start_time) +
           ",\"exe\":" + nlohmann::json(id->exe).dump();
}

TEST_CASE("reload: signals the control plane and waits for its result", "[cli]") {
    wg::test::ScratchDir d;
    d.write("controlplane.pid", std::to_string(getpid()) + "\n");
    const std::string me = identity_of(getpid());
    d.write("controlplane.json", "{" + me + R"(,"reloads":5,"last_result":"ok","generation":7})");
    struct sigaction sa {
    }, old{};
    sa.sa_handler = on_hup;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGHUP, &sa, &old);
    for (std::string result : {"unchanged", "rejected"}) {
        g_hup = false;
        // The fake control plane: on SIGHUP, report reload #N+1.
        std::thread cp([&] {
            for (int i = 0; i < 1000 && !g_hup; ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            static int n = 5;
            ++n;
            d.write("controlplane.json", "{" + me + ",\"reloads\":" + std::to_string(n) +
                                             ",\"last_result\":\"" + result +
                                             "\",\"generation\":8,\"commit\":\"abc\",\"hash\":"
                                             "\"def\",\"errors\":[\"a.yaml:1:1: "
                                             "error[x]: y\"],\"time\":\"2026-11-30T00:00:00Z\"}");
        });
        auto r = run(wg::cli::reload, {"--state-dir", d.path().string(), "--timeout", "10"});
        cp.join();
        INFO(r.out << r.err);
        CHECK(g_hup);
        CHECK(r.rc == (result == "unchanged" ? 0 : 1));
        CHECK(r.out.find(result) != std::string::npos);
    }
    sigaction(SIGHUP, &old, nullptr);
    d.write("controlplane.pid", "garbage");
    CHECK(run(wg::cli::reload, {"--state-dir", d.path().string()}).rc == 1);
    CHECK(run(wg::cli::reload, {"--timeout", "0"}).rc == 2);
}

// kill -9 leaves the pid file behind; after pid reuse it names an unrelated
// process, which a SIGHUP would kill. Here: a `sleep` under the control
// plane's old pid, with the dead control plane's state file.
TEST_CASE("reload: refuses a stale pid file naming an unrelated process", "[cli]") {
    wg::test::ScratchDir d;
    std::cout.flush();  // the child must not repeat buffered TAP lines
    const pid_t child = fork();
    if (child == 0) {  // no Catch assertions in the child: it would report them too
        execlp("sleep", "sleep", "30", static_cast<char*>(nullptr));
        _exit(127);
    }
    REQUIRE(child > 0);
    // Wait (bounded) until the child runs sleep, not our own image.
    const std::string sleep_exe = [&] {
        for (int i = 0; i < 500; ++i) {
            auto id = wg::sys::process_identity(child);
            if (id && id->exe.find("sleep") != std::string::npos) return id->exe;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return std::string();
    }();
    CHECK_FALSE(sleep_exe.empty());
    const auto me = wg::sys::process_identity(getpid());
    REQUIRE(me);
    d.write("controlplane.pid", std::to_string(child) + "\n");
    auto refused = [&](const std::string& state) {
        d.write("controlplane.json", state);
        auto r = run(wg::cli::reload, {"--state-dir", d.path().string(), "--timeout", "1"});
        INFO(state << " -> " << r.err);
        CHECK(r.rc == 1);
        CHECK(r.err.find("refusing to signal pid " + std::to_string(child)) != std::string::npos);
        // The unrelated process survived.
        int status = 0;
        CHECK(waitpid(child, &status, WNOHANG) == 0);
    };
    const std::string pid = "\"pid\":" + std::to_string(child);
    // The dead control plane's record: same pid, its own start time and binary.
    refused("{" + pid + ",\"start_time\":" + std::to_string(me->start_time + 1) +
            ",\"exe\":" + nlohmann::json(me->exe).dump() + R"(,"reloads":1,"last_result":"ok"})");
    // Same start time by chance, but another program.
    auto child_id = wg::sys::process_identity(child);
    REQUIRE(child_id);
    refused("{" + pid + ",\"start_time\":" + std::to_string(child_id->start_time) +
            ",\"exe\":" + nlohmann::json(me->exe).dump() + R"(,"reloads":1,"last_result":"ok"})");
    // A state file that names another pid, or none at all.
    refused(R"({"pid":1,"reloads":1,"last_result":"ok"})");
    refused("{" + pid + R"(,"reloads":1,"last_result":"ok"})");
    std::filesystem::remove(d.path() / "controlplane.json");
    refused("");
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
}

TEST_CASE("status: asks the dataplane socket and prints a summary", "[cli]") {
    wg::test::ScratchDir d;
    std::string path = (d.path() / "dp.sock").string();
    int srv = socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(srv >= 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
    REQUIRE(bind(srv, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    REQUIRE(listen(srv, 1) == 0);
    std::thread dp([&] {
        int c = accept(srv, nullptr, nullptr);
        if (c < 0) return;
        wg::mgmt::FrameDecoder dec;
        int answered = 0;
        uint8_t buf[4096];
        while (answered < 2) {
            ssize_t n = read(c, buf, sizeof buf);
            if (n <= 0) break;
            dec.feed({buf, size_t(n)});
            while (auto f = dec.next()) {
                std::vector<uint8_t> out;
                if (f->type == wg::mgmt::MsgType::StatusRequest) {
                    wg::mgmt::Status s;
                    s.version = "0.1.0";
                    s.pid = 4242;
                    s.workers = 2;
                    s.policy_generation = 3;
                    s.policy_hash = "5cf5ddaf9b20c55a";
                    s.mode = "normal";
                    out = wg::mgmt::encode_frame(wg::mgmt::MsgType::StatusResponse, f->request_id,
                                                 wg::mgmt::encode(s));
                } else {
                    wg::stats::Snapshot sn;
                    sn.ports.push_back({"clinical", "net_pcap0", 10, 1000, 9, 900, 1, 0, 0});
                    sn.drops.push_back({"policy", 7});
                    wg::stats::WorkerCounters w;
                    w.lcore = 1;
                    w.heartbeat = 77;
                    sn.workers.push_back(w);  // an older dataplane: no flow figures
                    w.lcore = 2;
                    w.has_flows = true;
                    w.packets = 5150;
                    w.flows_created = 33;
                    w.flow_entries = 12;
                    sn.workers.push_back(w);
                    out = wg::mgmt::encode_frame(wg::mgmt::MsgType::StatsResponse, f->request_id,
                                                 wg::mgmt::encode(sn));
                }
                (void)!write(c, out.data(), out.size());
                ++answered;
            }
        }
        close(c);
    });
    auto r = run(wg::cli::status, {"--socket", path});
    dp.join();
    close(srv);
    INFO(r.err);
    CHECK(r.rc == 0);
    CHECK(r.out.find("pid 4242") != std::string::npos);
    CHECK(r.out.find("generation 3, content 5cf5ddaf9b20") != std::string::npos);
    CHECK(r.out.find("drops: policy=7") != std::string::npos);
    // Per-worker flow figures (the encoder sends them for every worker once
    // one has them; a worker without them prints none).
    CHECK(r.out.find("worker 1 lcore 2: ") != std::string::npos);
    CHECK(r.out.find("heartbeat 77, 5150 pkts, flows created 33, live 12\n") != std::string::npos);
    auto down = run(wg::cli::status, {"--socket", (d.path() / "none.sock").string()});
    CHECK(down.rc == 1);
    CHECK(down.err.find("cannot connect") != std::string::npos);
}

TEST_CASE("diff: two git revisions of a policy directory", "[cli]") {
    wg::test::ScratchDir repo;
    wg::test::write_minimal_policy(repo);
    auto git = [&](std::vector<std::string> args) {
        std::vector<std::string> argv = {"git",         "-C", repo.path().string(),          "-c",
                                         "user.name=t", "-c", "user.email=t@example.invalid"};
        argv.insert(argv.end(), args.begin(), args.end());
        return wg::policy::git::run(argv).has_value();
    };
    REQUIRE(git({"init", "-q"}));
    REQUIRE(git({"add", "."}));
    REQUIRE(git({"commit", "-q", "-m", "one"}));
    repo.write("inventory.yaml", R"(kind: Inventory
hosts:
  - {asset_id: P1, mac: "00:09:fb:00:00:01", ip: 198.18.1.1, class: server, bind_mac_ip: true}
  - {asset_id: S1, ip: 198.19.1.1, class: server}
)");
    REQUIRE(git({"commit", "-q", "-a", "-m", "two"}));
    auto r =
        run(wg::cli::diff, {"HEAD~1", "HEAD", "--repo", repo.path().string(), "--format", "json"});
    INFO(r.err);
    REQUIRE(r.rc == 0);
    auto j = nlohmann::json::parse(r.out);
    REQUIRE(j["devices"].size() == 1);
    CHECK(j["devices"][0]["name"] == "P1");
    CHECK(j["devices"][0]["detail"].get<std::string>().find("class pump -> server") !=
          std::string::npos);
    CHECK(run(wg::cli::diff, {"no-such-rev", "HEAD", "--repo", repo.path().string()}).rc == 1);
}

TEST_CASE("lint --format json: invalid UTF-8 is a located diagnostic, not an exception", "[cli]") {
    wg::test::ScratchDir d;
    wg::test::write_minimal_policy(d);
    SECTION("in a YAML value") {
        d.write("more.yaml",
                "kind: Inventory\nhosts:\n  - {asset_id: \"P\xff\xfe\", ip: 198.18.1.7, class: "
                "pump}\n");
        Run r;
        REQUIRE_NOTHROW(r = run(wg::cli::lint, {d.path().string(), "--format", "json"}));
        CHECK(r.rc == 1);
        auto j = nlohmann::json::parse(r.out);
        CHECK(j["ok"] == false);
        REQUIRE(j["diagnostics"].size() >= 1);
        CHECK(j["diagnostics"][0]["file"] == "more.yaml");
        CHECK(j["diagnostics"][0]["line"] == 3);
        CHECK(j["diagnostics"][0]["column"] == 18);
        CHECK(j["diagnostics"][0]["code"] == "bad-encoding");
    }
    SECTION("in an imported CSV") {
        d.write("more.yaml", "kind: Inventory\nimports:\n  - csv: more.csv\n");
        d.write("more.csv", "asset_id,mac,ip,class,zone\nP9,,198.18.1.9,pu\xffmp,ICU\n");
        Run r;
        REQUIRE_NOTHROW(r = run(wg::cli::lint, {d.path().string(), "--format", "json"}));
        CHECK(r.rc == 1);
        auto j = nlohmann::json::parse(r.out);
        REQUIRE(j["diagnostics"].size() >= 1);
        CHECK(j["diagnostics"][0]["file"] == "more.csv");
        CHECK(j["diagnostics"][0]["line"] == 2);
        CHECK(j["diagnostics"][0]["column"] == 18);
        CHECK(j["diagnostics"][0]["code"] == "bad-encoding");
    }
}

TEST_CASE("lint --format json: a file name that is not UTF-8 still gives a JSON report", "[cli]") {
    wg::test::ScratchDir d;
    wg::test::write_minimal_policy(d);
    d.write("bad\xff.yaml", "kind: Guardrails\nrules: nope\n");
    Run r;
    REQUIRE_NOTHROW(r = run(wg::cli::lint, {d.path().string(), "--format", "json"}));
    CHECK(r.rc == 1);
    auto j = nlohmann::json::parse(r.out);
    REQUIRE(j["diagnostics"].size() == 1);
    CHECK(j["diagnostics"][0]["line"] == 2);
    CHECK(j["diagnostics"][0]["code"] == "bad-value");
}

namespace {

// A copy of the example fleet repository to vary.
void copy_fleet(const wg::test::ScratchDir& d, const std::string& sub) {
    std::filesystem::copy(wg::test::example_policy() / "fleet-example", d.path() / sub,
                          std::filesystem::copy_options::recursive);
}

}  // namespace

TEST_CASE("lint --all: every gateway of a fleet repository, diagnostics named by gateway",
          "[cli][fleet]") {
    auto repo = (wg::test::example_policy() / "fleet-example").string();
    auto ok = run(wg::cli::lint, {"--all", repo});
    INFO(ok.out << ok.err);
    CHECK(ok.rc == 0);
    CHECK(ok.out.find("[icu] gateway icu: ok (") != std::string::npos);
    CHECK(ok.out.find("[nicu] gateway nicu: ok (") != std::string::npos);
    CHECK(ok.out.find("[or] gateway or: ok (") != std::string::npos);
    CHECK(ok.out.find("3 gateway(s), all ok") != std::string::npos);
    // A fleet repository without --all is linted the same way.
    CHECK(run(wg::cli::lint, {repo}).out == ok.out);

    wg::test::ScratchDir d;
    copy_fleet(d, "repo");
    auto r = (d.path() / "repo").string();
    d.write("repo/gateways/nicu/broken.yaml", "kind: DeviceClass\nname: x\nmode: enforced\n");
    auto bad = run(wg::cli::lint, {"--all", r});
    CHECK(bad.rc == 1);
    CHECK(bad.out.find("[nicu] gateways/nicu/broken.yaml:3:") != std::string::npos);
    CHECK(bad.out.find("[icu] gateway icu: ok") != std::string::npos);
    CHECK(bad.out.find("1 with errors") != std::string::npos);

    auto js = run(wg::cli::lint, {"--all", r, "--format", "json"});
    auto j = nlohmann::json::parse(js.out);
    CHECK(j["ok"] == false);
    REQUIRE(j["gateways"].size() == 3);
    CHECK(j["gateways"][0]["gateway"] == "icu");
    CHECK(j["gateways"][0]["ok"] == true);
    CHECK(j["gateways"][1]["gateway"] == "nicu");
    CHECK(j["gateways"][1]["ok"] == false);
    CHECK(j["gateways"][1]["diagnostics"][0]["file"] == "gateways/nicu/broken.yaml");

    auto one = run(wg::cli::lint, {r, "--gateway", "icu"});
    CHECK(one.rc == 0);
    CHECK(one.out.find("[nicu]") == std::string::npos);
    CHECK(run(wg::cli::lint, {r, "--gateway", "nope"}).rc == 1);
    CHECK(run(wg::cli::lint, {r, "--all", "--gateway", "icu"}).rc == 2);
    // --all on a plain policy directory is a usage error.
    CHECK(run(wg::cli::lint, {"--all", wg::test::example_policy().string()}).rc == 2);
}

TEST_CASE("diff: which gateways of a fleet repository change (directories and revisions)",
          "[cli][fleet]") {
    wg::test::ScratchDir d;
    copy_fleet(d, "a");
    copy_fleet(d, "b");
    auto a = (d.path() / "a").string(), b = (d.path() / "b").string();
    // A gateway-local change: only the OR changes.
    d.write("b/gateways/or/local-exceptions.yaml",
            "kind: DeviceClass\nname: anesthesia-record\nmode: enforce\ndefault_action: deny\n");
    auto r = run(wg::cli::diff, {a, b, "--format", "json"});
    INFO(r.out << r.err);
    REQUIRE(r.rc == 0);
    auto j = nlohmann::json::parse(r.out);
    CHECK(j["changed"] == nlohmann::json::array({"or"}));
    CHECK(j["gateways"][0]["status"] == "unchanged");
    CHECK(j["gateways"][2]["status"] == "changed");
    auto t = run(wg::cli::diff, {a, b});
    CHECK(t.out.find("gateway icu: no permission changes") != std::string::npos);
    CHECK(t.out.find("gateway or: permissions change") != std::string::npos);
    CHECK(t.out.find("gateways whose permissions change: or") != std::string::npos);

    // A shared change reaches every gateway; a new gateway is "added". Here
    // through git revisions of the repository.
    auto git = [&](std::vector<std::string> args) {
        std::vector<std::string> argv = {
            "git", "-C", a, "-c", "user.name=t", "-c", "user.email=t@example.invalid"};
        argv.insert(argv.end(), args.begin(), args.end());
        return wg::policy::git::run(argv).has_value();
    };
    REQUIRE(git({"init", "-q"}));
    REQUIRE(git({"add", "."}));
    REQUIRE(git({"commit", "-q", "-m", "one"}));
    d.write("a/shared/guardrails.yaml",
            "kind: Guardrails\nrules:\n  - name: no-ssh\n"
            "    to: {group: ward-clinical}\n    proto: tcp\n"
            "    ports: [22]\n");
    std::filesystem::copy(d.path() / "a/gateways/nicu", d.path() / "a/gateways/nicu2",
                          std::filesystem::copy_options::recursive);
    d.write("a/gateways/nicu2/gateway.yaml",
            wg::test::replaced(
                [&] {
                    std::ifstream f(d.path() / "a/gateways/nicu/gateway.yaml");
                    return std::string(std::istreambuf_iterator<char>(f), {});
                }(),
                "name: nicu", "name: nicu2"));
    REQUIRE(git({"add", "."}));
    REQUIRE(git({"commit", "-q", "-m", "two"}));
    auto g = run(wg::cli::diff, {"HEAD~1", "HEAD", "--repo", a, "--format", "json"});
    INFO(g.err);
    REQUIRE(g.rc == 0);
    auto gj = nlohmann::json::parse(g.out);
    CHECK(gj["changed"] == nlohmann::json::array({"icu", "nicu", "nicu2", "or"}));
    CHECK(gj["gateways"][2]["status"] == "added");
    auto only = run(wg::cli::diff, {"HEAD~1", "HEAD", "--repo", a, "--gateway", "icu"});
    CHECK(only.out.find("gateway nicu") == std::string::npos);
    CHECK(only.out.find("gateway icu: permissions change") != std::string::npos);

    // A gateway that does not compile on one side: named, exit 1.
    d.write("b/gateways/icu/broken.yaml", "kind: DeviceClass\nname: x\nmode: enforced\n");
    auto broken = run(wg::cli::diff, {a, b});
    CHECK(broken.rc == 1);
    CHECK(broken.err.find("[icu]") != std::string::npos);
    // Fleet vs plain directory: usage error.
    CHECK(run(wg::cli::diff, {a, wg::test::example_policy().string()}).rc == 2);
}
