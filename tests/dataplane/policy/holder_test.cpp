// PolicyHolder: install, reject (the running policy stays), the grace
// period, and a reader thread that keeps looking up while the policy is
// reloaded underneath it (run under ASan to catch any use after free).
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <thread>

#include "helpers.hpp"
#include "policy/holder.hpp"
#include "policy/image.hpp"

using namespace wg;
using namespace wg::test;

namespace {

// Generation-dependent policy: 198.18.0.1 is class 1 or 2, so a reader can
// tell which policy its tables came from.
policy::CompiledPolicy versioned(unsigned v) {
    auto p = base_policy(3);
    p.commit = "commit-" + std::to_string(v);
    p.hosts = {host(uint16_t(1 + v % 2), std::nullopt, "198.18.0.1"),
               host(1, mac(1), "198.18.0.2", true)};
    policy::Rule r;
    r.id = 0;
    r.name = "c1/web";
    r.tier = policy::Tier::ClassAllow;
    r.owner_class = 1;
    r.initiator.class_id = uint16_t(1 + v % 2);
    r.responder.class_id = policy::kAnyClass;
    r.proto = policy::Proto::Tcp;
    r.dports = {{443, 443}};
    p.rules = {r};
    return p;
}

std::string temp_path(const char* tag) {
    return "/tmp/wg-dp-policy-" + std::string(tag) + "-" + std::to_string(getpid()) + ".img";
}

}  // namespace

TEST_CASE("holder: no policy until one is loaded", "[holder]") {
    dp::PolicyHolder h(2);
    CHECK(h.current() == nullptr);
    CHECK(h.generation() == 0);
    CHECK(h.hash().empty());
    CHECK(h.commit().empty());
}

TEST_CASE("holder: load an image, then reject a corrupt one", "[holder]") {
    dp::PolicyHolder h(2);
    auto p = versioned(1);
    const std::vector<uint8_t> img = policy::encode_image(p);  // fills p.content_hash
    REQUIRE_FALSE(p.content_hash.empty());

    auto r = h.load_image(img);
    INFO(r.error);
    REQUIRE(r.ok);
    CHECK(r.generation == 1);
    CHECK(h.generation() == 1);
    CHECK(h.hash() == p.content_hash);
    CHECK(h.commit() == "commit-1");
    const dp::PolicyTables* running = h.current();
    REQUIRE(running != nullptr);
    CHECK(running->generation() == 1);

    // Flip one payload byte: the checksum must catch it.
    auto bad = img;
    bad[bad.size() / 2] ^= 0x5a;
    r = h.load_image(bad);
    CHECK_FALSE(r.ok);
    CHECK_FALSE(r.error.empty());
    CHECK(r.generation == 1);
    CHECK(h.current() == running);
    CHECK(h.generation() == 1);
    CHECK(h.hash() == p.content_hash);

    // Truncated.
    r = h.load_image(std::span<const uint8_t>(img.data(), img.size() / 3));
    CHECK_FALSE(r.ok);
    CHECK(h.current() == running);

    // The same content again is accepted without a new generation: the
    // running tables stay (nothing rebuilt, no flow re-evaluated).
    r = h.load_image(img);
    CHECK(r.ok);
    CHECK(r.generation == 1);
    CHECK(h.current() == running);
    // Different content is a new generation.
    auto p2 = versioned(2);
    r = h.load_image(policy::encode_image(p2));
    CHECK(r.ok);
    CHECK(r.generation == 2);
    CHECK(h.current()->generation() == 2);
}

// Item 12: every single-bit flip of a valid image (and every byte inverted)
// is either rejected or decodes to the identical policy; the holder never
// bumps the generation for it. What is covered: the header's magic,
// version and body length are compared exactly, the CRC-32C covers every
// body byte (name, commit, content hash, locations, content) and detects
// every error burst of up to 32 bits, and the SHA-256 content hash is
// recomputed over the content and compared.
TEST_CASE("holder: bit flips anywhere in an image never bump the generation", "[holder]") {
    dp::PolicyHolder h(1);
    auto p = versioned(1);
    const std::vector<uint8_t> img = policy::encode_image(p);
    REQUIRE(h.load_image(img).ok);
    const dp::PolicyTables* running = h.current();
    size_t rejected = 0, identical = 0;
    auto check = [&](const std::vector<uint8_t>& bad) {
        try {
            auto d = policy::decode_image(bad);
            // Accepted only if it is the same policy.
            CHECK(d.content_hash == p.content_hash);
            CHECK(policy::encode_image(d) == img);
            ++identical;
        } catch (const policy::ImageError&) {
            ++rejected;
        }
        auto r = h.load_image(bad);
        CHECK(h.generation() == 1);
        CHECK(h.current() == running);
        if (r.ok) CHECK(r.generation == 1);
    };
    for (size_t i = 0; i < img.size(); ++i) {
        for (unsigned b = 0; b < 8; ++b) {
            auto bad = img;
            bad[i] ^= uint8_t(1u << b);
            check(bad);
        }
        auto inv = img;
        inv[i] ^= 0xff;
        check(inv);
    }
    INFO(img.size() << " bytes, " << rejected << " rejected, " << identical << " identical");
    CHECK(rejected == img.size() * 9);
}

TEST_CASE("holder: an unbuildable policy is rejected and says why", "[holder]") {
    dp::PolicyHolder h(2);
    REQUIRE(h.load_policy(versioned(1)).ok);
    const auto* running = h.current();

    // Decodes fine but cannot be built: expands past the classifier limit.
    auto p = versioned(2);
    policy::Rule& r = p.rules[0];
    r.name = "c1/everything";
    for (unsigned i = 0; i < 500; ++i) {
        r.initiator.prefixes.push_back(
            pfx("10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250)));
        r.responder.prefixes.push_back(
            pfx("10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250)));
    }
    auto res = h.load_image(policy::encode_image(p));
    CHECK_FALSE(res.ok);
    CHECK_THAT(res.error, Catch::Contains("c1/everything"));
    CHECK(res.generation == 1);
    CHECK(h.current() == running);
    CHECK(h.commit() == "commit-1");

    // A policy handed over already decoded is validated by the build too.
    p = versioned(3);
    p.hosts[0].class_id = 42;  // no such class
    p.hosts[0].asset_id = "MON-42";
    res = h.load_policy(p);
    CHECK_FALSE(res.ok);
    CHECK_THAT(res.error, Catch::Contains("MON-42") && Catch::Contains("class id 42"));
    CHECK(h.current() == running);
    CHECK(h.generation() == 1);
}

TEST_CASE("holder: load_file", "[holder]") {
    dp::PolicyHolder h(1);
    const std::string path = temp_path("load");
    auto p = versioned(3);
    {
        const auto img = policy::encode_image(p);
        std::ofstream out(path, std::ios::binary);
        out.write(reinterpret_cast<const char*>(img.data()), std::streamsize(img.size()));
    }
    auto r = h.load_file(path);
    std::remove(path.c_str());
    INFO(r.error);
    CHECK(r.ok);
    CHECK(h.commit() == "commit-3");

    r = h.load_file(path);  // gone now
    CHECK_FALSE(r.ok);
    CHECK_THAT(r.error, Catch::Contains(path));
    CHECK(h.commit() == "commit-3");
}

TEST_CASE("holder: old tables are kept until every reader is quiescent", "[holder]") {
    dp::PolicyHolder h(2);
    h.set_grace_timeout_ms(20);
    REQUIRE(h.load_policy(versioned(1)).ok);

    // This thread is the reader: it holds generation 1 and does not report a
    // quiescent state, so the reload cannot free generation 1.
    h.register_worker(0);
    const dp::PolicyTables* held = h.current();
    uint64_t hook_old = 0, hook_new = 0;
    const dp::PolicyTables* during = nullptr;
    h.set_publish_hook([&](uint64_t o, uint64_t n) {
        hook_old = o;
        hook_new = n;
        during = h.current();
    });
    REQUIRE(h.load_policy(versioned(2)).ok);
    CHECK(hook_old == 1);
    CHECK(hook_new == 2);
    REQUIRE(during != nullptr);
    CHECK(during->generation() == 2);  // published before the grace period
    CHECK(h.parked() == 1);            // generation 1 still referenced: not freed
    // Still readable (ASan would flag a use after free here).
    CHECK(held->generation() == 1);
    CHECK(held->policy().commit == "commit-1");

    h.quiescent(0);
    REQUIRE(h.load_policy(versioned(3)).ok);  // reaps generation 1; 2 waits for us again
    CHECK(h.parked() == 1);
    h.offline(0);  // an offline worker holds nothing up
    REQUIRE(h.load_policy(versioned(4)).ok);
    CHECK(h.parked() == 0);
    CHECK(h.generation() == 4);
}

TEST_CASE("holder: a reader keeps working while policies are reloaded", "[holder]") {
    dp::PolicyHolder h(4);
    h.set_grace_timeout_ms(60000);  // never park: each reload waits for the reader
    REQUIRE(h.load_policy(versioned(0)).ok);

    std::atomic<bool> stop{false}, ready{false};
    std::atomic<uint64_t> iterations{0}, errors{0}, null_seen{0};
    std::thread reader([&] {
        h.register_worker(3);
        ready = true;
        policy::Tuple tu = tuple("198.18.0.1", "198.18.0.9", 6, 40000, 443);
        const dp::PacketMeta m = meta_of(tu);
        const dp::PacketMeta* mp = &m;
        while (!stop.load(std::memory_order_relaxed)) {
            const dp::PolicyTables* t = h.current();
            if (t == nullptr) {
                null_seen++;
            } else {
                // The tables must agree with the policy they were built from.
                const uint16_t want = t->policy().hosts[0].class_id;
                const dp::Ident s = t->identify_src(m, 0), d = t->identify_dst(m, 0);
                dp::FlowDecision out;
                t->classify(&mp, &s, &d, &out, 1);
                if (s.class_id != want || out.rule != 0 || out.action != dp::Action::Forward)
                    errors++;
            }
            iterations++;
            h.quiescent(3);
        }
        h.offline(3);
    });
    while (!ready) std::this_thread::yield();

    const unsigned reloads = 40;
    for (unsigned i = 1; i <= reloads; ++i) {
        const auto r = h.load_policy(versioned(i));
        REQUIRE(r.ok);
    }
    stop = true;
    reader.join();
    CHECK(errors == 0);
    CHECK(null_seen == 0);
    CHECK(h.parked() == 0);
    // Each reload's grace period needed a quiescent report from the reader
    // after the publish, so the reader ran at least once per reload.
    CHECK(iterations >= reloads);
    CHECK(h.generation() == reloads + 1);
}
