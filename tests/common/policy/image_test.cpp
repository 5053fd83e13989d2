// The compiled image: determinism, round trip, and rejection of damaged or
// foreign images.
#include <catch2/catch.hpp>

#include <algorithm>

#include "wire/bytes.hpp"

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

namespace {

std::vector<uint8_t> example_image(CompiledPolicy* out = nullptr) {
    auto r = compile_directory(wg::test::example_policy());
    REQUIRE(r.ok());
    auto bytes = encode_image(*r.policy);
    if (out) *out = *r.policy;
    return bytes;
}

std::string decode_error(std::span<const uint8_t> b) {
    try {
        decode_image(b);
    } catch (const ImageError& e) {
        return e.what();
    }
    return "";
}

void put_u32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + size_t(i)] = uint8_t(v >> (8 * i));
}

}  // namespace

TEST_CASE("decoding rejects damaged and foreign images with a clear error", "[image]") {
    auto good = example_image();
    SECTION("truncated header") {
        CHECK(decode_error(std::span(good).first(10))
                  .starts_with("truncated policy image: 10 bytes"));
    }
    SECTION("truncated body, at every length") {
        // Any prefix of a valid image is refused, never crashes or decodes.
        for (size_t n = 0; n < good.size(); n += 1 + n / 16) {
            INFO("length " << n);
            CHECK(decode_error(std::span(good).first(n)).starts_with("truncated policy image"));
        }
    }
    SECTION("trailing bytes") {
        auto b = good;
        b.push_back(0);
        CHECK(decode_error(b).find("trailing bytes") != std::string::npos);
    }
    SECTION("a flipped bit anywhere in the body fails the checksum") {
        for (size_t i = 16; i < good.size(); i += 97) {
            auto b = good;
            b[i] ^= 0x10;
            INFO("byte " << i);
            CHECK(decode_error(b) == "corrupted policy image: checksum mismatch");
        }
    }
    SECTION("wrong version") {
        auto b = good;
        put_u32(b, 4, kImageSchemaVersion + 1);
        CHECK(decode_error(b).find("schema version " + std::to_string(kImageSchemaVersion + 1) +
                                   " is not supported") != std::string::npos);
    }
    SECTION("bad magic") {
        auto b = good;
        b[0] = 'X';
        CHECK(decode_error(b) == "not a wardgate policy image (bad magic)");
    }
    SECTION("a consistent checksum over tampered content still fails the content hash") {
        // Change one class's mode and recompute the CRC as a careless tool
        // would: the SHA-256 content hash still catches it.
        CompiledPolicy p;
        example_image(&p);
        const std::string original_hash = p.content_hash;
        p.classes[1].mode = p.classes[1].mode == Mode::Enforce ? Mode::Monitor : Mode::Enforce;
        auto tampered = encode_image(p);  // carries the new hash ...
        REQUIRE(p.content_hash != original_hash);
        // ... replace it by the original one (same length), then fix the CRC.
        auto at = std::search(tampered.begin(), tampered.end(), p.content_hash.begin(),
                              p.content_hash.end());
        REQUIRE(at != tampered.end());
        std::copy(original_hash.begin(), original_hash.end(), at);
        std::span<const uint8_t> body(tampered.data() + 16, tampered.size() - 16);
        put_u32(tampered, 12, wg::wire::crc32c(body));
        CHECK(decode_error(tampered) == "corrupted policy image: content hash mismatch");
    }
}

TEST_CASE("content hash ignores comments, layout and the commit", "[image]") {
    wg::test::ScratchDir a, b;
    wg::test::write_minimal_policy(a);
    wg::test::write_minimal_policy(b);
    // Same policy, different comments and line positions.
    b.write("classes.yaml",
            "# a comment that moves every line\n\n" + std::string(wg::test::kMinimalClasses));
    auto ra = compile_directory(a.path());
    auto rb = compile_directory(b.path());
    REQUIRE(ra.ok());
    REQUIRE(rb.ok());
    rb.policy->commit = "0123456789abcdef0123456789abcdef01234567";
    auto ia = encode_image(*ra.policy);
    auto ib = encode_image(*rb.policy);
    CHECK(ra.policy->content_hash == rb.policy->content_hash);
    CHECK(ia != ib);  // locations and commit differ in the bytes
    CHECK(decode_image(ib).commit == "0123456789abcdef0123456789abcdef01234567");
    // A semantic change changes the hash.
    b.write("classes.yaml", R"(kind: DeviceClass
name: pump
mode: monitor
default_action: deny
---
kind: DeviceClass
name: server
mode: enforce
default_action: deny
)");
    auto rc = compile_directory(b.path());
    REQUIRE(rc.ok());
    encode_image(*rc.policy);
    CHECK(rc.policy->content_hash != ra.policy->content_hash);
}
