// The compiled image: determinism, round trip, and rejection of damaged or
// foreign images.
#include <catch2/catch.hpp>

#include "policy/compiler.hpp"
#include "policy/image.hpp"
#include "test_util.hpp"

using namespace wg::policy;

TEST_CASE("example policy compiles, encodes and decodes to the same policy", "[image]") {
    auto r = compile_directory(wg::test::example_policy());
    REQUIRE(r.ok());
    auto bytes = encode_image(*r.policy);
    REQUIRE(r.policy->content_hash.size() == 64);
    auto back = decode_image(bytes);
    CHECK(back.content_hash == r.policy->content_hash);
    CHECK(back.commit == r.policy->commit);
    CHECK(back.name == "icu-3-north");
    CHECK(back.classes.size() == r.policy->classes.size());
    CHECK(back.hosts.size() == r.policy->hosts.size());
    CHECK(back.rules.size() == r.policy->rules.size());
    // Re-encoding the decoded policy yields the same bytes.
    CHECK(encode_image(back) == bytes);
}

TEST_CASE("the same policy always compiles to the same bytes", "[image]") {
    auto a = compile_directory(wg::test::example_policy());
    auto b = compile_directory(wg::test::example_policy());
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(encode_image(*a.policy) == encode_image(*b.policy));
}
