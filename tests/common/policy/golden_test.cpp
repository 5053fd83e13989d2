// Golden tests of compiled output: the example policy and the corpus base
// compile to exactly the recorded dump (every field, one element per line)
// and image bytes (SHA-256 of the image with the commit cleared, since the
// commit depends on the checkout). Regenerate with WG_UPDATE_GOLDEN=1 after
// a deliberate change and review the dump diff.
#include <catch2/catch.hpp>

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "policy/compiler.hpp"
#include "policy/dump.hpp"
#include "policy/image.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using namespace wg::policy;

namespace {

std::string sha256(const std::vector<uint8_t>& b) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_Digest(b.data(), b.size(), md, &len, EVP_sha256(), nullptr);
    std::string s;
    char x[3];
    for (unsigned i = 0; i < len; ++i) {
        std::snprintf(x, sizeof x, "%02x", md[i]);
        s += x;
    }
    return s;
}

std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void check_golden(const fs::path& dir, const std::string& name) {
    auto r = compile_directory(dir);
    for (auto& d : r.diagnostics) INFO(format(d));
    REQUIRE(r.ok());
    r.policy->commit.clear();
    auto bytes = encode_image(*r.policy);
    std::string got_dump = dump(*r.policy);
    std::string got_sha = sha256(bytes) + "\n";
    fs::path g = wg::test::source_root() / "tests/common/policy/golden";
    if (std::getenv("WG_UPDATE_GOLDEN")) {
        std::ofstream(g / (name + ".dump"), std::ios::binary) << got_dump;
        std::ofstream(g / (name + ".image.sha256"), std::ios::binary) << got_sha;
    }
    CHECK(got_dump == read(g / (name + ".dump")));
    CHECK(got_sha == read(g / (name + ".image.sha256")));
}

}  // namespace

TEST_CASE("golden: the example ICU policy", "[golden]") {
    check_golden(wg::test::example_policy(), "example");
}

TEST_CASE("golden: the corpus base policy", "[golden]") {
    check_golden(wg::test::source_root() / "tests/common/policy/corpus/base", "corpus-base");
}
