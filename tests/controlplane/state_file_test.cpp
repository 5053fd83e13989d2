#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "state_file.hpp"
#include "test_util.hpp"

TEST_CASE("state file: the exact shape `wardgate reload` parses", "[state]") {
    wg::cp::ReloadState s;
    s.pid = 4242;
    s.reloads = 5;
    s.last_result = "rejected";
    s.generation = 7;
    s.commit = "0123456789abcdef0123456789abcdef01234567";
    s.hash = "c0ffee";
    s.errors = {"classes.yaml:3:7: error[unknown-class]: no class \"pumps\""};
    s.time_unix = 1764458360;  // 2025-11-29T23:19:20Z
    s.start_time = 123456;
    s.exe = "/usr/bin/wardgate-controlplane";
    auto text = wg::cp::to_json(s);
    CHECK(text.back() == '\n');
    auto j = nlohmann::json::parse(text);
    CHECK(j.size() == 10);
    CHECK(j["start_time"] == 123456);  // who `pid` is, for `wardgate reload`
    CHECK(j["exe"] == s.exe);
    CHECK(j["pid"] == 4242);
    CHECK(j["reloads"] == 5);
    CHECK(j["last_result"] == "rejected");
    CHECK(j["generation"] == 7);
    CHECK(j["commit"] == s.commit);
    CHECK(j["hash"] == "c0ffee");
    REQUIRE(j["errors"].is_array());
    CHECK(j["errors"][0] == s.errors[0]);
    CHECK(j["time"] == "2025-11-29T23:19:20Z");
}

TEST_CASE("state file: written atomically into the state dir", "[state]") {
    wg::test::TempDir dir;
    wg::cp::ReloadState s;
    s.pid = 1;
    s.reloads = 1;
    s.last_result = "ok";
    REQUIRE_FALSE(wg::cp::write_state(dir.path, s).has_value());
    s.reloads = 2;
    REQUIRE_FALSE(wg::cp::write_state(dir.path, s).has_value());
    auto j = nlohmann::json::parse(wg::test::read_text(dir / "controlplane.json"));
    CHECK(j["reloads"] == 2);
}

TEST_CASE("pid file: written at start, removed at exit", "[state]") {
    wg::test::TempDir dir;
    {
        wg::cp::PidFile pf(dir.path);
        REQUIRE_FALSE(pf.acquire().has_value());
        CHECK(std::stoi(wg::test::read_text(dir / "controlplane.pid")) == ::getpid());
    }
    CHECK_FALSE(std::filesystem::exists(dir / "controlplane.pid"));
}

TEST_CASE("pid file: refuses a live owner, takes over a stale one", "[state]") {
    wg::test::TempDir dir;
    // Live: pid 1 always exists.
    wg::test::write_text(dir / "controlplane.pid", "1\n");
    {
        wg::cp::PidFile pf(dir.path);
        auto err = pf.acquire();
        REQUIRE(err.has_value());
        CHECK(err->find("pid 1") != std::string::npos);
    }
    CHECK(wg::test::read_text(dir / "controlplane.pid") == "1\n");  // not removed by the loser

    // Stale: a child that has exited and been reaped.
    pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    REQUIRE(child > 0);
    ::waitpid(child, nullptr, 0);
    wg::test::write_text(dir / "controlplane.pid", std::to_string(child) + "\n");
    wg::cp::PidFile pf(dir.path);
    REQUIRE_FALSE(pf.acquire().has_value());
    CHECK(std::stoi(wg::test::read_text(dir / "controlplane.pid")) == ::getpid());
}
