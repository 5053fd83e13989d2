// The diagnostics corpus: corpus/base is a valid policy; each directory in
// corpus/broken overlays a few files on it to trigger one kind of finding and
// holds the exact expected output (file:line:col: severity[code]: message) in
// expected.txt. Regenerate after a deliberate wording change with
// WG_UPDATE_GOLDEN=1 and review the diff.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "policy/compiler.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using namespace wg::policy;

namespace {

fs::path corpus() {
    return wg::test::source_root() / "tests/common/policy/corpus";
}

std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string run_case(const fs::path& dir, bool& compiled) {
    wg::test::ScratchDir s;
    for (auto& e : fs::directory_iterator(corpus() / "base"))
        fs::copy_file(e.path(), s.path() / e.path().filename());
    for (auto& e : fs::directory_iterator(dir)) {
        if (e.path().filename() == "expected.txt") continue;
        fs::copy_file(e.path(), s.path() / e.path().filename(),
                      fs::copy_options::overwrite_existing);
    }
    auto r = compile_directory(s.path());
    compiled = r.ok();
    std::string out;
    for (auto& d : r.diagnostics) out += format(d) + "\n";
    return out;
}

}  // namespace

TEST_CASE("the corpus base policy is clean", "[corpus]") {
    auto r = compile_directory(corpus() / "base");
    REQUIRE(r.ok());
    CHECK(r.diagnostics.empty());
}

TEST_CASE("each broken policy yields exactly its expected diagnostics", "[corpus]") {
    std::vector<fs::path> cases;
    for (auto& e : fs::directory_iterator(corpus() / "broken")) cases.push_back(e.path());
    std::sort(cases.begin(), cases.end());
    REQUIRE(cases.size() >= 40);
    bool update = std::getenv("WG_UPDATE_GOLDEN") != nullptr;
    for (auto& c : cases) {
        std::string name = c.filename().string();
        DYNAMIC_SECTION(name) {
            bool compiled = false;
            std::string got = run_case(c, compiled);
            if (update) std::ofstream(c / "expected.txt", std::ios::binary) << got;
            std::string want = read(c / "expected.txt");
            REQUIRE_FALSE(want.empty());
            CHECK(got == want);
            // warn-* cases stay valid policies; every other case must fail.
            bool expect_ok = name.starts_with("warn-");
            CHECK(compiled == expect_ok);
            // Every finding names a file and a 1-based line and column.
            std::istringstream lines(got);
            for (std::string line; std::getline(lines, line);) {
                INFO(line);
                auto first = line.find(':');
                REQUIRE(first != std::string::npos);
                bool tagged = line.find(": error[") != std::string::npos ||
                              line.find(": warning[") != std::string::npos;
                CHECK(tagged);
            }
        }
    }
}

TEST_CASE("an empty or missing directory is an error, never an empty policy", "[corpus]") {
    wg::test::ScratchDir s;
    auto r = compile_directory(s.path());
    CHECK_FALSE(r.ok());
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].code == "empty-policy");
    auto m = compile_directory(s.path() / "nope");
    CHECK_FALSE(m.ok());
    REQUIRE_FALSE(m.diagnostics.empty());
    CHECK(m.diagnostics[0].code == "no-policy-dir");
}

TEST_CASE("a bypass entry whose source class has no addresses is left out, not 'any source'",
          "[corpus]") {
    wg::test::ScratchDir s;
    for (auto& e : fs::directory_iterator(corpus() / "base"))
        fs::copy_file(e.path(), s.path() / e.path().filename());
    fs::copy_file(corpus() / "broken/warn-bypass-no-source/extra.yaml", s.path() / "extra.yaml");
    auto r = compile_directory(s.path());
    REQUIRE(r.ok());
    REQUIRE(r.policy->bypass.size() == 1);
    CHECK(r.policy->bypass[0].name == "waveforms");
    CHECK_FALSE(r.policy->bypass[0].src.empty());
}
