// The control plane's staged policy (issue 13 part 3): compile and push as
// the staged generation (never touching the enforced policy), a branch of
// the policy repository as the source, the metrics per class pair, the
// staged audit lines, and the live-learning record ignoring them.
#include <arpa/inet.h>

#include <prometheus/text_serializer.h>
#include <catch2/catch.hpp>
#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "audit_log.hpp"
#include "dp_metrics.hpp"
#include "fake_dataplane.hpp"
#include "fake_snapshot.hpp"
#include "flow_record.hpp"
#include "options.hpp"
#include "policy/git.hpp"
#include "staged_metrics.hpp"
#include "staged_reloader.hpp"
#include "test_util.hpp"

using namespace wg;
namespace fs = std::filesystem;

namespace {

double sample(const std::string& text, const std::string& series) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    return std::nan("");
}

std::string fake_hash(const std::vector<uint8_t>& img) {
    return "h" + std::to_string(std::hash<std::string>{}(std::string(img.begin(), img.end())));
}

// policy.txt holds the "policy"; "bad..." does not compile.
cp::CompiledBundle fake_compile(const fs::path& dir) {
    cp::CompiledBundle b;
    std::string text = test::read_text(dir / "policy.txt");
    if (text.empty() || text.rfind("bad", 0) == 0) {
        b.errors.push_back((dir / "policy.txt").string() +
                           ":1:1: error[syntax]: bad staged policy");
        return b;
    }
    auto p = std::make_shared<policy::CompiledPolicy>();
    p->name = text;
    p->classes.resize(2);
    p->classes[1].name = "class-of-" + text;
    b.image.assign(text.begin(), text.end());
    b.hash = fake_hash(b.image);
    p->content_hash = b.hash;
    b.policy = p;
    b.ok = true;
    return b;
}

struct Rig {
    test::TempDir dir;
    fs::path staged = dir / "staged";
    boost::asio::io_context io;
    test::FakeDataplane dp{io, (dir / "dp.sock").string(), fake_hash};
    cp::DpClient client{io, (dir / "dp.sock").string()};
    cp::PolicyBook book;
    std::unique_ptr<cp::StagedReloader> r;
    int done = 0;

    Rig() {
        fs::create_directories(staged);
        test::write_text(staged / "policy.txt", "s1");
        dp.start();
        cp::StagedConfig cfg;
        cfg.dir = staged;
        r = std::make_unique<cp::StagedReloader>(io, client, cfg, fake_compile, &book);
        r->on_done = [this](const cp::StagedState&) { ++done; };
        client.start();
        REQUIRE(test::run_until(io, [&] { return client.connected(); }));
    }
    void reload() {
        const int before = done;
        r->request("test");
        REQUIRE(test::run_until(io, [&] { return done > before; }));
    }
};

}  // namespace

TEST_CASE(
    "staged: a good staged policy is pushed as the staged generation, never as the enforced one",
    "[staged]") {
    Rig rig;
    rig.reload();
    CHECK(rig.r->state().ok);
    CHECK(rig.dp.staged_pushes.size() == 1);
    CHECK(rig.dp.pushes.empty());  // no LoadPolicy: the enforced policy is untouched
    CHECK(rig.r->state().generation == 1);
    CHECK(rig.r->state().hash == fake_hash({'s', '1'}));
    REQUIRE(rig.book.find(1) != nullptr);  // names the staged audit events
    CHECK(rig.book.find(1)->classes[1].name == "class-of-s1");
}

TEST_CASE("staged: a bad staged policy is reported, the previous staged policy stays", "[staged]") {
    Rig rig;
    rig.reload();
    REQUIRE(rig.r->state().generation == 1);
    test::write_text(rig.staged / "policy.txt", "bad: indentation");
    rig.reload();
    CHECK_FALSE(rig.r->state().ok);
    CHECK(rig.r->state().failures == 1);
    CHECK(rig.r->state().error.find("policy.txt:1:1") != std::string::npos);
    CHECK(rig.r->state().generation == 1);    // still the previous one
    CHECK(rig.dp.staged_pushes.size() == 1);  // nothing pushed
    CHECK(rig.dp.staged_generation == 1);
    CHECK(rig.dp.pushes.empty());

    // The dataplane refusing it is a failure too, with its reason.
    test::write_text(rig.staged / "policy.txt", "s2");
    rig.dp.refuse_staged = true;
    rig.reload();
    CHECK_FALSE(rig.r->state().ok);
    CHECK(rig.r->state().error.find("staged image refused") != std::string::npos);
    CHECK(rig.r->state().failures == 2);

    cp::StagedLoadMetrics m;
    m.update(rig.r->state());
    auto t = prometheus::TextSerializer().Serialize(m.Collect());
    CHECK(sample(t, "wardgate_staged_policy_load_failures_total") == 2);
    CHECK(sample(t, "wardgate_staged_policy_last_load_ok") == 0);
}

TEST_CASE("staged: a branch of the policy repository is exported and compiled with its commit",
          "[staged][git]") {
    test::TempDir d;
    const fs::path repo = d / "repo";
    fs::create_directories(repo);
    auto git = [&](const std::string& args) {
        std::string cmd = "git -C '" + repo.string() +
                          "' -c user.name=t -c user.email=t@t -c init.defaultBranch=main " + args +
                          " >/dev/null 2>&1";
        REQUIRE(std::system(cmd.c_str()) == 0);
    };
    git("init -q");
    test::write_text(repo / "policy.txt", "enforced");
    git("add policy.txt");
    git("commit -q -m v1");
    git("checkout -q -b staged");
    test::write_text(repo / "policy.txt", "candidate");
    git("commit -q -am candidate");
    git("checkout -q main");

    cp::StagedConfig cfg;
    cfg.dir = repo;
    cfg.branch = "staged";
    cfg.view = d / "view";
    auto b = cp::compile_staged(cfg, fake_compile);
    REQUIRE(b.ok);
    CHECK(b.policy->name == "candidate");  // the branch's tree, not the work tree
    CHECK(test::read_text(repo / "policy.txt") == "enforced");
    const auto commit = policy::git::resolve_commit(repo, "staged");
    REQUIRE(commit);
    CHECK(b.commit == *commit);
    CHECK(b.policy->commit == *commit);

    cfg.branch = "no-such-branch";
    auto bad = cp::compile_staged(cfg, fake_compile);
    CHECK_FALSE(bad.ok);
    REQUIRE_FALSE(bad.errors.empty());
    CHECK(bad.errors[0].find("no-such-branch") != std::string::npos);
}

TEST_CASE("staged metrics: differences per class pair by name, generation, identical gauge",
          "[staged][metrics]") {
    cp::DataplaneCollector c;
    c.update(test::fake_status(), test::fake_snapshot(1));
    auto t = prometheus::TextSerializer().Serialize(c.Collect());
    const std::string pair =
        R"(src_class="infusion_pump",dst_class="unknown",staged_src_class="infusion_pump",staged_dst_class="unknown")";
    CHECK(sample(t, "wardgate_staged_flows_total{" + pair + R"(,difference="would_deny"})") == 4);
    CHECK(sample(t, "wardgate_staged_flows_total{" + pair + R"(,difference="would_allow"})") == 1);
    CHECK(sample(t, "wardgate_staged_policy_generation") == 2);
    CHECK(sample(t, "wardgate_staged_policy_identical") == 0);
    CHECK(sample(t, "wardgate_staged_evaluated_flows_total") == 50);

    // Promoted: the enforced policy now has the staged content.
    auto st = test::fake_status();
    st.policy_hash = "cd34";
    c.update(st, test::fake_snapshot(1));
    t = prometheus::TextSerializer().Serialize(c.Collect());
    CHECK(sample(t, "wardgate_staged_policy_identical") == 1);

    // No staged policy ever: no staged series at all.
    auto plain = test::fake_snapshot(1);
    plain.staged = {};
    c.update(test::fake_status(), plain);
    t = prometheus::TextSerializer().Serialize(c.Collect());
    CHECK(t.find("wardgate_staged_") == std::string::npos);
}

TEST_CASE("staged audit: a difference is its own event type with both policies' names",
          "[staged][audit]") {
    policy::CompiledPolicy enforced;
    enforced.classes.resize(3);
    enforced.classes[0].name = "unknown";
    enforced.classes[1].name = "infusion_pump";
    enforced.classes[2].name = "pump_server";
    enforced.zones = {""};
    enforced.rules.resize(1);
    enforced.rules[0].name = "infusion_pump/to-server";
    policy::CompiledPolicy staged = enforced;
    std::swap(staged.classes[1].name, staged.classes[2].name);  // ids differ
    staged.commit = "5555";

    mgmt::AuditEvent e;
    e.ts_ns = 1764458360123456789ull;
    e.generation = 7;
    e.family = 4;
    e.proto = 6;
    ::inet_pton(AF_INET, "198.18.10.11", e.src.data());
    ::inet_pton(AF_INET, "198.18.10.254", e.dst.data());
    e.dport = 5001;
    e.src_class = 1;
    e.dst_class = 2;
    e.rule = 0;
    e.verdict = uint8_t(stats::Verdict::Allowed);
    e.staged = uint8_t(stats::StagedDifference::WouldDeny);
    e.staged_generation = 3;
    e.staged_src_class = 2;
    e.staged_dst_class = 1;
    e.staged_rule = policy::kNoRule;
    auto j = nlohmann::json::parse(cp::format_staged_event(e, &enforced, &staged, "gw"));
    CHECK(j["event_type"] == "staged_would_deny");
    CHECK(j["verdict"] == "allowed");
    CHECK(j["src_class"] == "infusion_pump");
    CHECK(j["dest_class"] == "pump_server");
    CHECK(j["rule"] == "infusion_pump/to-server");
    CHECK(j["staged_src_class"] == "infusion_pump");
    CHECK(j["staged_dest_class"] == "pump_server");
    CHECK(j["staged_rule"] == "default");
    CHECK(j["staged_policy_generation"] == 3);
    CHECK(j["staged_policy_commit"] == "5555");

    // Through the log: written as such, not counted as a denial; the
    // learning record ignores it.
    cp::PolicyBook book, sbook;
    book.add(7, std::make_shared<policy::CompiledPolicy>(enforced));
    sbook.add(3, std::make_shared<policy::CompiledPolicy>(staged));
    cp::AuditConfig cfg;
    cfg.gateway = "gw";
    cp::AuditLog log(cfg, &book);
    log.set_staged_book(&sbook);
    std::vector<std::string> lines;
    log.sink = [&](const std::string& l) { lines.push_back(l); };
    mgmt::AuditBatch batch;
    batch.events = {e};
    e.staged = uint8_t(stats::StagedDifference::WouldAllow);
    batch.events.push_back(e);
    log.ingest(batch);
    REQUIRE(lines.size() == 2);
    CHECK(nlohmann::json::parse(lines[0])["event_type"] == "staged_would_deny");
    CHECK(nlohmann::json::parse(lines[1])["event_type"] == "staged_would_allow");
    CHECK(nlohmann::json::parse(lines[1])["staged_dest_class"] == "pump_server");
    auto t = prometheus::TextSerializer().Serialize(log.Collect());
    CHECK(t.find("wardgate_denied_class_pairs_total{") == std::string::npos);

    test::TempDir d;
    cp::FlowRecord rec(d.path);
    rec.ingest(batch);
    CHECK(rec.size() == 0);
}

TEST_CASE("staged options: a directory or a branch of --policy, not both", "[staged][options]") {
    auto parse = [](std::vector<std::string> a, std::optional<std::string>& err) {
        a.insert(a.begin(), "wardgate-controlplane");
        std::vector<char*> argv;
        for (auto& s : a) argv.push_back(s.data());
        cp::Options o;
        err = cp::parse_options(int(argv.size()), argv.data(), o);
        return o;
    };
    std::optional<std::string> err;
    auto o = parse({"--policy", "/p", "--staged-policy-dir", "/s"}, err);
    CHECK_FALSE(err);
    CHECK(o.staged_policy_dir == "/s");
    o = parse({"--policy", "/p", "--staged-policy-branch", "learned"}, err);
    CHECK_FALSE(err);
    CHECK(o.staged_policy_branch == "learned");
    parse({"--staged-policy-branch", "learned"}, err);
    CHECK(err ==
          std::optional<std::string>("--staged-policy-branch needs --policy DIR (a git checkout)"));
    parse({"--policy", "/p", "--staged-policy-dir", "/s", "--staged-policy-branch", "b"}, err);
    CHECK(err == std::optional<std::string>(
                     "--staged-policy-dir and --staged-policy-branch exclude each other"));
    const std::string help = cp::usage();
    for (const char* f : {"--staged-policy-dir", "--staged-policy-branch"})
        CHECK(help.find(std::string("  ") + f + " ") != std::string::npos);
}
