// The control plane's git follower (controlplane/git_follow.*): fetches a
// fleet repository's branch into its own mirror, compiles its gateway's view,
// refuses a tip that does not descend from the applied revision, and with
// --require-signed refuses unsigned and foreign-key commits. Real git, real
// ssh-keygen signatures; the "remote" is a local repository (file transport).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "../common/policy/test_util.hpp"
#include "git_follow.hpp"

using namespace wg;
namespace fs = std::filesystem;

namespace {

// The test's own git (not the safe runner: it must be able to sign), with no
// user or system configuration.
int sh(const std::string& cmd) {
    std::string full =
        "env -i PATH=/usr/bin:/bin HOME=/nonexistent GIT_CONFIG_NOSYSTEM=1 "
        "GIT_CONFIG_GLOBAL=/dev/null sh -c '" +
        cmd + "' >/dev/null 2>&1";
    return std::system(full.c_str());
}

struct Remote {
    wg::test::ScratchDir d;
    std::string repo() const { return (d.path() / "remote").string(); }
    std::string git() const {
        return "git -C " + repo() +
               " -c user.name=policy-team -c user.email=policy@example.invalid "
               "-c gpg.format=ssh -c commit.gpgsign=false";
    }
    Remote() {
        d.write("remote/shared/classes.yaml", wg::test::kMinimalClasses);
        d.write("remote/gateways/icu/gateway.yaml",
                "kind: Gateway\nname: icu\nzones: [ICU]\nclinical_space: [198.18.0.0/16]\n"
                "core_space: [0.0.0.0/0]\nunknown: {mode: monitor, default_action: deny}\n"
                "address_groups:\n  ntp: [198.19.0.123]\ninclude: [shared]\n");
        d.write("remote/gateways/icu/inventory.yaml",
                "kind: Inventory\nhosts:\n  - {asset_id: P1, mac: \"00:09:fb:00:00:01\", ip: "
                "198.18.1.1, class: pump, zone: ICU, bind_mac_ip: true}\n  - {asset_id: S1, ip: "
                "198.19.1.1, class: server}\n");
        REQUIRE(sh("git init -q -b main " + repo()) == 0);
        REQUIRE(sh(git() + " add -A && " + git() + " commit -q -m one") == 0);
        // Two SSH keys: one allowed, one not.
        for (std::string k : {"allowed", "other"})
            REQUIRE(sh("ssh-keygen -q -t ed25519 -N \"\" -C " + k + " -f " +
                       (d.path() / k).string()) == 0);
        std::ifstream pub(d.path() / "allowed.pub");
        std::string key;
        std::getline(pub, key);
        d.write("allowed_signers", "policy-lead@example.invalid " + key + "\n");
    }
    // Commits a change; `key` "" = unsigned.
    void commit(const std::string& file, const std::string& text, const std::string& key = "") {
        d.write("remote/" + file, text);
        std::string cfg = key.empty() ? "" : " -c user.signingkey=" + (d.path() / key).string();
        REQUIRE(sh(git() + " add -A && " + git() + cfg + " commit -q -m change" +
                   (key.empty() ? "" : " -S")) == 0);
    }
    std::string head() const {
        auto c = policy::git::resolve_commit(repo(), "HEAD");
        return c ? *c : "";
    }
};

cp::GitFollowConfig config(const Remote& r, const wg::test::ScratchDir& state) {
    cp::GitFollowConfig c;
    c.url = r.repo();
    c.branch = "main";
    c.gateway = "icu";
    c.dir = state.path() / "policy-git";
    c.audit_file = (state.path() / "audit.jsonl").string();
    return c;
}

cp::ReloadState accepted() {
    cp::ReloadState st;
    st.last_result = "ok";
    return st;
}

std::string scrape(const cp::ReloadMetrics& m) {
    std::ostringstream o;
    for (auto& f : m.Collect())
        for (auto& x : f.metric) {
            o << f.name << "{";
            for (auto& l : x.label) o << l.name << "=" << l.value << ",";
            o << "} "
              << (f.type == prometheus::MetricType::Counter ? x.counter.value : x.gauge.value)
              << "\n";
        }
    return o.str();
}

std::string file_text(const fs::path& p) {
    std::ifstream f(p);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

const char* kMoreHosts =
    "kind: Inventory\nhosts:\n  - {asset_id: S2, ip: 198.19.1.2, class: server}\n";

}  // namespace

TEST_CASE("git follow: fetches, compiles the gateway's view, fast-forward only", "[git-follow]") {
    Remote r;
    wg::test::ScratchDir state;
    cp::ReloadMetrics m;
    cp::GitFollower f(config(r, state), &m);
    REQUIRE_FALSE(f.init());

    auto b = f.compile();
    INFO((b.errors.empty() ? "" : b.errors[0]));
    REQUIRE(b.ok);
    CHECK(b.commit == r.head());
    CHECK(b.policy->name == "icu");
    f.on_reload_done(accepted());
    CHECK(f.applied() == r.head());
    CHECK(file_text(state.path() / "policy-git/applied") == r.head() + "\n");

    // A new commit on top: fetched, applied.
    CHECK_FALSE(f.fetch());  // nothing new yet
    r.commit("gateways/icu/more.yaml", kMoreHosts);
    CHECK(f.fetch());
    auto b2 = f.compile();
    REQUIRE(b2.ok);
    CHECK(b2.commit == r.head());
    CHECK(b2.policy->hosts.size() == 3);
    f.on_reload_done(accepted());
    std::string good = r.head();

    // Force-push: history rewritten (the last commit replaced). Refused.
    REQUIRE(sh(r.git() + " reset -q --hard HEAD~1") == 0);
    r.commit("gateways/icu/other.yaml", kMoreHosts);
    CHECK(f.fetch());
    auto b3 = f.compile();
    CHECK_FALSE(b3.ok);
    REQUIRE_FALSE(b3.errors.empty());
    CHECK(b3.errors[0].find("not-fast-forward") != std::string::npos);
    f.on_reload_done(cp::ReloadState{});  // the reloader rejected it
    CHECK(f.applied() == good);
    auto text = scrape(m);
    CHECK(text.find("wardgate_policy_revision_refused_total{reason=not-fast-forward,} 1") !=
          std::string::npos);
    CHECK(text.find("wardgate_policy_revision_refused{commit=" + r.head() +
                    ",reason=not-fast-forward,} 1") != std::string::npos);
    CHECK(file_text(state.path() / "audit.jsonl").find("\"policy-revision-refused\"") !=
          std::string::npos);

    // Also after a restart (the applied revision is persisted).
    cp::ReloadMetrics m2;
    cp::GitFollower again(config(r, state), &m2);
    REQUIRE_FALSE(again.init());
    CHECK(again.applied() == good);
    CHECK(scrape(m2).find("wardgate_policy_revision_info{commit=" + good + ",") !=
          std::string::npos);
    CHECK_FALSE(again.compile().ok);
}

TEST_CASE("git follow: a revision that does not compile keeps the last good one", "[git-follow]") {
    Remote r;
    wg::test::ScratchDir state;
    cp::ReloadMetrics m;
    cp::GitFollower f(config(r, state), &m);
    REQUIRE_FALSE(f.init());
    REQUIRE(f.compile().ok);
    f.on_reload_done(accepted());
    std::string good = r.head();
    r.commit("gateways/icu/bad.yaml", "kind: DeviceClass\nname: x\nmode: enforced\n");
    f.fetch();
    auto b = f.compile();
    CHECK_FALSE(b.ok);
    f.on_reload_done(cp::ReloadState{});
    CHECK(f.applied() == good);
    // The fix on top of the bad commit is a fast-forward: applied.
    r.commit("gateways/icu/bad.yaml", kMoreHosts);
    f.fetch();
    CHECK(f.compile().ok);
}

TEST_CASE("git follow: --require-signed applies only commits signed by an allowed key",
          "[git-follow]") {
    Remote r;
    wg::test::ScratchDir state;
    cp::ReloadMetrics m;
    auto cfg = config(r, state);
    cfg.require_signed = true;
    cfg.signers.allowed_signers = (r.d.path() / "allowed_signers").string();
    cp::GitFollower f(cfg, &m);
    REQUIRE_FALSE(f.init());

    // The first commit is unsigned.
    auto b = f.compile();
    CHECK_FALSE(b.ok);
    REQUIRE_FALSE(b.errors.empty());
    CHECK(b.errors[0].find("error[unsigned]") != std::string::npos);

    r.commit("gateways/icu/more.yaml", kMoreHosts, "other");
    f.fetch();
    b = f.compile();
    CHECK_FALSE(b.ok);
    CHECK(b.errors[0].find("error[unknown-signer]") != std::string::npos);

    r.commit("gateways/icu/more.yaml",
             "kind: Inventory\nhosts:\n  - {asset_id: S3, ip: 198.19.1.3, class: server}\n",
             "allowed");
    f.fetch();
    b = f.compile();
    INFO((b.errors.empty() ? "" : b.errors[0]));
    REQUIRE(b.ok);
    f.on_reload_done(accepted());
    auto text = scrape(m);
    CHECK(text.find("wardgate_policy_revision_info{commit=" + r.head() +
                    ",signer=policy-lead@example.invalid,") != std::string::npos);
    CHECK(text.find("wardgate_policy_revision_refused_total{reason=unsigned,} 1") !=
          std::string::npos);
    CHECK(text.find("wardgate_policy_revision_refused_total{reason=unknown-signer,} 1") !=
          std::string::npos);
    CHECK(text.find("wardgate_policy_revision_refused{commit=,reason=,} 0") != std::string::npos);

    // Without any signer configuration nothing verifies (never "trust all").
    auto none = config(r, state);
    none.require_signed = true;
    cp::GitFollower g(none, &m);
    REQUIRE_FALSE(g.init());
    CHECK_FALSE(g.compile().ok);
}

TEST_CASE("git follow: --require-signed with OpenPGP keys from wardgate's own keyring",
          "[git-follow]") {
    Remote r;
    wg::test::ScratchDir state;
    // The maintainer's key and an outsider's, each in its own GnuPG home; the
    // gateway's keyring holds only the maintainer's public key.
    auto home = [&](const std::string& n) { return (r.d.path() / ("gpg-" + n)).string(); };
    for (std::string n : {"lead", "outsider", "gateway"})
        REQUIRE(sh("mkdir -m 700 " + home(n)) == 0);
    for (std::string n : {"lead", "outsider"})
        REQUIRE(sh("GNUPGHOME=" + home(n) + " gpg --batch --passphrase \"\" --quick-gen-key \"" +
                   n + " <" + n + "@example.invalid>\" ed25519 sign never") == 0);
    REQUIRE(sh("GNUPGHOME=" + home("lead") + " gpg --batch --export lead@example.invalid > " +
               home("gateway") + "/lead.pub && GNUPGHOME=" + home("gateway") +
               " gpg --batch --import " + home("gateway") + "/lead.pub") == 0);
    auto gpg_commit = [&](const std::string& who, const std::string& file) {
        r.d.write("remote/" + file, kMoreHosts);
        REQUIRE(sh("export GNUPGHOME=" + home(who) + "; " + r.git() + " add -A && " + r.git() +
                   " -c gpg.format=openpgp -c user.signingkey=" + who +
                   "@example.invalid commit -q -S -m gpg") == 0);
    };
    auto cfg = config(r, state);
    cfg.require_signed = true;
    cfg.signers.gpg_home = home("gateway");
    cp::ReloadMetrics m;
    cp::GitFollower f(cfg, &m);
    REQUIRE_FALSE(f.init());

    gpg_commit("outsider", "gateways/icu/a.yaml");
    auto b = f.compile();
    CHECK_FALSE(b.ok);
    REQUIRE_FALSE(b.errors.empty());
    CHECK(b.errors[0].find("error[unknown-signer]") != std::string::npos);

    r.commit("gateways/icu/a.yaml",
             "kind: Inventory\nhosts:\n  - {asset_id: S3, ip: 198.19.1.3, class: server}\n");
    gpg_commit("lead", "gateways/icu/b.yaml");
    f.fetch();
    b = f.compile();
    INFO((b.errors.empty() ? "" : b.errors[0]));
    CHECK(b.ok);
    f.on_reload_done(accepted());
    CHECK(scrape(m).find("signer=lead <lead@example.invalid>,") != std::string::npos);
    for (std::string n : {"lead", "outsider", "gateway"})
        sh("GNUPGHOME=" + home(n) + " gpgconf --kill all");
}

TEST_CASE("git follow: the remote's configuration runs nothing on the gateway", "[git-follow]") {
    Remote r;
    wg::test::ScratchDir state;
    auto marker = r.d.path() / "ran";
    // Settings of the remote repository that would run a program if honoured
    // while the control plane fetches from it (file transport: upload-pack
    // runs in the remote repository, with its config).
    std::string touch = "touch " + marker.string();
    for (std::string kv : {"core.fsmonitor", "uploadpack.packObjectsHook", "core.sshCommand",
                           "core.pager", "core.hooksPath"})
        REQUIRE(sh(r.git() + " config " + kv + " \"" +
                   (kv == "core.hooksPath" ? (r.d.path() / "hooks").string() : touch) + "\"") == 0);
    for (std::string h : {"pre-upload-pack", "reference-transaction", "post-checkout"})
        r.d.write("hooks/" + h, "#!/bin/sh\n" + touch + "\n");
    REQUIRE(sh("chmod +x " + (r.d.path() / "hooks").string() + "/*") == 0);
    cp::ReloadMetrics m;
    cp::GitFollower f(config(r, state), &m);
    REQUIRE_FALSE(f.init());
    auto b = f.compile();
    INFO((b.errors.empty() ? "" : b.errors[0]));
    CHECK(b.ok);
    CHECK_FALSE(fs::exists(marker));
    // The test's own commit in the remote does run them (that is the remote
    // owner's business): clear the marker, then fetch the new commit.
    r.commit("gateways/icu/more.yaml", kMoreHosts);
    fs::remove(marker);
    CHECK(f.fetch());
    CHECK(f.compile().ok);
    CHECK_FALSE(fs::exists(marker));
}
