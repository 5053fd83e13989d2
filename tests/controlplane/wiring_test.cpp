// The control plane's periodic work and its one resync owner: the stats
// poller feeds the collector and reports each status, the resync owner turns
// "the dataplane runs something we did not push" into one reload, the audit
// drainer stops asking a dataplane without audit support until it reconnects.
#include <catch2/catch.hpp>

#include "audit_drainer.hpp"
#include "fake_dataplane.hpp"
#include "reloader.hpp"
#include "resync.hpp"
#include "stats_poller.hpp"
#include "test_util.hpp"

using namespace wg;
namespace fs = std::filesystem;

namespace {

std::string hash_of(const std::vector<uint8_t>& img) {
    return "h" + std::string(img.begin(), img.end());
}

cp::CompiledBundle compile_text(const fs::path& dir) {
    cp::CompiledBundle b;
    std::string text = test::read_text(dir / "policy.txt");
    auto p = std::make_shared<policy::CompiledPolicy>();
    b.image.assign(text.begin(), text.end());
    b.hash = hash_of(b.image);
    p->content_hash = b.hash;
    b.policy = p;
    b.ok = true;
    return b;
}

struct Wiring {
    test::TempDir dir;
    boost::asio::io_context io;
    test::FakeDataplane dp{io, (dir / "dp.sock").string(), hash_of};
    cp::DpClient client{io, (dir / "dp.sock").string()};
    cp::DataplaneCollector collector;
    std::unique_ptr<cp::Reloader> reloader;
    std::unique_ptr<cp::Resync> resync;
    std::unique_ptr<cp::StatsPoller> stats;
    int reloads = 0;

    Wiring() {
        fs::create_directories(dir / "policy");
        test::write_text(dir / "policy" / "policy.txt", "v1");
        cp::ReloaderConfig cfg;
        cfg.policy_dir = dir / "policy";
        cfg.push_timeout = std::chrono::milliseconds(500);
        reloader = std::make_unique<cp::Reloader>(io, client, cfg, compile_text, nullptr, nullptr,
                                                  nullptr, nullptr);
        resync = std::make_unique<cp::Resync>(reloader.get());
        stats =
            std::make_unique<cp::StatsPoller>(io, client, collector, std::chrono::milliseconds(20));
        reloader->on_done = [this](const cp::ReloadState&) {
            ++reloads;
            resync->on_reload_done();
        };
        stats->on_status = [this](const mgmt::Status& st) { resync->on_status(st); };
        client.on_connect = [this] { resync->on_connect(); };
        dp.start();
    }
    ~Wiring() {
        stats->stop();
        client.stop();
    }
};

}  // namespace

TEST_CASE("resync: connect loads the policy; a policy changed under us is restored once",
          "[wiring]") {
    Wiring w;
    w.client.start();
    w.stats->start();
    REQUIRE(test::run_until(w.io, [&] { return w.reloads == 1 && !w.reloader->busy(); }));
    CHECK(w.dp.pushes.size() == 1);
    CHECK(w.dp.generation == 1);
    // Polls that agree with us resynchronise nothing.
    int polls = w.dp.stats_requests;
    REQUIRE(test::run_until(w.io, [&] { return w.dp.stats_requests >= polls + 3; }));
    CHECK(w.reloads == 1);
    CHECK(w.dp.pushes.size() == 1);

    // Someone else loads another policy: the next poll notices, one reload
    // restores ours.
    w.dp.generation = 5;
    w.dp.hash = "hsomething-else";
    REQUIRE(test::run_until(w.io, [&] { return w.reloads == 2 && !w.reloader->busy(); }));
    CHECK(w.dp.pushes.size() == 2);
    CHECK(w.dp.hash == "hv1");
    CHECK(w.reloader->state().generation == 6);
    polls = w.dp.stats_requests;
    REQUIRE(test::run_until(w.io, [&] { return w.dp.stats_requests >= polls + 3; }));
    CHECK(w.reloads == 2);
}

TEST_CASE("resync: a status before the first attempt does not trigger a reload", "[wiring]") {
    Wiring w;
    mgmt::Status st;
    st.policy_generation = 3;
    st.policy_hash = "hx";
    w.resync->on_status(st);
    CHECK_FALSE(w.reloader->busy());
    w.resync->on_reload_done();
    w.resync->on_status(st);
    CHECK(w.reloader->busy());  // asked (the dataplane is not even connected)
    REQUIRE(test::run_until(w.io, [&] { return !w.reloader->busy(); }));
}

TEST_CASE("audit drainer: an old dataplane is not asked again until it reconnects", "[wiring]") {
    test::TempDir dir;
    boost::asio::io_context io;
    test::FakeDataplane dp{io, (dir / "dp.sock").string(), hash_of};
    dp.serves_audit = false;
    dp.start();
    cp::DpClient client{io, (dir / "dp.sock").string()};
    cp::AuditLog log(cp::AuditConfig{}, nullptr);
    cp::AuditDrainer drainer(io, client, log, std::chrono::milliseconds(10));
    client.start();
    REQUIRE(test::run_until(io, [&] { return client.connected(); }));
    drainer.start();
    REQUIRE(test::run_until(io, [&] { return !drainer.supported(); }));
    int asked = dp.audit_drains;
    CHECK(asked == 1);
    dp.serves_audit = true;
    drainer.on_connect();
    REQUIRE(test::run_until(io, [&] { return dp.audit_drains > asked + 2; }));
    CHECK(drainer.supported());
    drainer.stop();
    client.stop();
}
