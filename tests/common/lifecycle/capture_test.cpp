// The capture reader: classic pcap in both byte orders and resolutions,
// pcapng (interfaces, timestamp resolutions, skipped blocks) and every
// refusal of a lying length field.
#include <catch2/catch.hpp>

#include <sstream>

#include "capture_writer.hpp"
#include "lifecycle/capture.hpp"

using namespace wg::lifecycle;
using wg::test::CapBytes;

namespace {

std::vector<CapturedPacket> read_all(const std::string& bytes, std::string* err = nullptr) {
    std::istringstream in(bytes);
    CaptureReader r(in);
    std::vector<CapturedPacket> out;
    CapturedPacket p;
    while (r.next(p)) out.push_back(p);
    if (err) *err = r.error();
    return out;
}

const std::vector<uint8_t> kFrame = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 8, 0, 0x45};

}  // namespace

TEST_CASE("classic pcap, both byte orders and resolutions") {
    for (bool be : {false, true})
        for (bool ns : {false, true}) {
            auto c = wg::test::pcap_file(
                {{1'500'000'123'456'000ull, kFrame}, {1'500'000'124'000'789ull, {9, 9}}}, be, ns);
            std::string err;
            auto v = read_all(c.str(), &err);
            CAPTURE(be, ns);
            REQUIRE(err.empty());
            REQUIRE(v.size() == 2);
            CHECK(v[0].data == kFrame);
            CHECK(v[0].linktype == kLinktypeEthernet);
            CHECK(v[0].ts_ns == (ns ? 1'500'000'123'456'000ull : 1'500'000'123'456'000ull));
            CHECK(v[1].ts_ns == (ns ? 1'500'000'124'000'789ull : 1'500'000'124'000'000ull));
            CHECK(v[1].wire_len == 2);
        }
}

TEST_CASE("pcapng: interfaces, timestamp resolution, skipped blocks") {
    CapBytes c;
    wg::test::ng_shb(c);
    wg::test::ng_idb(c);                                             // interface 0: microseconds
    wg::test::ng_idb(c, 1, 9);                                       // interface 1: nanoseconds
    wg::test::ng_block(c, 5, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});  // statistics: skipped
    wg::test::ng_epb(c, 0, 1'000'000, kFrame);
    wg::test::ng_epb(c, 1, 2'000'000'001ull, {7, 7, 7});
    std::string err;
    auto v = read_all(c.str(), &err);
    REQUIRE(err.empty());
    REQUIRE(v.size() == 2);
    CHECK(v[0].iface == 0);
    CHECK(v[0].ts_ns == 1'000'000'000ull);
    CHECK(v[0].data == kFrame);
    CHECK(v[1].iface == 1);
    CHECK(v[1].ts_ns == 2'000'000'001ull);
    CHECK(v[1].data == std::vector<uint8_t>{7, 7, 7});
}

TEST_CASE("lying lengths are refused with the offset, never read past") {
    std::string err;
    SECTION("not a capture") {
        read_all("hello world, not a pcap", &err);
        CHECK(err.find("not a pcap") != std::string::npos);
    }
    SECTION("truncated packet record") {
        auto s = wg::test::pcap_file({{0, kFrame}}).str();
        read_all(s.substr(0, s.size() - 3), &err);
        CHECK(err.find("truncated") != std::string::npos);
    }
    SECTION("captured length above the cap") {
        CapBytes c = wg::test::pcap_file({});
        c.u32(0).u32(0).u32(kMaxCaptured + 1).u32(kMaxCaptured + 1);
        auto v = read_all(c.str(), &err);
        CHECK(v.empty());
        CHECK(err.find("limit") != std::string::npos);
    }
    SECTION("pcapng block length not a multiple of 4") {
        CapBytes c;
        wg::test::ng_shb(c);
        c.u32(6).u32(33).u32(0);
        read_all(c.str(), &err);
        CHECK(err.find("bad block length") != std::string::npos);
    }
    SECTION("pcapng trailer differs from the header") {
        CapBytes c;
        wg::test::ng_shb(c);
        wg::test::ng_idb(c);
        c.b[c.b.size() - 1] ^= 1;
        read_all(c.str(), &err);
        CHECK(err.find("trailer") != std::string::npos);
    }
    SECTION("packet on an undescribed interface") {
        CapBytes c;
        wg::test::ng_shb(c);
        wg::test::ng_idb(c);
        wg::test::ng_epb(c, 3, 0, kFrame);
        read_all(c.str(), &err);
        CHECK(err.find("interface 3") != std::string::npos);
    }
    SECTION("captured length past its block") {
        CapBytes c;
        wg::test::ng_shb(c);
        wg::test::ng_idb(c);
        wg::test::ng_epb(c, 0, 0, kFrame);
        // The EPB's captured length: after SHB (28), IDB (20), the EPB
        // header (8), interface and timestamp (12).
        const size_t caplen_at = 28 + 20 + 8 + 12;
        c.b[caplen_at] = 200;
        read_all(c.str(), &err);
        CHECK(err.find("past its block") != std::string::npos);
    }
}
