// One set of limits (limits.hpp) for the loader and the image codec: what
// `wardgate lint` accepts must encode and decode, and what the decoder would
// refuse must be a located lint error, never a failure at reload time.
#include <catch2/catch.hpp>

#include "policy/compiler.hpp"
#include "policy/image.hpp"
#include "policy/limits.hpp"
#include "test_util.hpp"

using namespace wg::policy;

namespace {

std::string all(const CompileResult& r) {
    std::string s;
    for (auto& d : r.diagnostics) s += format(d) + "\n";
    return s;
}

// The minimal pump class with a `labels:` line carrying `model`.
std::string pump_with_model(const std::string& model) {
    return wg::test::replaced(wg::test::kMinimalClasses, "default_action: deny\negress:",
                              "default_action: deny\nlabels: {model: " + model + "}\negress:");
}

}  // namespace

TEST_CASE("limits: a label longer than the image limit is a located lint error", "[limits]") {
    wg::test::ScratchDir d;
    wg::test::write_minimal_policy(d);
    std::string big(5000, 'x');
    d.write("classes.yaml", pump_with_model(big));
    auto r = compile_directory(d.path());
    INFO(all(r));
    CHECK_FALSE(r.ok());
    CHECK(all(r).find("classes.yaml:5:17: error[too-long]") != std::string::npos);
}

TEST_CASE("limits: an asset id longer than the image limit is a lint error", "[limits]") {
    wg::test::ScratchDir d;
    wg::test::write_minimal_policy(d);
    std::string big(limits::kMaxStringBytes + 1, 'A');
    SECTION("in YAML") {
        d.write("more.yaml", "kind: Inventory\nhosts:\n  - {asset_id: " + big +
                                 ", ip: 198.18.1.7, class: pump}\n");
        auto r = compile_directory(d.path());
        INFO(all(r));
        CHECK_FALSE(r.ok());
        CHECK(all(r).find("more.yaml:3:16: error[too-long]") != std::string::npos);
    }
    SECTION("in an imported CSV") {
        d.write("more.yaml", "kind: Inventory\nimports:\n  - csv: more.csv\n");
        d.write("more.csv", "asset_id,mac,ip,class,zone\n" + big + ",,198.18.1.7,pump,ICU\n");
        auto r = compile_directory(d.path());
        INFO(all(r));
        CHECK_FALSE(r.ok());
        CHECK(all(r).find("more.csv:2:1: error[too-long]") != std::string::npos);
    }
}

TEST_CASE("limits: strings at the limit lint clean and round-trip through the image", "[limits]") {
    wg::test::ScratchDir d;
    wg::test::write_minimal_policy(d);
    std::string at_limit(limits::kMaxStringBytes, 'v');
    d.write("classes.yaml", pump_with_model(at_limit));
    d.write("more.yaml", "kind: Inventory\nhosts:\n  - {asset_id: " + at_limit +
                             ", ip: 198.18.1.7, class: pump}\n");
    auto r = compile_directory(d.path());
    INFO(all(r));
    REQUIRE(r.ok());
    auto bytes = encode_image(*r.policy);
    auto back = decode_image(bytes);
    CHECK(encode_image(back) == bytes);
}

// The dataplane's constraint table holds one protocol per rule in a fixed
// form: the compiler refuses what it could not hold, at the rule.
TEST_CASE("constraints: one protocol per rule, lists that fit the compiled form", "[limits][l7]") {
    wg::test::ScratchDir d;
    wg::test::write_minimal_policy(d);
    SECTION("two protocols on one rule") {
        d.write("classes.yaml", wg::test::replaced(wg::test::kMinimalClasses, "    ports: [443]\n",
                                                   "    ports: [443]\n    constraints:\n"
                                                   "      dicom: {calling_ae_titles: [CART]}\n"
                                                   "      smb: {deny_smbv1: true}\n"));
        auto r = compile_directory(d.path());
        INFO(all(r));
        CHECK_FALSE(r.ok());
        CHECK(all(r).find("error[bad-constraint]") != std::string::npos);
        CHECK(all(r).find("more than one protocol") != std::string::npos);
    }
    SECTION("more than 16 patterns in a list") {
        std::string titles;
        for (int k = 0; k < 17; ++k) titles += (k ? ", T" : "T") + std::to_string(k);
        d.write("classes.yaml", wg::test::replaced(wg::test::kMinimalClasses, "    ports: [443]\n",
                                                   "    ports: [443]\n    constraints:\n"
                                                   "      dicom: {calling_ae_titles: [" +
                                                       titles + "]}\n"));
        auto r = compile_directory(d.path());
        INFO(all(r));
        CHECK_FALSE(r.ok());
        CHECK(all(r).find("at most 16 patterns") != std::string::npos);
    }
    SECTION("one protocol, fitting lists: compiles") {
        d.write("classes.yaml",
                wg::test::replaced(wg::test::kMinimalClasses, "    ports: [443]\n",
                                   "    ports: [443]\n    constraints:\n"
                                   "      dicom: {calling_ae_titles: [\"CART*\"]}\n"));
        auto r = compile_directory(d.path());
        INFO(all(r));
        CHECK(r.ok());
    }
}
