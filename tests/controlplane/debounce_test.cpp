#include <catch2/catch.hpp>

#include "debounce.hpp"
#include "policy_watcher.hpp"
#include "test_util.hpp"

using namespace std::chrono_literals;
using wg::cp::Debounce;
using Clock = Debounce::Clock;

TEST_CASE("debounce: a burst of events fires once, after the quiet time", "[debounce]") {
    Debounce d(300ms, 3s);
    auto t0 = Clock::time_point{} + 100s;
    Clock::time_point deadline;
    // 50 events 5 ms apart, like a git pull touching 50 files.
    for (int i = 0; i < 50; ++i) deadline = d.event(t0 + i * 5ms);
    CHECK(deadline == t0 + 49 * 5ms + 300ms);
    // A timer firing early (an older deadline) does not fire the reload.
    CHECK_FALSE(d.due(t0 + 49 * 5ms + 100ms));
    CHECK(d.pending());
    CHECK(d.due(deadline));
    CHECK_FALSE(d.pending());
    // Nothing more without new events.
    CHECK_FALSE(d.due(deadline + 10s));
}

TEST_CASE("debounce: continuous events are cut off at max_delay", "[debounce]") {
    Debounce d(300ms, 2s);
    auto t0 = Clock::time_point{} + 100s;
    Clock::time_point deadline;
    int fires = 0;
    // An event every 100 ms for 5 s never leaves 300 ms of quiet; the cap
    // still forces a reload every 2 s.
    for (int i = 0; i <= 50; ++i) {
        auto now = t0 + i * 100ms;
        if (d.pending() && d.due(now)) ++fires;
        deadline = d.event(now);
        CHECK(deadline <= now + 300ms);
    }
    CHECK(fires == 2);
}

TEST_CASE("debounce: separate bursts fire separately", "[debounce]") {
    Debounce d(300ms, 3s);
    auto t0 = Clock::time_point{} + 100s;
    auto d1 = d.event(t0);
    CHECK(d.due(d1));
    auto d2 = d.event(t0 + 10s);
    CHECK(d2 == t0 + 10s + 300ms);
    CHECK(d.due(d2));
}

TEST_CASE("watcher: ignores editor and git noise, keeps policy files", "[debounce]") {
    using W = wg::cp::PolicyWatcher;
    CHECK(W::relevant_name("classes.yaml"));
    CHECK(W::relevant_name("inventory.csv"));
    CHECK(W::relevant_name("zones"));
    CHECK_FALSE(W::relevant_name(".git"));
    CHECK_FALSE(W::relevant_name(".classes.yaml.swp"));
    CHECK_FALSE(W::relevant_name("classes.yaml~"));
    CHECK_FALSE(W::relevant_name("#classes.yaml#"));
    CHECK_FALSE(W::relevant_name("index.lock"));
}

TEST_CASE("watcher: many file writes become one notification", "[debounce][inotify]") {
    wg::test::TempDir dir;
    std::filesystem::create_directory(dir / "sub");
    boost::asio::io_context io;
    wg::cp::PolicyWatcher w(io, dir.path, 200ms, 5s);
    int calls = 0;
    w.on_change = [&](const std::string&) { ++calls; };
    REQUIRE_FALSE(w.start().has_value());

    // A "git pull": 30 files written and renamed into place, one in a subdir.
    for (int i = 0; i < 30; ++i) {
        auto tmp = dir / (".tmp" + std::to_string(i));
        wg::test::write_text(tmp, "x: " + std::to_string(i) + "\n");
        std::filesystem::rename(tmp, dir / ("f" + std::to_string(i) + ".yaml"));
    }
    wg::test::write_text(dir / "sub" / "more.yaml", "y: 1\n");
    REQUIRE(wg::test::run_until(io, [&] { return calls >= 1; }));
    // Let any stray second notification show up (it must not).
    wg::test::run_until(
        io, [] { return false; }, 600ms);
    CHECK(calls == 1);

    // Editor noise alone does not notify.
    wg::test::write_text(dir / ".f1.yaml.swp", "junk");
    wg::test::run_until(
        io, [] { return false; }, 600ms);
    CHECK(calls == 1);

    // A later edit is a second notification; so is a file in a directory
    // created after the watcher started.
    wg::test::write_text(dir / "f3.yaml", "x: changed\n");
    REQUIRE(wg::test::run_until(io, [&] { return calls >= 2; }));
    std::filesystem::create_directory(dir / "late");
    REQUIRE(wg::test::run_until(io, [&] { return calls >= 3; }));
    wg::test::write_text(dir / "late" / "new.yaml", "z: 1\n");
    REQUIRE(wg::test::run_until(io, [&] { return calls >= 4; }));
    CHECK(w.fired() == 4);
}

TEST_CASE("watcher: a missing directory is an error, not a silent no-op", "[debounce]") {
    boost::asio::io_context io;
    wg::cp::PolicyWatcher w(io, "/nonexistent/wardgate-policy");
    auto err = w.start();
    REQUIRE(err.has_value());
    CHECK(err->find("does not exist") != std::string::npos);
}
