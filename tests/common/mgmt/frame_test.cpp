#include <catch2/catch.hpp>

#include "mgmt/frame.hpp"
#include "wire/bytes.hpp"

using namespace wg::mgmt;

TEST_CASE("a frame round-trips through the decoder", "[mgmt]") {
    std::vector<uint8_t> payload{1, 2, 3, 4, 5};
    auto bytes = encode_frame(MsgType::StatsRequest, 77, payload);
    REQUIRE(bytes.size() == kHeaderSize + payload.size());
    FrameDecoder d;
    d.feed(bytes);
    auto f = d.next();
    REQUIRE(f);
    CHECK(f->type == MsgType::StatsRequest);
    CHECK(f->request_id == 77);
    CHECK(f->payload == payload);
    CHECK_FALSE(d.next());
    CHECK(d.pending() == 0);
}

TEST_CASE("frames split at every byte boundary reassemble", "[mgmt]") {
    std::vector<uint8_t> stream;
    for (uint32_t i = 0; i < 3; ++i) {
        std::vector<uint8_t> p(i * 10, static_cast<uint8_t>(i));
        auto b = encode_frame(MsgType::StatusRequest, i, p);
        stream.insert(stream.end(), b.begin(), b.end());
    }
    for (size_t cut = 0; cut <= stream.size(); ++cut) {
        FrameDecoder d;
        std::vector<Frame> got;
        d.feed({stream.data(), cut});
        while (auto f = d.next()) got.push_back(*f);
        d.feed({stream.data() + cut, stream.size() - cut});
        while (auto f = d.next()) got.push_back(*f);
        REQUIRE(got.size() == 3);
        for (uint32_t i = 0; i < 3; ++i) {
            CHECK(got[i].request_id == i);
            CHECK(got[i].payload.size() == i * 10);
        }
    }
}

TEST_CASE("a truncated frame yields nothing and stays pending", "[mgmt]") {
    auto bytes = encode_frame(MsgType::StatusRequest, 1, std::vector<uint8_t>(100, 9));
    FrameDecoder d;
    d.feed({bytes.data(), bytes.size() - 1});
    CHECK_FALSE(d.next());
    CHECK(d.pending() == bytes.size() - 1);
    d.feed({bytes.data(), 5});  // header only partially there: still nothing
    FrameDecoder d2;
    d2.feed({bytes.data(), 5});
    CHECK_FALSE(d2.next());
}

TEST_CASE("an oversized frame is rejected from its header alone", "[mgmt]") {
    wg::wire::Writer w;
    w.put<uint32_t>(kMagic);
    w.put<uint16_t>(kVersion);
    w.put<uint16_t>(1);
    w.put<uint32_t>(5);
    w.put<uint32_t>(kMaxPayload + 1);
    FrameDecoder d;
    d.feed(w.data());
    CHECK_THROWS_AS(d.next(), ProtocolError);

    FrameDecoder small(1024);
    auto b = encode_frame(MsgType::StatusRequest, 1, std::vector<uint8_t>(2000));
    small.feed({b.data(), kHeaderSize});
    CHECK_THROWS_WITH(small.next(), Catch::Contains("exceeds the limit"));
}

TEST_CASE("encode refuses payloads above the maximum", "[mgmt]") {
    std::vector<uint8_t> big(kMaxPayload + 1);
    CHECK_THROWS_AS(encode_frame(MsgType::LoadPolicyRequest, 1, big), ProtocolError);
}

TEST_CASE("bad magic and wrong version are rejected", "[mgmt]") {
    auto b = encode_frame(MsgType::StatusRequest, 1, {});
    auto bad = b;
    bad[0] ^= 0xff;
    FrameDecoder d;
    d.feed(bad);
    CHECK_THROWS_WITH(d.next(), Catch::Contains("magic"));

    auto v2 = b;
    v2[4] = 2;
    FrameDecoder d2;
    d2.feed(v2);
    CHECK_THROWS_WITH(d2.next(), Catch::Contains("version 2"));
}

// A header alone announcing `len` bytes of type `type`.
static std::vector<uint8_t> header(uint16_t type, uint32_t len) {
    wg::wire::Writer w;
    w.put<uint32_t>(kMagic);
    w.put<uint16_t>(kVersion);
    w.put<uint16_t>(type);
    w.put<uint32_t>(1);
    w.put<uint32_t>(len);
    return w.take();
}

TEST_CASE("per-type limits: only a policy image may announce a big payload", "[mgmt]") {
    // A Status request carries nothing: 1 MiB is refused from the header.
    FrameDecoder d;
    d.feed(header(static_cast<uint16_t>(MsgType::StatusRequest), 1u << 20));
    CHECK_THROWS_WITH(d.next(), Catch::Contains("exceeds the limit of 65536"));
    // Unknown types get the small limit too.
    FrameDecoder u;
    u.feed(header(0x55, kMaxSmallPayload + 1));
    CHECK_THROWS_AS(u.next(), ProtocolError);
    // A policy image of 32 MiB is fine (waits for its payload).
    FrameDecoder l;
    l.feed(header(static_cast<uint16_t>(MsgType::LoadPolicyRequest), 32u << 20));
    CHECK_FALSE(l.next().has_value());
    CHECK(l.pending() == kHeaderSize);
    // A small request at its limit decodes.
    FrameDecoder ok;
    ok.feed(encode_frame(MsgType::TestHookRequest, 3, std::vector<uint8_t>(kMaxSmallPayload)));
    CHECK(ok.next().has_value());
}
