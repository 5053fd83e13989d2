// How the loader treats the files it reads: every policy file or CSV that
// should be read and cannot be is an error (never a silently smaller
// policy); paths are resolved before the containment check; special files
// and oversized files are refused. Each load runs in a forked child with a
// deadline and a memory cap, so a regression (a FIFO that blocks, /dev/zero
// read without bound) fails the test instead of hanging or exhausting it.
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "policy/compiler.hpp"
#include "policy/limits.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using namespace wg::policy;

namespace {

struct ChildResult {
    bool finished = false;  // false: killed at the deadline
    bool ok = false;        // the policy compiled
    std::string diags;      // formatted diagnostics, one a line
};

constexpr uid_t kNobody = 65534;

// AddressSanitizer reserves terabytes of shadow address space up front, so an
// address-space limit makes its next mapping fail and the child abort. Under
// ASan the unbounded-read cases are bounded by ASan's allocator instead.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kUnderAsan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kUnderAsan = true;
#else
constexpr bool kUnderAsan = false;
#endif
#else
constexpr bool kUnderAsan = false;
#endif

// Compiles `dir` in a child process, optionally as `uid` (root reads
// everything; an unprivileged child sees permission errors as a service
// account would). The child gets 20 s and (outside ASan) 2 GiB of address
// space.
ChildResult compile_in_child(const fs::path& dir, std::optional<uid_t> uid = std::nullopt) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    // No Catch assertion may run in the child: its reporter would print
    // there too and the TAP stream would count it twice.
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        if (!kUnderAsan) {
            rlimit as{2UL << 30, 2UL << 30};
            setrlimit(RLIMIT_AS, &as);
        }
        alarm(20);
        if (uid && (setresgid(*uid, *uid, *uid) != 0 || setresuid(*uid, *uid, *uid) != 0)) _exit(3);
        std::string out;
        try {
            auto r = compile_directory(dir);
            out = r.ok() ? "OK\n" : "FAIL\n";
            for (auto& d : r.diagnostics) out += format(d) + "\n";
        } catch (const std::exception& e) {
            out = std::string("EXCEPTION\n") + e.what() + "\n";
        }
        for (size_t off = 0; off < out.size();) {
            ssize_t n = write(fds[1], out.data() + off, out.size() - off);
            if (n <= 0) _exit(4);
            off += size_t(n);
        }
        _exit(0);
    }
    close(fds[1]);
    REQUIRE(pid > 0);
    std::string got;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(25);
    bool eof = false;
    while (!eof && std::chrono::steady_clock::now() < deadline) {
        pollfd p{fds[0], POLLIN, 0};
        if (poll(&p, 1, 200) <= 0) continue;
        char buf[4096];
        ssize_t n = read(fds[0], buf, sizeof buf);
        if (n <= 0)
            eof = true;
        else
            got.append(buf, size_t(n));
    }
    close(fds[0]);
    if (!eof) kill(pid, SIGKILL);
    int st = 0;
    waitpid(pid, &st, 0);
    ChildResult r;
    r.finished = eof && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    r.ok = got.starts_with("OK\n");
    r.diags = got;
    return r;
}

// A scratch policy an unprivileged child can traverse and read.
void open_up(const wg::test::ScratchDir& d) {
    fs::permissions(d.path(), fs::perms(0755));
    for (auto& e : fs::recursive_directory_iterator(d.path()))
        if (!e.is_symlink())
            fs::permissions(e.path(), e.is_directory() ? fs::perms(0755) : fs::perms(0644));
}

const char* kGuardrails = R"(kind: Guardrails
rules:
  - {name: no-smb-out, to: {any: true}, proto: tcp, ports: [445]}
  - {name: no-telnet, to: {any: true}, proto: tcp, ports: [23]}
  - {name: no-rdp, to: {any: true}, proto: tcp, ports: [3389]}
)";

// Permission cases drop to nobody, which only root can do; as another user
// they cannot be set up (the files would be readable), so they skip.
bool can_drop_privileges() {
    if (geteuid() == 0) return true;
    WARN("not root: permission case skipped");
    return false;
}

bool has(const ChildResult& r, const std::string& s) {
    return r.diags.find(s) != std::string::npos;
}

// The load finished (no hang, no crash) and was rejected with `diag`.
void check_rejected(const ChildResult& r, const std::string& diag) {
    INFO(r.diags);
    CHECK(r.finished);
    CHECK_FALSE(r.ok);
    CHECK(has(r, diag));
}

}  // namespace

TEST_CASE("files: the minimal policy compiles in the harness, as root and as nobody", "[files]") {
    wg::test::ScratchDir d;
    wg::test::write_minimal_policy(d);
    d.write("guardrails.yaml", kGuardrails);
    open_up(d);
    auto r = compile_in_child(d.path());
    INFO(r.diags);
    CHECK(r.finished);
    CHECK(r.ok);
    if (!can_drop_privileges()) return;
    auto n = compile_in_child(d.path(), kNobody);
    INFO(n.diags);
    CHECK(n.finished);
    CHECK(n.ok);
}

TEST_CASE("files: a policy file the loader cannot open is an error", "[files]") {
    if (!can_drop_privileges()) return;
    wg::test::ScratchDir d;
    wg::test::write_minimal_policy(d);
    d.write("guardrails.yaml", kGuardrails);
    open_up(d);
    fs::permissions(d.path() / "guardrails.yaml", fs::perms(0600));  // root-only
    auto r = compile_in_child(d.path(), kNobody);
    check_rejected(r, "guardrails.yaml: error[unreadable-file]");
}

TEST_CASE("files: a dangling symlink named *.yaml is an error", "[files]") {
    wg::test::ScratchDir d;
    wg::test::write_minimal_policy(d);
    fs::create_symlink(d.path() / "moved-away.yaml", d.path() / "guardrails.yaml");
    auto r = compile_in_child(d.path());
    check_rejected(r, "guardrails.yaml: error[unreadable-file]");
}

TEST_CASE("files: a subdirectory the loader cannot list is an error", "[files]") {
    if (!can_drop_privileges()) return;
    wg::test::ScratchDir d;
    wg::test::write_minimal_policy(d);
    d.write("guardrails/base.yaml", kGuardrails);
    open_up(d);
    fs::permissions(d.path() / "guardrails", fs::perms(0700));
    auto r = compile_in_child(d.path(), kNobody);
    check_rejected(r, "guardrails: error[unreadable-file]");
}

TEST_CASE("files: an empty (truncated) policy file is an error", "[files]") {
    wg::test::ScratchDir d;
    wg::test::write_minimal_policy(d);
    SECTION("zero bytes") {
        d.write("guardrails.yaml", "");
    }
    SECTION("only comments") {
        d.write("guardrails.yaml", "# guardrails\n\n");
    }
    auto r = compile_in_child(d.path());
    check_rejected(r, "guardrails.yaml:1:1: error[empty-file]");
}

TEST_CASE("files: an inventory CSV the loader cannot read is an error", "[files]") {
    if (!can_drop_privileges()) return;
    wg::test::ScratchDir d;
    wg::test::write_minimal_policy(d);
    d.write("assets.yaml", "kind: Inventory\nimports:\n  - csv: assets.csv\n");
    d.write("assets.csv", "asset_id,mac,ip,class,zone\nP9,,198.18.1.9,pump,ICU\n");
    open_up(d);
    fs::permissions(d.path() / "assets.csv", fs::perms(0600));
    auto r = compile_in_child(d.path(), kNobody);
    check_rejected(r, "assets.yaml:3:10: error[bad-import]");
}

TEST_CASE("files: symlinks out of the policy directory are refused", "[files]") {
    wg::test::ScratchDir outside;
    outside.write("secret.csv", "asset_id,mac,ip,class,zone\nTOPSECRET,,198.18.1.9,pump,ICU\n");
    outside.write("extra.yaml", kGuardrails);
    wg::test::ScratchDir d;
    wg::test::write_minimal_policy(d);
    SECTION("a CSV import") {
        d.write("assets.yaml", "kind: Inventory\nimports:\n  - csv: assets.csv\n");
        fs::create_symlink(outside.path() / "secret.csv", d.path() / "assets.csv");
        auto r = compile_in_child(d.path());
        check_rejected(r, "assets.yaml:3:10: error[bad-import]");
        CHECK(has(r, "outside the policy directory"));
        CHECK_FALSE(has(r, "TOPSECRET"));
    }
    SECTION("a YAML file found by the walk") {
        fs::create_symlink(outside.path() / "extra.yaml", d.path() / "extra.yaml");
        auto r = compile_in_child(d.path());
        check_rejected(r, "extra.yaml: error[outside-policy-dir]");
    }
}

TEST_CASE("files: a symlink that stays inside the policy directory is followed", "[files]") {
    wg::test::ScratchDir d;
    wg::test::write_minimal_policy(d);
    d.write("exports/assets-2026.csv", "asset_id,mac,ip,class,zone\nP9,,198.18.1.9,pump,ICU\n");
    fs::create_symlink("exports/assets-2026.csv", d.path() / "assets.csv");
    d.write("assets.yaml", "kind: Inventory\nimports:\n  - csv: assets.csv\n");
    auto r = compile_in_child(d.path());
    INFO(r.diags);
    CHECK(r.finished);
    CHECK(r.ok);
}

TEST_CASE("files: special files are refused without blocking", "[files]") {
    wg::test::ScratchDir d;
    wg::test::write_minimal_policy(d);
    SECTION("a FIFO as CSV") {
        d.write("assets.yaml", "kind: Inventory\nimports:\n  - csv: assets.csv\n");
        REQUIRE(mkfifo((d.path() / "assets.csv").c_str(), 0644) == 0);
        auto r = compile_in_child(d.path());
        check_rejected(r, "assets.yaml:3:10: error[bad-import]");
        CHECK(has(r, "not a regular file"));
    }
    SECTION("a FIFO named *.yaml") {
        REQUIRE(mkfifo((d.path() / "extra.yaml").c_str(), 0644) == 0);
        auto r = compile_in_child(d.path());
        check_rejected(r, "extra.yaml: error[not-regular-file]");
    }
    SECTION("/dev/zero as CSV, through a symlink") {
        d.write("assets.yaml", "kind: Inventory\nimports:\n  - csv: assets.csv\n");
        fs::create_symlink("/dev/zero", d.path() / "assets.csv");
        auto r = compile_in_child(d.path());
        check_rejected(r, "assets.yaml:3:10: error[bad-import]");
    }
    SECTION("/dev/zero named *.yaml, through a symlink") {
        fs::create_symlink("/dev/zero", d.path() / "zero.yaml");
        auto r = compile_in_child(d.path());
        check_rejected(r, "zero.yaml: error[");
    }
}

TEST_CASE("files: oversized files and policies are refused before parsing", "[files]") {
    wg::test::ScratchDir d;
    wg::test::write_minimal_policy(d);
    SECTION("one YAML file over the per-file limit") {
        d.write("big.yaml", "kind: Guardrails\n");
        fs::resize_file(d.path() / "big.yaml", limits::kMaxFileBytes + 1);  // sparse
        auto r = compile_in_child(d.path());
        check_rejected(r, "big.yaml: error[file-too-large]");
    }
    SECTION("one CSV over the per-file limit") {
        d.write("assets.yaml", "kind: Inventory\nimports:\n  - csv: assets.csv\n");
        d.write("assets.csv", "asset_id,mac,ip,class,zone\n");
        fs::resize_file(d.path() / "assets.csv", limits::kMaxFileBytes + 1);
        auto r = compile_in_child(d.path());
        check_rejected(r, "assets.yaml:3:10: error[bad-import]");
        CHECK(has(r, "larger than"));
    }
    SECTION("files each under the limit, together over the per-policy limit") {
        size_t n = limits::kMaxPolicyBytes / limits::kMaxFileBytes + 1;
        for (size_t i = 0; i < n; ++i) {
            auto name = "part-" + std::to_string(i) + ".yaml";
            d.write(name, "# part\n");
            fs::resize_file(d.path() / name, limits::kMaxFileBytes);
        }
        auto r = compile_in_child(d.path());
        check_rejected(r, "error[policy-too-large]");
    }
}
