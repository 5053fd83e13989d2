#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "fake_dataplane.hpp"
#include "policy/git.hpp"
#include "reloader.hpp"
#include "test_util.hpp"

using namespace wg;
namespace fs = std::filesystem;

namespace {

// The fake compiler: the policy is the text of policy.txt; "bad..." is a
// compile error with a location, "empty" compiles to nothing.
std::string fake_hash(const std::vector<uint8_t>& img) {
    return "h" + std::to_string(std::hash<std::string>{}(std::string(img.begin(), img.end())));
}

cp::CompiledBundle fake_compile(const fs::path& dir) {
    cp::CompiledBundle b;
    std::string text = test::read_text(dir / "policy.txt");
    if (text.rfind("bad", 0) == 0) {
        b.errors.push_back("policy.txt:3:7: error[unknown-class]: class \"pumps\" is not defined");
        return b;
    }
    auto p = std::make_shared<policy::CompiledPolicy>();
    p->name = text;
    p->classes.resize(2);
    p->classes[1].name = "class-of-" + text;
    b.image.assign(text.begin(), text.end());
    b.hash = fake_hash(b.image);
    p->content_hash = b.hash;
    p->commit = policy::git::head_commit(dir);
    b.commit = p->commit;
    b.policy = p;
    b.ok = true;
    return b;
}

struct Rig {
    test::TempDir dir;
    fs::path policy = dir / "policy";
    fs::path state = dir / "run";
    boost::asio::io_context io;
    test::FakeDataplane dp{io, (dir / "dp.sock").string(), fake_hash};
    cp::DpClient client{io, (dir / "dp.sock").string()};
    cp::ImageStore store{dir / "lib" / "policy.img"};
    cp::ReloadMetrics metrics;
    std::unique_ptr<cp::PolicyBook> bookp = std::make_unique<cp::PolicyBook>();
    std::unique_ptr<cp::Reloader> r;
    cp::CompileFn compile = fake_compile;
    int done = 0;

    explicit Rig(bool require_committed = false) {
        fs::create_directories(policy);
        fs::create_directories(state);
        test::write_text(policy / "policy.txt", "v1");
        // The real dataplane reports the commit carried in the image.
        dp.commit_of = [this](const std::vector<uint8_t>&) {
            return policy::git::head_commit(policy);
        };
        dp.start();
        make_reloader(require_committed);
        client.start();
        REQUIRE(test::run_until(io, [&] { return client.connected(); }));
    }
    void make_reloader(bool require_committed = false) {
        if (r) bookp = std::make_unique<cp::PolicyBook>();
        cp::ReloaderConfig cfg;
        cfg.policy_dir = policy;
        cfg.state_dir = state;
        cfg.require_committed = require_committed;
        cfg.push_timeout = std::chrono::milliseconds(500);
        r = std::make_unique<cp::Reloader>(io, client, cfg, compile, nullptr, &store, &metrics,
                                           bookp.get());
        r->on_done = [this](const cp::ReloadState&) { ++done; };
    }
    const cp::ReloadState& reload(const std::string& why = "test") {
        int before = done;
        r->request(why);
        REQUIRE(test::run_until(io, [&] { return done > before && !r->busy(); }));
        return r->state();
    }
    nlohmann::json state_json() {
        return nlohmann::json::parse(test::read_text(state / "controlplane.json"));
    }
    std::string stored() {
        auto b = store.load();
        return b ? std::string(b->begin(), b->end()) : "";
    }
};

}  // namespace

TEST_CASE("reload: edit, identical, bad edit, fixed edit", "[reload]") {
    Rig rig;
    // Initial load: pushed, acknowledged, persisted, reported.
    auto s = rig.reload("startup");
    CHECK(s.last_result == "ok");
    CHECK(s.generation == 1);
    REQUIRE(rig.dp.pushes.size() == 1);
    CHECK(rig.stored() == "v1");
    auto j = rig.state_json();
    CHECK(j["reloads"] == 1);
    CHECK(j["last_result"] == "ok");
    CHECK(j["generation"] == 1);
    CHECK(j["hash"] == fake_hash({'v', '1'}));
    CHECK(j["pid"] == ::getpid());
    CHECK(rig.bookp->find(1)->classes[1].name == "class-of-v1");

    // Same content again (SIGHUP, touch): not re-pushed.
    s = rig.reload("SIGHUP");
    CHECK(s.last_result == "unchanged");
    CHECK(rig.dp.pushes.size() == 1);
    CHECK(s.generation == 1);
    CHECK(rig.state_json()["reloads"] == 2);

    // An edit.
    test::write_text(rig.policy / "policy.txt", "v2");
    s = rig.reload();
    CHECK(s.last_result == "ok");
    CHECK(s.generation == 2);
    CHECK(rig.dp.pushes.size() == 2);
    CHECK(rig.stored() == "v2");

    // A bad edit never reaches the dataplane; the running policy stays.
    test::write_text(rig.policy / "policy.txt", "bad v3");
    s = rig.reload();
    CHECK(s.last_result == "rejected");
    CHECK(rig.dp.pushes.size() == 2);
    CHECK(rig.dp.generation == 2);
    CHECK(s.generation == 2);
    CHECK(rig.stored() == "v2");
    j = rig.state_json();
    CHECK(j["last_result"] == "rejected");
    REQUIRE(j["errors"].size() == 1);
    CHECK(j["errors"][0].get<std::string>().rfind("policy.txt:3:7: ", 0) == 0);
    CHECK(j["generation"] == 2);
    CHECK(j["hash"] == fake_hash({'v', '2'}));

    // Fixed.
    test::write_text(rig.policy / "policy.txt", "v3");
    s = rig.reload();
    CHECK(s.last_result == "ok");
    CHECK(s.generation == 3);
    CHECK(rig.stored() == "v3");
    CHECK(rig.state_json()["reloads"] == 5);
    CHECK(rig.state_json()["errors"].empty());
}

TEST_CASE("reload: a dataplane that refuses the image leaves the store alone", "[reload]") {
    Rig rig;
    rig.reload();
    rig.dp.refuse = true;
    test::write_text(rig.policy / "policy.txt", "v2");
    auto s = rig.reload();
    CHECK(s.last_result == "push-failed");
    CHECK(s.generation == 1);
    CHECK(rig.stored() == "v1");
    REQUIRE_FALSE(s.errors.empty());
    CHECK(s.errors[0].find("image schema 99") != std::string::npos);
}

TEST_CASE("reload: no acknowledgement is a push failure, not a hang", "[reload]") {
    Rig rig;
    rig.dp.answer = false;
    auto s = rig.reload();
    CHECK(s.last_result == "push-failed");
    CHECK(rig.stored() == "");  // never persisted without an acknowledgement
}

TEST_CASE("reload: a restarted control plane resynchronises without re-pushing", "[reload]") {
    Rig rig;
    rig.reload();
    test::write_text(rig.policy / "policy.txt", "v2");
    rig.reload();
    REQUIRE(rig.dp.pushes.size() == 2);
    // New control plane process: fresh Reloader and book, same dataplane.
    rig.make_reloader();
    auto s = rig.reload("dataplane connected");
    CHECK(s.last_result == "unchanged");
    CHECK(rig.dp.pushes.size() == 2);
    CHECK(s.generation == 2);
    // Audit events of generation 2 can be named again.
    REQUIRE(rig.bookp->find(2));
    CHECK(rig.bookp->find(2)->classes[1].name == "class-of-v2");
}

TEST_CASE(
    "reload: a dataplane restarted without policy gets the last good one back, even "
    "while the tree has a bad edit",
    "[reload]") {
    Rig rig;
    rig.reload();
    test::write_text(rig.policy / "policy.txt", "bad edit");
    // The dataplane restarts empty (no image store configured on its side).
    rig.dp.generation = 0;
    rig.dp.hash.clear();
    auto s = rig.reload("dataplane connected");
    CHECK(s.last_result == "rejected");  // the edit is still rejected...
    REQUIRE(rig.dp.pushes.size() == 2);  // ...but v1 was restored
    CHECK(std::string(rig.dp.pushes[1].begin(), rig.dp.pushes[1].end()) == "v1");
    CHECK(rig.dp.generation == 1);
}

TEST_CASE("reload: requests during a reload are coalesced into one more", "[reload]") {
    Rig rig;
    rig.r->request("a");
    for (int i = 0; i < 10; ++i) rig.r->request("burst " + std::to_string(i));
    REQUIRE(test::run_until(rig.io, [&] { return rig.done >= 2 && !rig.r->busy(); }));
    test::run_until(
        rig.io, [] { return false; }, std::chrono::milliseconds(200));
    CHECK(rig.done == 2);
    CHECK(rig.dp.pushes.size() == 1);  // the second pass found identical content
    CHECK(rig.r->state().last_result == "unchanged");
}

TEST_CASE("reload: without a dataplane the policy is compiled and reported", "[reload]") {
    Rig rig;
    rig.dp.stop();
    REQUIRE(test::run_until(rig.io, [&] { return !rig.client.connected(); }));
    auto s = rig.reload();
    CHECK(s.last_result == "push-failed");
    REQUIRE_FALSE(s.errors.empty());
    CHECK(s.errors[0].find("not connected") != std::string::npos);
}

TEST_CASE("reload: --require-committed refuses uncommitted changes, reports the commit",
          "[reload][git]") {
    Rig rig(true);
    auto git = [&](const std::string& args) {
        std::string cmd = "git -C '" + rig.policy.string() + "' -c user.name=t -c user.email=t@t " +
                          args + " >/dev/null 2>&1";
        REQUIRE(std::system(cmd.c_str()) == 0);
    };
    // Not a repository yet.
    auto s = rig.reload();
    CHECK(s.last_result == "rejected");
    CHECK(rig.dp.pushes.empty());

    git("init -q");
    s = rig.reload();
    CHECK(s.last_result == "rejected");  // policy.txt is untracked
    REQUIRE_FALSE(s.errors.empty());
    CHECK(s.errors[0].rfind("policy.txt: error[not-committed]", 0) == 0);

    git("add policy.txt");
    git("commit -q -m v1");
    s = rig.reload();
    CHECK(s.last_result == "ok");
    auto head = policy::git::head_commit(rig.policy);
    REQUIRE(!head.empty());
    CHECK(s.commit == head);
    CHECK(rig.state_json()["commit"] == head);

    test::write_text(rig.policy / "policy.txt", "v2");  // edited, not committed
    s = rig.reload();
    CHECK(s.last_result == "rejected");
    CHECK(rig.dp.pushes.size() == 1);
    CHECK(s.commit == head);  // still the reviewed one
}

TEST_CASE("reload: the loop keeps serving timers and posted work while a compile runs",
          "[reload][thread]") {
    Rig rig;
    std::mutex m;
    std::condition_variable cv;
    bool released = false;
    std::atomic<bool> compiling{false};
    // A slow compile (a huge policy, a slow disk): it waits for the test to
    // release it. The 10 s bound only keeps the old, blocking code from
    // hanging this test: there the loop is stuck until the bound passes.
    rig.compile = [&](const fs::path& dir) {
        compiling = true;
        {
            std::unique_lock lk(m);
            cv.wait_for(lk, std::chrono::seconds(10), [&] { return released; });
        }
        auto b = fake_compile(dir);
        compiling = false;
        return b;
    };
    rig.make_reloader();
    rig.r->request("slow");
    int before = rig.done;
    // While compiling: a timer (stats poll, audit drain) and posted work run.
    bool timer_ran_while_compiling = false, posted_ran_while_compiling = false;
    boost::asio::steady_timer t(rig.io);
    REQUIRE(test::run_until(rig.io, [&] { return compiling.load(); }));
    t.expires_after(std::chrono::milliseconds(1));
    t.async_wait([&](boost::system::error_code) { timer_ran_while_compiling = compiling; });
    boost::asio::post(rig.io, [&] { posted_ran_while_compiling = compiling; });
    REQUIRE(test::run_until(
        rig.io, [&] { return timer_ran_while_compiling; }, std::chrono::seconds(15)));
    CHECK(posted_ran_while_compiling);
    CHECK(rig.r->busy());
    {
        std::lock_guard lk(m);
        released = true;
    }
    cv.notify_all();
    REQUIRE(test::run_until(rig.io, [&] { return rig.done > before && !rig.r->busy(); }));
    CHECK(rig.r->state().last_result == "ok");
    CHECK(rig.dp.pushes.size() == 1);
}

TEST_CASE("reload: destroying the reloader during a compile is safe", "[reload][thread]") {
    Rig rig;
    std::mutex m;
    std::condition_variable cv;
    bool released = false;
    std::atomic<bool> compiling{false};
    // Held until the test releases it, so the result cannot have been
    // handled before the reloader goes away.
    rig.compile = [&](const fs::path& dir) {
        compiling = true;
        std::unique_lock lk(m);
        cv.wait_for(lk, std::chrono::seconds(10), [&] { return released; });
        return fake_compile(dir);
    };
    rig.make_reloader();
    rig.r->request("then destroyed");
    REQUIRE(test::run_until(rig.io, [&] { return compiling.load(); }));
    {
        std::lock_guard lk(m);
        released = true;
    }
    cv.notify_all();
    rig.r.reset();  // joins the worker; its posted result must not run
    rig.io.restart();
    rig.io.run_for(std::chrono::milliseconds(50));
    CHECK(rig.done == 0);
    CHECK(rig.dp.pushes.empty());
}

TEST_CASE("reload: a state file that cannot be written never claims the old generation",
          "[reload][disk]") {
    Rig rig;
    CHECK(rig.reload().generation == 1);
    CHECK(rig.state_json()["generation"] == 1);
    // The atomic writer's temporary name is taken by a directory: every
    // write fails, as on a full /run (ENOSPC), also for root.
    fs::create_directories(rig.state / ("controlplane.json.tmp." + std::to_string(::getpid())));
    test::write_text(rig.policy / "policy.txt", "v2");
    auto s = rig.reload();
    CHECK(s.last_result == "ok");
    CHECK(rig.dp.generation == 2);
    // Either no state file, or one that tells the truth.
    if (fs::exists(rig.state / "controlplane.json")) CHECK(rig.state_json()["generation"] == 2);
    auto stale = [&] {
        for (const auto& f : rig.metrics.Collect())
            if (f.name == "wardgate_policy_state_file_failed") return f.metric.at(0).gauge.value;
        return -1.0;
    };
    CHECK(stale() == 1);
    // Writable again: the next attempt restores it.
    fs::remove(rig.state / ("controlplane.json.tmp." + std::to_string(::getpid())));
    s = rig.reload();
    CHECK(rig.state_json()["generation"] == 2);
    CHECK(stale() == 0);
}
