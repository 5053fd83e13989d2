// Dual-stack devices (issue 12): a device is one MAC with any number of
// addresses. Inline `ip:` lists and CSV rows with the same MAC merge into one
// device; a different class or zone for one MAC is a conflict; a binding
// covers every address of the device, IPv4 and IPv6 alike.
#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

#include "commands.hpp"

#include "policy/compiler.hpp"
#include "policy/diff.hpp"
#include "policy/evaluate.hpp"
#include "policy/net.hpp"
#include "test_util.hpp"

using namespace wg::policy;
using wg::test::ScratchDir;

namespace {

void write_dual_stack(const ScratchDir& d, const std::string& inventory) {
    wg::test::write_minimal_policy(d);
    d.write("gateway.yaml", R"(kind: Gateway
name: test-gw
zones: [ICU, NICU]
clinical_space: [198.18.0.0/16, "2001:2::/48"]
core_space: [0.0.0.0/0, "::/0"]
unknown: {mode: monitor, default_action: deny}
spoofed_class: quarantine
address_groups:
  ntp: [198.19.0.123]
)");
    d.write("quarantine.yaml",
            "kind: DeviceClass\nname: quarantine\nmode: enforce\ndefault_action: deny\n");
    d.write("inventory.yaml", inventory);
}

std::array<uint8_t, 16> addr(const std::string& s) {
    std::string e;
    auto p = net::parse_ip(s, e);
    REQUIRE(p);
    return p->addr;
}
uint8_t family(const std::string& s) {
    return s.find(':') == std::string::npos ? 4 : 6;
}
std::array<uint8_t, 6> mac(const std::string& s) {
    std::string e;
    auto m = net::parse_mac(s, e);
    REQUIRE(m);
    return *m;
}

Identity who(const CompiledPolicy& p, const std::string& ip, const std::string& m) {
    return identify(p, addr(ip), family(ip), mac(m), 0);
}

std::string diags(const CompileResult& r) {
    std::string s;
    for (auto& d : r.diagnostics) s += format(d) + "\n";
    return s;
}

uint16_t class_id(const CompiledPolicy& p, const std::string& n) {
    for (auto& c : p.classes)
        if (c.name == n) return c.id;
    FAIL("no class " << n);
    return 0;
}

constexpr const char* kPumpMac = "00:09:fb:00:00:01";
constexpr const char* kForeignMac = "02:00:00:00:66:66";

void check_bound_both_families(const CompiledPolicy& p) {
    for (const char* ip : {"198.18.1.1", "2001:2::1"}) {
        INFO(ip);
        auto own = who(p, ip, kPumpMac);
        CHECK(own.how == "mac+ip binding");
        CHECK(own.class_id == class_id(p, "pump"));
        // A foreign MAC taking either address does not inherit the pump's
        // permissions: it is the spoofed class.
        auto foreign = who(p, ip, kForeignMac);
        CHECK(foreign.spoofed);
        CHECK(foreign.class_id == class_id(p, "quarantine"));
    }
}

}  // namespace

TEST_CASE("inventory: an inline ip list makes one dual-stack device", "[inventory]") {
    ScratchDir d;
    write_dual_stack(d, R"(kind: Inventory
hosts:
  - {asset_id: P1, mac: "00:09:fb:00:00:01", ip: [198.18.1.1, "2001:2::1"], class: pump, zone: ICU, bind_mac_ip: true}
  - {asset_id: S1, ip: 198.19.1.1, class: server}
)");
    auto r = compile_directory(d.path());
    INFO(diags(r));
    REQUIRE(r.ok());
    const auto& p = *r.policy;
    // One entry per address, each with the device's MAC, class, zone and binding.
    auto n = std::count_if(p.hosts.begin(), p.hosts.end(),
                           [](const HostEntry& h) { return h.asset_id == "P1"; });
    CHECK(n == 2);
    check_bound_both_families(p);
}

TEST_CASE("inventory: the single-address ip key still works", "[inventory]") {
    ScratchDir d;
    write_dual_stack(d, R"(kind: Inventory
hosts:
  - {asset_id: P1, mac: "00:09:fb:00:00:01", ip: 198.18.1.1, class: pump, zone: ICU, bind_mac_ip: true}
  - {asset_id: S1, ip: 198.19.1.1, class: server}
)");
    auto r = compile_directory(d.path());
    INFO(diags(r));
    REQUIRE(r.ok());
    CHECK(who(*r.policy, "198.18.1.1", kPumpMac).how == "mac+ip binding");
    CHECK(who(*r.policy, "198.18.1.1", kForeignMac).spoofed);
}

TEST_CASE("inventory: CSV rows with the same MAC and class merge into one device", "[inventory]") {
    ScratchDir d;
    write_dual_stack(d, R"(kind: Inventory
hosts:
  - {asset_id: S1, ip: 198.19.1.1, class: server}
imports:
  - {csv: assets.csv, bind_mac_ip: true}
)");
    d.write("assets.csv",
            "asset_id,mac,ip,class,zone\n"
            "P1,00:09:fb:00:00:01,198.18.1.1,pump,ICU\n"
            "P1,00:09:fb:00:00:01,2001:2::1,pump,ICU\n");
    auto r = compile_directory(d.path());
    INFO(diags(r));
    REQUIRE(r.ok());
    check_bound_both_families(*r.policy);
}

TEST_CASE("inventory: a YAML entry and a CSV row of one MAC merge too", "[inventory]") {
    ScratchDir d;
    write_dual_stack(d, R"(kind: Inventory
hosts:
  - {asset_id: P1, mac: "00:09:fb:00:00:01", ip: 198.18.1.1, class: pump, zone: ICU, bind_mac_ip: true}
  - {asset_id: S1, ip: 198.19.1.1, class: server}
imports:
  - {csv: assets.csv}
)");
    d.write("assets.csv",
            "asset_id,mac,ip,class,zone\n"
            "P1,00:09:fb:00:00:01,2001:2::1,pump,ICU\n");
    auto r = compile_directory(d.path());
    INFO(diags(r));
    REQUIRE(r.ok());
    // The device binds (its YAML entry says so): the binding covers the
    // address the CSV adds.
    check_bound_both_families(*r.policy);
}

TEST_CASE("inventory: one MAC with two zones or classes is a located conflict", "[inventory]") {
    ScratchDir d;
    write_dual_stack(d, R"(kind: Inventory
hosts:
  - {asset_id: S1, ip: 198.19.1.1, class: server}
imports:
  - {csv: assets.csv}
)");
    d.write("assets.csv",
            "asset_id,mac,ip,class,zone\n"
            "P1,00:09:fb:00:00:01,198.18.1.1,pump,ICU\n"
            "P1,00:09:fb:00:00:01,2001:2::1,pump,NICU\n"
            "P1,00:09:fb:00:00:01,2001:2::2,server,ICU\n");
    auto r = compile_directory(d.path());
    REQUIRE_FALSE(r.ok());
    std::string got = diags(r);
    CHECK(got.find("assets.csv:3:1: error[inventory-conflict]: MAC 00:09:fb:00:00:01 is in "
                   "zone 'NICU' here but in zone 'ICU' at assets.csv:2:1") != std::string::npos);
    CHECK(got.find("assets.csv:4:1: error[inventory-conflict]: MAC 00:09:fb:00:00:01 is "
                   "class 'server' here but class 'pump' at assets.csv:2:1") != std::string::npos);
}

TEST_CASE("inventory: a bad address in an ip list is located", "[inventory]") {
    ScratchDir d;
    write_dual_stack(d, R"(kind: Inventory
hosts:
  - {asset_id: P1, mac: "00:09:fb:00:00:01", ip: [198.18.1.1, "2001:2::zz"], class: pump}
  - {asset_id: S1, ip: 198.19.1.1, class: server}
)");
    auto r = compile_directory(d.path());
    REQUIRE_FALSE(r.ok());
    INFO(diags(r));
    CHECK(diags(r).find("inventory.yaml:3:63: error[bad-cidr]") != std::string::npos);
}

TEST_CASE("diff: a device that gains an address is one changed device", "[inventory][diff]") {
    ScratchDir a, b;
    const char* v4 = R"(kind: Inventory
hosts:
  - {asset_id: P1, mac: "00:09:fb:00:00:01", ip: 198.18.1.1, class: pump, zone: ICU, bind_mac_ip: true}
  - {asset_id: S1, ip: 198.19.1.1, class: server}
)";
    write_dual_stack(a, v4);
    write_dual_stack(b,
                     wg::test::replaced(v4, "ip: 198.18.1.1", "ip: [198.18.1.1, \"2001:2::1\"]"));
    auto ra = compile_directory(a.path()), rb = compile_directory(b.path());
    REQUIRE(ra.ok());
    REQUIRE(rb.ok());
    auto df = diff_policies(*ra.policy, *rb.policy);
    REQUIRE(df.devices.size() == 1);
    CHECK(df.devices[0].kind == "changed");
    CHECK(df.devices[0].name == "P1");
    CHECK(df.devices[0].detail.find("2001:2::1") != std::string::npos);
}

TEST_CASE("explain: the binding step of a dual-stack device, both families", "[inventory][cli]") {
    // BIO-00412 in the example policy: one infusion pump, 198.18.120.41 and
    // 2001:2:0:120::41 (two rows of the asset export), bound to its MAC.
    for (const char* src : {"198.18.120.41", "2001:2:0:120::41"}) {
        const std::string dst = family(src) == 4 ? "198.19.30.5" : "2001:2:0:30::5";
        for (const char* m : {"00:09:fb:10:04:12", "02:66:00:00:00:01"}) {
            INFO(src << " from " << m);
            wg::cli::Args args = {wg::test::example_policy().string(),
                                  "--src",
                                  src,
                                  "--dst",
                                  dst,
                                  "--proto",
                                  "tcp",
                                  "--dport",
                                  "104",
                                  "--vlan",
                                  "120",
                                  "--src-mac",
                                  m};
            std::ostringstream out, err;
            REQUIRE(wg::cli::explain(args, out, err) == 0);
            INFO(out.str());
            const bool own = std::string(m) == "00:09:fb:10:04:12";
            const std::string want =
                own ? std::string("source ") + src +
                          ": class 'infusion-pump', zone 'ICU' by mac+ip binding from asset "
                          "BIO-00412"
                    : std::string("source ") + src +
                          ": class 'spoofed' by spoofed: address bound to MAC 00:09:fb:10:04:12, "
                          "seen with 02:66:00:00:00:01 from asset BIO-00412";
            CHECK(out.str().find(want) != std::string::npos);
        }
    }
}
