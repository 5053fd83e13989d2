// Memory of a compile is bounded by the size of the policy: no small input
// may make the loader, compiler or diagnostics grow out of proportion
// (docs/policy-reference.md#limits, issue 10 "bounded everything"). Each
// case is a small crafted policy compiled in a forked child that the parent
// kills past a resident-memory cap and a deadline, so a regression fails the
// test instead of exhausting the machine; the child reports how much its
// peak RSS grew during the compile.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "policy/compiler.hpp"
#include "policy/diagnostics.hpp"
#include "policy/limits.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using namespace wg::policy;

namespace {

constexpr long kCapKb = 768 * 1024;    // the parent kills the child past this RSS
constexpr long kGrowthKb = 64 * 1024;  // what a bounded compile of these inputs may add

struct Run {
    bool finished = false;  // false: killed (memory cap or deadline)
    bool ok = false;        // the policy compiled
    long growth_kb = -1;    // peak RSS growth of the compile, from the child
    size_t count = 0;       // diagnostics
    std::string diags;      // formatted, one a line
};

long resident_kb(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/statm");
    long size = 0, resident = 0;
    f >> size >> resident;
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

Run compile_bounded(const fs::path& dir) {
    char tmpl[] = "/tmp/wg-amp-XXXXXX";
    int out = mkstemp(tmpl);
    REQUIRE(out >= 0);
    unlink(tmpl);
    pid_t pid = fork();
    if (pid == 0) {  // no Catch assertion may run here
        alarm(30);
        rusage before{};
        getrusage(RUSAGE_SELF, &before);
        std::string text;
        auto r = compile_directory(dir);
        rusage after{};
        getrusage(RUSAGE_SELF, &after);
        text = std::string(r.ok() ? "OK" : "FAIL") + " " +
               std::to_string(after.ru_maxrss - before.ru_maxrss) + " " +
               std::to_string(r.diagnostics.size()) + "\n";
        for (auto& d : r.diagnostics) text += format(d) + "\n";
        for (size_t off = 0; off < text.size();) {
            ssize_t n = write(out, text.data() + off, text.size() - off);
            if (n <= 0) _exit(4);
            off += size_t(n);
        }
        _exit(0);
    }
    REQUIRE(pid > 0);
    int st = 0;
    bool killed = false;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(40);
    while (waitpid(pid, &st, WNOHANG) == 0) {
        if (resident_kb(pid) > kCapKb || std::chrono::steady_clock::now() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            killed = true;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    Run r;
    r.finished = !killed && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    std::string text;
    lseek(out, 0, SEEK_SET);
    char buf[65536];
    for (ssize_t n; (n = read(out, buf, sizeof buf)) > 0;) text.append(buf, size_t(n));
    close(out);
    if (!r.finished) return r;
    auto eol = text.find('\n');
    std::string head = text.substr(0, eol);
    r.ok = head.starts_with("OK ");
    std::sscanf(head.c_str() + head.find(' '), "%ld %zu", &r.growth_kb, &r.count);
    r.diags = text.substr(eol + 1);
    return r;
}

// For INFO: the TAP reporter prints it with every assertion, so one short line.
std::string brief(const std::string& diags) {
    std::string o;
    for (char c : diags.substr(0, 400)) o += c == '\n' ? std::string(" | ") : std::string(1, c);
    return o;
}

bool has(const Run& r, const std::string& s) {
    return r.diags.find(s) != std::string::npos;
}

std::string repeat(const std::string& s, size_t n, const std::string& sep = ", ") {
    std::string o;
    for (size_t i = 0; i < n; ++i) o += (i ? sep : "") + s;
    return o;
}

const char* kClassHead = R"(kind: DeviceClass
name: amp
mode: enforce
default_action: deny
)";

}  // namespace

TEST_CASE("amplification: a ',' where a document starts is a syntax error, not an endless parse",
          "[amplification]") {
    // yaml-cpp 0.7 appended empty documents forever on these (all memory in
    // seconds): the fuzzer's policy_dir out-of-memory finding.
    for (const char* text : {",\n", "kind: Inventory\n---\n,\n", "[a], b\n"}) {
        wg::test::ScratchDir d;
        wg::test::write_minimal_policy(d);
        d.write("bad.yaml", text);
        auto r = compile_bounded(d.path());
        INFO(brief(text + r.diags));
        REQUIRE(r.finished);
        CHECK_FALSE(r.ok);
        CHECK(has(r, "bad.yaml:"));
        CHECK(has(r, ": error[syntax]: YAML syntax error: no document can start here"));
        CHECK(r.growth_kb < kGrowthKb);
    }
}

TEST_CASE("amplification: YAML aliases are refused at the alias", "[amplification]") {
    // 4 KB: 250 aliases of a rule, each with 200 aliases of an invalid port
    // and long names quoted in each message: 50,000 messages of 2 KB (175 MB
    // for `wardgate lint`, 270 MB in the fuzzer) before the fix.
    std::string name(800, 'x'), port(800, 'y');
    std::string text = std::string(kClassHead) + "egress:\n- &r {name: " + name +
                       ", to: {any: true}, proto: tcp, ports: [&p " + port + ", " +
                       repeat("*p", 199) + "]}\n" + repeat("- *r", 249, "\n") + "\n";
    wg::test::ScratchDir d;
    wg::test::write_minimal_policy(d);
    d.write("amp.yaml", text);
    auto r = compile_bounded(d.path());
    INFO(brief(r.diags));
    REQUIRE(r.finished);
    CHECK_FALSE(r.ok);
    // The first alias: line 6, after "- &r {name: " (12), the name (800),
    // ", to: {any: true}, proto: tcp, ports: [&p " (42), the port (800), ", ".
    CHECK(has(r,
              "amp.yaml:6:" + std::to_string(12 + 800 + 42 + 800 + 2 + 1) + ": error[yaml-alias]"));
    CHECK(r.count < 10);
    CHECK(r.growth_kb < kGrowthKb);
}

TEST_CASE("amplification: a long name quoted by each of many errors stays bounded",
          "[amplification]") {
    // No alias: a 20 KB rule name and 20,000 invalid ports (40 KB). Each
    // port's message quoted the name: 400 MB of messages before.
    std::string text = std::string(kClassHead) + "egress:\n- {name: " + std::string(20000, 'n') +
                       ", to: {any: true}, proto: tcp, ports: [" + repeat("x", 20000, ",") + "]}\n";
    wg::test::ScratchDir d;
    wg::test::write_minimal_policy(d);
    d.write("amp.yaml", text);
    auto r = compile_bounded(d.path());
    INFO(brief(r.diags));
    REQUIRE(r.finished);
    CHECK_FALSE(r.ok);
    CHECK(r.count == limits::kMaxDiagnostics + 1);
    CHECK(has(r, ".: error[too-many-diagnostics]: 19"));  // 19,000+ left out
    CHECK(r.diags.size() < limits::kMaxDiagnostics * 512);
    CHECK(r.growth_kb < kGrowthKb);
}

TEST_CASE("amplification: pairwise checks do not multiply diagnostics", "[amplification]") {
    // 3,000 x the same prefix on both sides: 9,000,000 space-conflict errors
    // (pairwise) before; one per core entry now, capped.
    wg::test::ScratchDir d;
    wg::test::write_minimal_policy(d);
    std::string p = "198.18.0.0/16";
    d.write("gateway.yaml", "kind: Gateway\nname: test-gw\nzones: [ICU]\nclinical_space: [" +
                                repeat(p, 3000) + "]\ncore_space: [" + repeat(p, 3000) +
                                "]\nunknown: {mode: monitor, default_action: deny}\n"
                                "address_groups:\n  ntp: [198.19.0.123]\n");
    auto r = compile_bounded(d.path());
    REQUIRE(r.finished);
    CHECK_FALSE(r.ok);
    CHECK(has(r, "error[space-conflict]"));
    CHECK(r.count == limits::kMaxDiagnostics + 1);
    CHECK(has(r, ".: error[too-many-diagnostics]: 2000 more error(s) and 0 more warning(s)"));
    CHECK(r.growth_kb < kGrowthKb);
}

TEST_CASE("amplification: over the cap, left-out warnings keep a policy valid", "[amplification]") {
    // 1,100 unused address groups: 1,100 warnings, the policy is fine.
    wg::test::ScratchDir d;
    wg::test::write_minimal_policy(d);
    std::string groups;
    for (int i = 0; i < 1100; ++i)
        groups += "  g" + std::to_string(i) + ": [198.19.9." + std::to_string(i % 250) + "]\n";
    d.write("gateway.yaml",
            "kind: Gateway\nname: test-gw\nzones: [ICU]\nclinical_space: [198.18.0.0/16]\n"
            "core_space: [0.0.0.0/0]\nunknown: {mode: monitor, default_action: deny}\n"
            "address_groups:\n  ntp: [198.19.0.123]\n" +
                groups);
    auto r = compile_bounded(d.path());
    REQUIRE(r.finished);
    INFO(brief(r.diags));
    CHECK(r.ok);
    CHECK(r.count == limits::kMaxDiagnostics + 1);
    CHECK(has(r, ".: warning[too-many-diagnostics]: 0 more error(s) and 100 more warning(s)"));
}

TEST_CASE("amplification: a group named many times in one peer is copied once", "[amplification]") {
    // A group of 2,000 prefixes named 20,000 times by one rule (40 KB): 40
    // million prefixes (720 MB) before the names were deduplicated.
    std::string cidrs;
    for (int i = 0; i < 2000; ++i)
        cidrs += (i ? ", " : "") + std::string("198.19.") + std::to_string(i / 250) + "." +
                 std::to_string(i % 250) + "/32";
    wg::test::ScratchDir d;
    wg::test::write_minimal_policy(d);
    d.write("gateway.yaml",
            "kind: Gateway\nname: test-gw\nzones: [ICU]\nclinical_space: [198.18.0.0/16]\n"
            "core_space: [0.0.0.0/0]\nunknown: {mode: monitor, default_action: deny}\n"
            "address_groups:\n  ntp: [198.19.0.123]\n  big: [" +
                cidrs + "]\n");
    d.write("amp.yaml", std::string(kClassHead) + "egress:\n- {name: r, to: {group: [" +
                            repeat("big", 20000, ",") + "]}, proto: tcp, ports: [80]}\n");
    auto r = compile_bounded(d.path());
    INFO(brief(r.diags));
    REQUIRE(r.finished);
    CHECK(r.growth_kb < kGrowthKb);
}

TEST_CASE("amplification: rules x address groups are bounded by the classifier's limit",
          "[amplification]") {
    // 300 rules naming a group of 1,000 prefixes: 300,000 IPv4 classifier
    // entries, which the dataplane refuses (more than 200,000) while lint
    // said ok; and rules x group size is quadratic in the policy's size.
    std::string cidrs;
    for (int i = 0; i < 1000; ++i)
        cidrs += (i ? ", " : "") + std::string("198.19.") + std::to_string(i / 250) + "." +
                 std::to_string(i % 250) + "/32";
    std::string rules;
    for (int i = 0; i < 300; ++i)
        rules += "- {name: r" + std::to_string(i) + ", to: {group: big}, proto: tcp, ports: [" +
                 std::to_string(1000 + i) + "]}\n";
    wg::test::ScratchDir d;
    wg::test::write_minimal_policy(d);
    d.write("gateway.yaml",
            "kind: Gateway\nname: test-gw\nzones: [ICU]\nclinical_space: [198.18.0.0/16]\n"
            "core_space: [0.0.0.0/0]\nunknown: {mode: monitor, default_action: deny}\n"
            "address_groups:\n  ntp: [198.19.0.123]\n  big: [" +
                cidrs + "]\n");
    d.write("amp.yaml", std::string(kClassHead) + "egress:\n" + rules);
    auto r = compile_bounded(d.path());
    INFO(brief(r.diags));
    REQUIRE(r.finished);
    CHECK_FALSE(r.ok);
    // Rule 201 (line 5 + 201) is the first over 200,000.
    CHECK(has(r, "amp.yaml:206:3: error[policy-too-large]: with rule 'amp/r200' (1000 IPv4"));
    CHECK(has(r, "more than 200000 classifier entries per address family"));
}

TEST_CASE("amplification: a CSV imported twice is an error, not twice its hosts",
          "[amplification]") {
    wg::test::ScratchDir d;
    wg::test::write_minimal_policy(d);
    d.write("assets.csv", "mac,ip,class,zone,asset_id\n,198.18.7.1,pump,ICU,A1\n");
    d.write("more.yaml",
            "kind: Inventory\nimports:\n  - {csv: assets.csv}\n  - {csv: ./assets.csv}\n");
    auto r = compile_bounded(d.path());
    INFO(brief(r.diags));
    REQUIRE(r.finished);
    CHECK_FALSE(r.ok);
    CHECK(has(r,
              "more.yaml:4:11: error[bad-import]: CSV './assets.csv' (assets.csv) is already "
              "imported at more.yaml:3"));
}

TEST_CASE("amplification: an unknown class on many rows does not multiply the hint search",
          "[amplification]") {
    // 20,000 CSV rows naming one unknown class, 500 classes: the "did you
    // mean" edit distance ran 10 million times (169 s, past this test's 40 s
    // kill). Once per distinct name now.
    wg::test::ScratchDir d;
    wg::test::write_minimal_policy(d);
    std::string classes, rows;
    for (int i = 0; i < 500; ++i)
        classes += "---\nkind: DeviceClass\nname: class-" + std::to_string(1000 + i) +
                   "-abcdefghijklmnopqrstuvwxyz0123456789\nmode: enforce\ndefault_action: deny\n";
    for (int i = 0; i < 20000; ++i)
        rows += ",198.18." + std::to_string(100 + i / 250) + "." + std::to_string(i % 250) +
                ",unknown-class-name-abcdefghijklmnopqrstuvwxyz-0123456789,,\n";
    d.write("many.yaml", classes);
    d.write("more.yaml", "kind: Inventory\nimports: [{csv: rows.csv}]\n");
    d.write("rows.csv", "mac,ip,class,zone,asset_id\n" + rows);
    auto r = compile_bounded(d.path());
    REQUIRE(r.finished);
    INFO(brief(r.diags.substr(std::min(r.diags.size(), r.diags.find("rows.csv:2:")))));
    CHECK_FALSE(r.ok);
    CHECK(has(r,
              "rows.csv:2:15: error[unknown-class]: unknown class "
              "'unknown-class-name-abcdefghijklmnopqrstuvwxyz-0123456789' in inventory entry "
              "(did you mean 'class-1000-abcdefghijklmnopqrstuvwxyz0123456789'?)"));
    CHECK(r.count == limits::kMaxDiagnostics + 1);
}

TEST_CASE("amplification: report() caps the count and the size of diagnostics", "[amplification]") {
    std::vector<Diagnostic> out;
    // A message over the byte cap is cut at a UTF-8 boundary.
    std::string msg(limits::kMaxDiagnosticBytes - 1, 'a');
    msg += "\xC3\xA9\xC3\xA9";  // 'é' x 2 across the cut
    report(out, {Severity::Warning, "w", {"f", 1, 1}, msg});
    REQUIRE(out.size() == 1);
    CHECK(out[0].message.size() == limits::kMaxDiagnosticBytes - 1 + 3);
    CHECK(out[0].message.ends_with("a..."));
    for (size_t i = 1; i < limits::kMaxDiagnostics; ++i)
        report(out, {Severity::Warning, "w", {"f", 1, 1}, "m"});
    CHECK(out.size() == limits::kMaxDiagnostics);
    report(out, {Severity::Warning, "w", {"f", 1, 1}, "m"});
    REQUIRE(out.size() == limits::kMaxDiagnostics + 1);
    CHECK(out.back().code == "too-many-diagnostics");
    CHECK(out.back().severity == Severity::Warning);
    report(out, {Severity::Error, "e", {"f", 1, 1}, "m"});
    report(out, {Severity::Warning, "w", {"f", 1, 1}, "m"});
    REQUIRE(out.size() == limits::kMaxDiagnostics + 1);
    CHECK(out.back().severity == Severity::Error);  // a left-out error still rejects
    CHECK(out.back().message.starts_with("1 more error(s) and 2 more warning(s)"));
}

TEST_CASE("amplification: YAML values are counted before any is built, per file and per policy",
          "[amplification]") {
    // A flow list of one-character items is 2 bytes of input per node, and
    // yaml-cpp builds ~500 bytes per node: 2.2 MB (far under the 16 MiB file
    // limit) took ~550 MB before the node cap.
    const std::string items = "[" + repeat("a", limits::kMaxYamlNodesPerFile + 1000, ",") + "]\n";
    {
        wg::test::ScratchDir d;
        wg::test::write_minimal_policy(d);
        d.write("big.yaml", std::string(kClassHead) + "labels: " + items);
        auto r = compile_bounded(d.path());
        INFO(brief(r.diags));
        REQUIRE(r.finished);
        CHECK_FALSE(r.ok);
        CHECK(has(r, "big.yaml:5:"));
        CHECK(has(r, "error[policy-too-large]: more than 1000000 YAML values in one file"));
#if defined(__SANITIZE_ADDRESS__)
        // ASan keeps freed memory in its quarantine (256 MB by default), so
        // the scanner's short-lived tokens show up as growth; without the
        // cap the nodes alone would be ~500 MB more.
        CHECK(r.growth_kb < kGrowthKb + 448 * 1024);
#else
        CHECK(r.growth_kb < kGrowthKb);
#endif
    }
#if !defined(__SANITIZE_ADDRESS__)
    // Not under ASan: scanning four million values there takes longer than
    // the child's deadline; the release suite runs it (about 9 s).
    {
        // Five files just under the per-file cap: the fifth crosses the
        // policy's four million and is refused.
        const std::string part =
            "[" + repeat("a", limits::kMaxYamlNodesPerFile - 1000, ",") + "]\n";
        wg::test::ScratchDir d;
        wg::test::write_minimal_policy(d);
        for (int i = 0; i < 5; ++i)
            d.write("part" + std::to_string(i) + ".yaml",
                    "kind: DeviceClass\nname: amp" + std::to_string(i) +
                        "\nmode: enforce\ndefault_action: deny\nlabels: " + part);
        auto r = compile_bounded(d.path());
        INFO(brief(r.diags));
        REQUIRE(r.finished);
        CHECK_FALSE(r.ok);
        CHECK(has(r, "error[policy-too-large]: more than 4000000 YAML values in the policy"));
    }
#endif
}
