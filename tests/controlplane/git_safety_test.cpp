// A policy checkout is written by policy maintainers, not by the operator who
// runs the control plane: nothing in its .git/config (or anything that file
// includes) may make the control plane or `wardgate diff` execute a program.
// Each hostile setting below would create a marker file if git honoured it.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <sstream>

#include "commands.hpp"
#include "policy/git.hpp"
#include "policy_source.hpp"
#include "test_util.hpp"

using namespace wg;
namespace fs = std::filesystem;

namespace {

const char* kGateway = R"(kind: Gateway
name: test-gw
zones: [ICU]
clinical_space: [198.18.0.0/16]
core_space: [0.0.0.0/0]
unknown: {mode: monitor, default_action: deny}
address_groups:
  ntp: [198.19.0.123]
)";
const char* kClasses = R"(kind: DeviceClass
name: pump
mode: enforce
default_action: deny
egress:
  - name: to-server
    to: {class: server}
    proto: tcp
    ports: [443]
---
kind: DeviceClass
name: server
mode: enforce
default_action: deny
)";
const char* kInventory = R"(kind: Inventory
hosts:
  - {asset_id: P1, mac: "00:09:fb:00:00:01", ip: 198.18.1.1, class: pump, zone: ICU}
  - {asset_id: S1, ip: 198.19.1.1, class: server}
)";

// Test setup only (trusted input): a shell command, must succeed.
void sh(const std::string& cmd) {
    INFO(cmd);
    REQUIRE(std::system(cmd.c_str()) == 0);
}

void write_exec(const fs::path& p, const std::string& body) {
    test::write_text(p, "#!/bin/sh\n" + body);
    ::chmod(p.c_str(), 0755);
}

// A repository with two commits of a valid policy under policy/, then a
// hostile .git/config. Every tracked file's mtime is moved, so anything that
// re-checks the work tree against the index would run the clean filter.
struct HostileRepo {
    test::TempDir tmp;
    fs::path repo = tmp / "repo";
    fs::path policy = repo / "policy";
    fs::path markers = tmp / "markers";
    fs::path bin = tmp / "bin";

    HostileRepo() {
        fs::create_directories(policy);
        fs::create_directories(markers);
        fs::create_directories(bin);
        fs::create_directories(tmp / "hooks");
        test::write_text(policy / "gateway.yaml", kGateway);
        test::write_text(policy / "classes.yaml", kClasses);
        test::write_text(policy / "inventory.yaml", kInventory);
        test::write_text(repo / ".gitattributes",
                         "* filter=evil diff=evil\nclasses.yaml filter=inc\n");
        std::string g =
            "git -C " + repo.string() +
            " -c user.name=t -c user.email=t@example.invalid -c core.hooksPath=/dev/null ";
        sh(g + "init -q");
        sh(g + "add .");
        sh(g + "commit -q -m one");
        test::write_text(
            policy / "inventory.yaml",
            std::string(kInventory) + "  - {asset_id: S2, ip: 198.19.1.2, class: server}\n");
        sh(g + "commit -q -a -m two");

        for (auto name :
             {"fsmonitor", "clean", "smudge", "textconv", "diffcmd", "diffext", "pager", "editor",
              "ssh", "askpass", "gpg", "include", "proxy", "credential", "altrefs"}) {
            // Filters must pass content through to look harmless.
            write_exec(bin / name, "touch '" + (markers / name).string() + "'\nexec cat\n");
        }
        for (auto hook :
             {"post-index-change", "post-checkout", "pre-commit", "reference-transaction",
              "pre-auto-gc", "post-rewrite", "fsmonitor-watchman"})
            write_exec(tmp / "hooks" / hook,
                       "touch '" + (markers / ("hook-" + std::string(hook))).string() + "'\n");
        test::write_text(tmp / "included.config",
                         "[filter \"inc\"]\n\tclean = " + (bin / "include").string() +
                             "\n\tsmudge = " + (bin / "include").string() +
                             "\n[core]\n\tuntrackedCache = true\n");
        auto b = [&](const char* n) { return (bin / n).string(); };
        std::ostringstream c;
        c << "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n"
          << "\tfsmonitor = " << b("fsmonitor") << "\n"
          << "\thooksPath = " << (tmp / "hooks").string() << "\n"
          << "\tpager = " << b("pager") << "\n"
          << "\teditor = " << b("editor") << "\n"
          << "\tsshCommand = " << b("ssh") << "\n"
          << "\taskPass = " << b("askpass") << "\n"
          << "\tgitProxy = " << b("proxy") << "\n"
          << "\talternateRefsCommand = " << b("altrefs") << "\n"
          << "[pager]\n\tstatus = " << b("pager") << "\n\tlog = " << b("pager") << "\n"
          << "[filter \"evil\"]\n\tclean = " << b("clean") << "\n\tsmudge = " << b("smudge") << "\n"
          << "[diff \"evil\"]\n\ttextconv = " << b("textconv") << "\n\tcommand = " << b("diffcmd")
          << "\n"
          << "[diff]\n\texternal = " << b("diffext") << "\n"
          << "[credential]\n\thelper = " << b("credential") << "\n"
          << "[gpg]\n\tprogram = " << b("gpg") << "\n"
          << "[log]\n\tshowSignature = true\n"
          << "[include]\n\tpath = " << (tmp / "included.config").string() << "\n";
        test::write_text(repo / ".git" / "config", c.str());
        auto later = fs::file_time_type::clock::now() + std::chrono::hours(1);
        for (auto& e : fs::recursive_directory_iterator(policy))
            fs::last_write_time(e.path(), later);
        fs::last_write_time(repo / ".gitattributes", later);
    }
    std::vector<std::string> fired() const {
        std::vector<std::string> v;
        for (auto& e : fs::directory_iterator(markers)) v.push_back(e.path().filename().string());
        return v;
    }
};

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
}

}  // namespace

TEST_CASE("git safety: a hostile .git/config runs nothing on reload", "[git]") {
    HostileRepo r;
    auto b = cp::compile_policy_dir(r.policy);
    INFO(join(b.errors));
    REQUIRE(b.ok);
    CHECK(b.commit.size() == 40);
    auto dirty = policy::git::uncommitted(r.policy, b.commit);
    REQUIRE(dirty);
    CHECK(dirty->empty());  // only mtimes moved: nothing uncommitted
    auto gd = policy::git::git_dir(r.policy);
    REQUIRE(gd);
    CHECK(fs::equivalent(*gd, r.repo / ".git"));
    INFO("commands that ran: " << join(r.fired()));
    CHECK(r.fired().empty());
}

TEST_CASE("git safety: a hostile .git/config runs nothing on wardgate diff", "[git]") {
    HostileRepo r;
    std::ostringstream out, err;
    int rc = cli::diff({"HEAD~1", "HEAD", "--repo", r.policy.string()}, out, err);
    INFO(err.str());
    CHECK(rc == 0);
    CHECK(out.str().find("S2") != std::string::npos);
    INFO("commands that ran: " << join(r.fired()));
    CHECK(r.fired().empty());
}

TEST_CASE("git safety: a checkout owned by someone else needs an explicit safe.directory",
          "[git]") {
    HostileRepo r;
    REQUIRE(policy::git::head_commit(r.policy).size() == 40);
    // What a maintainer-owned checkout looks like to the control plane's user.
    sh("chown -R 65534:65534 '" + r.repo.string() + "'");
    ::unsetenv("WARDGATE_GIT_SAFE_DIRECTORY");
    CHECK(policy::git::head_commit(r.policy).empty());
    CHECK_FALSE(policy::git::uncommitted(r.policy, ""));
    ::setenv("WARDGATE_GIT_SAFE_DIRECTORY", "*", 1);  // the blanket exception is not accepted
    CHECK(policy::git::head_commit(r.policy).empty());
    ::setenv("WARDGATE_GIT_SAFE_DIRECTORY", ("/elsewhere:" + r.repo.string()).c_str(), 1);
    auto head = policy::git::head_commit(r.policy);
    CHECK(head.size() == 40);
    auto dirty = policy::git::uncommitted(r.policy, head);
    REQUIRE(dirty);
    CHECK(dirty->empty());
    ::unsetenv("WARDGATE_GIT_SAFE_DIRECTORY");
    INFO("commands that ran: " << join(r.fired()));
    CHECK(r.fired().empty());
}

TEST_CASE("git: uncommitted lists modified, deleted and untracked files, not ignored ones",
          "[git]") {
    HostileRepo r;
    auto head = policy::git::head_commit(r.policy);
    test::write_text(r.policy / "gateway.yaml", "changed\n");
    fs::remove(r.policy / "classes.yaml");
    test::write_text(r.policy / "new.yaml", "x\n");
    test::write_text(r.policy / "scratch.tmp", "x\n");
    test::write_text(r.repo / ".gitignore", "*.tmp\n");
    auto dirty = policy::git::uncommitted(r.policy, head);
    REQUIRE(dirty);
    CHECK(*dirty == std::vector<std::string>{" D classes.yaml", " M gateway.yaml", "?? new.yaml"});
    CHECK(r.fired().empty());
}
