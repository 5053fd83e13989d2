// wardgate replay: the report (flows, rule file:line, class pairs, denied
// list), --against (verdict changes), the CI exit status and its
// acknowledgements (--ack, --ack-file), JSON, and refusals.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "capture_writer.hpp"
#include "commands.hpp"
#include "frames.hpp"
#include "test_util.hpp"

using wg::test::ip4;

namespace {

constexpr uint32_t kPump = ip4(198, 18, 1, 1), kServer = ip4(198, 19, 1, 1);
const std::vector<uint8_t> kPumpMac = {0x00, 0x09, 0xfb, 0x00, 0x00, 0x01};

std::vector<uint8_t> from_pump(std::vector<uint8_t> f) {
    std::copy(kPumpMac.begin(), kPumpMac.end(), f.begin() + 6);
    return f;
}

struct Run {
    int rc;
    std::string out, err;
};
Run run(const wg::cli::Args& a) {
    std::ostringstream o, e;
    int rc = wg::cli::replay(a, o, e);
    return {rc, o.str(), e.str()};
}

// Policy A (the minimal policy: pump -> server tcp/443 allowed), policy B
// (that rule removed), and a capture of one pump -> server:443 connection.
struct Fixture {
    wg::test::ScratchDir a, b, cap;
    std::string pcap;
    Fixture() {
        wg::test::write_minimal_policy(a);
        wg::test::write_minimal_policy(b);
        b.write("classes.yaml", wg::test::replaced(wg::test::kMinimalClasses,
                                                   "  - name: to-server\n    to: {class: server}\n"
                                                   "    proto: tcp\n    ports: [443]\n",
                                                   ""));
        auto c = wg::test::pcap_file(
            {{1'000'000'000ull, from_pump(wg::test::tcp4(kPump, kServer, 40000, 443, 0x02))},
             {1'001'000'000ull, wg::test::tcp4(kServer, kPump, 443, 40000, 0x12)}});
        pcap = (cap.path() / "c.pcap").string();
        std::ofstream(pcap, std::ios::binary) << c.str();
    }
};

}  // namespace

TEST_CASE("replay: one policy, text report") {
    Fixture fx;
    auto r = run({"--policy", fx.a.path().string(), fx.pcap});
    CHECK(r.rc == 0);
    CHECK(r.out.find("tcp 198.18.1.1:40000 -> 198.19.1.1:443  pump -> server  allow  "
                     "pump/to-server (classes.yaml:") != std::string::npos);
    CHECK(r.out.find("pump -> server: allow 1") != std::string::npos);
    CHECK(r.out.find("denied flows (0)") != std::string::npos);
}

TEST_CASE("replay: a policy that denies a flow of the capture fails unless acknowledged") {
    Fixture fx;
    auto r = run({"--policy", fx.b.path().string(), fx.pcap});
    CHECK(r.rc == 1);
    CHECK(r.out.find("denied flows (1)") != std::string::npos);
    CHECK(r.out.find("pump/default") != std::string::npos);
    auto ok = run({"--policy", fx.b.path().string(), "--ack", "pump->server:443/tcp", fx.pcap});
    CHECK(ok.rc == 0);
    CHECK(ok.out.find("0 newly denied flow(s) not acknowledged, 1 acknowledged") !=
          std::string::npos);
    auto other = run({"--policy", fx.b.path().string(), "--ack", "pump->server:22", fx.pcap});
    CHECK(other.rc == 1);
}

TEST_CASE("replay --against: the verdict changes, and the exit status") {
    Fixture fx;
    auto r = run({"--policy", fx.a.path().string(), "--against", fx.b.path().string(), fx.pcap});
    CHECK(r.rc == 1);
    CHECK(r.out.find("verdict changes") != std::string::npos);
    CHECK(r.out.find("allow (pump/to-server (classes.yaml:") != std::string::npos);
    CHECK(r.out.find("-> deny (pump/default (classes.yaml:") != std::string::npos);
    CHECK(r.out.find("NEWLY DENIED") != std::string::npos);
    // The other way round nothing is newly denied: a permission is added.
    auto back = run({"--policy", fx.b.path().string(), "--against", fx.a.path().string(), fx.pcap});
    CHECK(back.rc == 0);
    CHECK(back.out.find("-> allow (pump/to-server") != std::string::npos);

    fx.cap.write("acks",
                 "# reviewed: the pump moves to the new server\n198.18.1.1->198.19.1.0/24:443\n");
    auto acked = run({"--policy", fx.a.path().string(), "--against", fx.b.path().string(),
                      "--ack-file", (fx.cap.path() / "acks").string(), fx.pcap});
    CHECK(acked.rc == 0);
    CHECK(acked.out.find("NEWLY DENIED, acknowledged") != std::string::npos);
}

TEST_CASE("replay --json") {
    Fixture fx;
    auto r = run({"--policy", fx.a.path().string(), "--against", fx.b.path().string(), "--json",
                  "--packets", fx.pcap});
    CHECK(r.rc == 1);
    auto j = nlohmann::json::parse(r.out);
    CHECK(j["packets"] == 2);
    REQUIRE(j["flows"].size() == 1);
    CHECK(j["flows"][0]["verdict"] == "deny");
    CHECK(j["flows"][0]["src_class"] == "pump");
    REQUIRE(j["changes"].size() == 1);
    CHECK(j["changes"][0]["before"]["verdict"] == "allow");
    CHECK(j["changes"][0]["newly_denied"] == true);
    CHECK(j["newly_denied_unacknowledged"] == 1);
    REQUIRE(j["packet_verdicts"].size() == 2);
    CHECK(j["packet_verdicts"][0]["action"] == "drop");
    CHECK(j["packet_verdicts"][1]["reason"] == "reply_without_flow");
    CHECK(j["exit"] == 1);
}

TEST_CASE("replay: refusals") {
    Fixture fx;
    CHECK(run({fx.pcap}).rc == 2);
    CHECK(run({"--policy", fx.a.path().string()}).rc == 2);
    auto bad = run({"--policy", fx.a.path().string(), "--ack", "nonsense", fx.pcap});
    CHECK(bad.rc == 2);
    CHECK(bad.err.find("expected SRC->DST") != std::string::npos);
    fx.cap.write("junk.pcap", "this is not a capture");
    auto junk = run({"--policy", fx.a.path().string(), (fx.cap.path() / "junk.pcap").string()});
    CHECK(junk.rc == 2);
    CHECK(junk.err.find("not a pcap") != std::string::npos);
    auto missing = run({"--policy", fx.a.path().string(), "/nonexistent/x.pcap"});
    CHECK(missing.rc == 2);
    fx.cap.write("acks", "pump->\n");
    auto badack = run({"--policy", fx.a.path().string(), "--ack-file",
                       (fx.cap.path() / "acks").string(), fx.pcap});
    CHECK(badack.rc == 2);
    CHECK(badack.err.find("acks:1:") != std::string::npos);
}
