// wardgate learn: a proposal from a capture (and from an audit log) that
// lints, whose diff against the input policy is exactly the learned
// permissions, that is deterministic, carries its evidence, never proposes
// what a guardrail forbids, proposes unknown hosts without assigning them,
// and takes its constraints from the first payloads seen.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "capture_writer.hpp"
#include "commands.hpp"
#include "flow_record.hpp"
#include "frames.hpp"
#include "policy/diff.hpp"
#include "test_util.hpp"

using wg::test::Bytes;
using wg::test::ip4;

namespace {

constexpr uint32_t kC1 = ip4(198, 18, 2, 1), kC2 = ip4(198, 18, 2, 2), kPacs = ip4(198, 19, 5, 5),
                   kNtp = ip4(198, 19, 0, 123), kNew = ip4(198, 18, 9, 9);
constexpr uint64_t kT0 = 1'700'000'000ull * 1'000'000'000ull, kDay = 86400ull * 1'000'000'000ull;

void write_policy(const wg::test::ScratchDir& d) {
    d.write("gateway.yaml", R"(kind: Gateway
name: learn-gw
clinical_space: [198.18.0.0/16]
core_space: [0.0.0.0/0]
unknown: {mode: monitor, default_action: deny}
address_groups:
  ntp: [198.19.0.123]
)");
    d.write("classes/cart.yaml", R"(kind: DeviceClass
name: cart
mode: monitor
default_action: deny
# carts: no rules yet, learning
)");
    d.write("classes/pacs.yaml", R"(kind: DeviceClass
name: pacs
mode: monitor
default_action: deny
)");
    d.write("guardrails.yaml", R"(kind: Guardrails
rules:
  - name: no-smb
    proto: tcp
    ports: [445]
)");
    d.write("inventory.yaml", R"(kind: Inventory
hosts:
  - {asset_id: C1, ip: 198.18.2.1, class: cart}
  - {asset_id: C2, ip: 198.18.2.2, class: cart}
  - {asset_id: PACS, ip: 198.19.5.5, class: pacs}
)");
}

std::vector<uint8_t> tcp_payload(uint32_t s, uint32_t d, uint16_t sp, uint16_t dp,
                                 const std::vector<uint8_t>& pay) {
    Bytes f = wg::test::eth(0x0800);
    wg::test::ipv4(f, s, d, 6, uint16_t(20 + pay.size()));
    wg::test::tcp(f, sp, dp, 0x18);
    f.raw(pay);
    return f.b;
}
std::vector<uint8_t> udp_payload(uint32_t s, uint32_t d, uint16_t sp, uint16_t dp,
                                 const std::vector<uint8_t>& pay, std::vector<uint8_t> smac = {}) {
    Bytes f = wg::test::eth(0x0800);
    if (!smac.empty()) std::copy(smac.begin(), smac.end(), f.b.begin() + 6);
    wg::test::ipv4(f, s, d, 17, uint16_t(8 + pay.size()));
    wg::test::udp(f, sp, dp, uint16_t(pay.size()));
    f.raw(pay);
    return f.b;
}
std::vector<uint8_t> ae(const std::string& s) {
    std::vector<uint8_t> v(16, ' ');
    std::copy(s.begin(), s.end(), v.begin());
    return v;
}
std::vector<uint8_t> dicom_rq(const std::string& calling = "US_CART_1") {
    Bytes p;
    p.u8(1).u8(0).u32(74).u16(1).u16(0).raw(ae("PACS_ARCH")).raw(ae(calling)).zeros(32);
    p.u8(0x10).u8(0).u16(0);
    return p.b;
}
const std::vector<uint8_t> kPhilips = {0x00, 0x09, 0xfb, 0x12, 0x34, 0x56};
std::vector<uint8_t> dhcp_request() {
    Bytes p;
    p.u8(1).u8(1).u8(6).u8(0).u32(0x1234).u16(0).u16(0).zeros(16);
    p.raw(kPhilips).zeros(10).zeros(192).raw({0x63, 0x82, 0x53, 0x63});
    p.raw({53, 1, 3, 50, 4, 198, 18, 9, 9});
    p.u8(12).u8(7).raw({'M', 'X', '8', '0', '0', '-', '1'});
    p.u8(60).u8(9).raw({'P', 'h', 'i', 'l', 'i', 'p', 's', 'M', 'X'});
    p.u8(255);
    return udp_payload(0, 0xffffffff, 68, 67, p.b, kPhilips);
}

// The learning window: two carts storing to PACS over two days (one with a
// DICOM association), one cart asking NTP (client mode), one cart trying
// SMB to the other (a guardrail forbids it), an unknown Philips device
// doing DHCP then talking to PACS.
std::string write_capture(const wg::test::ScratchDir& d) {
    std::vector<uint8_t> ntp(48, 0);
    ntp[0] = 0x23;  // LI 0, version 4, mode 3 (client)
    const std::string msg = "\x0bMSH|^~\\&|CARTAPP|ICU|PACS|RAD|20231114||ORU^R01|1|P|2.5\r\x1c\r";
    const std::vector<uint8_t> hl7(msg.begin(), msg.end());
    auto c = wg::test::pcap_file({
        {kT0, wg::test::tcp4(kC1, kPacs, 40001, 104, 0x02)},
        {kT0 + 1000, wg::test::tcp4(kPacs, kC1, 104, 40001, 0x12)},
        {kT0 + 2000, tcp_payload(kC1, kPacs, 40001, 104, dicom_rq())},
        {kT0 + 3000, udp_payload(kC1, kNtp, 50123, 123, ntp)},
        {kT0 + 4000, wg::test::tcp4(kC1, kC2, 40002, 445, 0x02)},
        {kT0 + 5000, dhcp_request()},
        {kT0 + 6000, wg::test::tcp4(kNew, kPacs, 40003, 104, 0x02)},
        {kT0 + 7000, tcp_payload(kNew, kPacs, 40003, 104, dicom_rq("MX800"))},
        {kT0 + 8000, wg::test::tcp4(kC1, kPacs, 40005, 2575, 0x02)},
        {kT0 + 9000, tcp_payload(kC1, kPacs, 40005, 2575, hl7)},
        {kT0 + 2 * kDay, wg::test::tcp4(kC2, kPacs, 40004, 104, 0x02)},
    });
    const auto path = (d.path() / "window.pcap").string();
    std::ofstream(path, std::ios::binary) << c.str();
    return path;
}

struct Run {
    int rc;
    std::string out, err;
};
template <typename F>
Run run(F f, const wg::cli::Args& a) {
    std::ostringstream o, e;
    int rc = f(a, o, e);
    return {rc, o.str(), e.str()};
}
// Catch's TAP reporter prints messages of passing checks too: keep them on
// one line so the TAP stream stays valid.
std::string one_line(std::string s) {
    for (auto& c : s)
        if (c == '\n') c = '|';
    return s;
}
std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

TEST_CASE("learn from a capture: a reviewable proposal that lints") {
    wg::test::ScratchDir pol, work;
    write_policy(pol);
    const auto cap = write_capture(work);
    const auto out = work.path() / "proposal";
    auto r = run(wg::cli::learn,
                 {"--policy", pol.path().string(), "--pcap", cap, "--out", out.string()});
    INFO(one_line(r.out + r.err));
    REQUIRE(r.rc == 0);

    // It lints.
    auto compiled = wg::policy::compile_directory(out);
    for (auto& d : compiled.diagnostics) UNSCOPED_INFO(wg::policy::format(d));
    REQUIRE(compiled.ok());

    // diff against the input policy: exactly the learned permissions, added.
    auto before = wg::policy::compile_directory(pol.path());
    REQUIRE(before.ok());
    auto diff = wg::policy::diff_policies(*before.policy, *compiled.policy);
    std::set<std::string> added;
    for (auto& c : diff.rules) {
        CHECK(c.kind == "added");
        added.insert(c.name);
    }
    CHECK(added == std::set<std::string>{"cart/learned-tcp-104-to-pacs",
                                         "cart/learned-tcp-2575-to-198-19-5-5",
                                         "cart/learned-udp-123-to-198-19-0-123"});
    CHECK(diff.classes.empty());
    CHECK(diff.global.empty());

    const std::string cart = slurp(out / "classes/cart.yaml");
    INFO(one_line(cart));
    // The original text is kept, the rules are appended with their evidence.
    CHECK(cart.rfind(slurp(pol.path() / "classes/cart.yaml"), 0) == 0);
    CHECK(
        cart.find("# learned: 2 flows, 4 packets, 2023-11-14T22:13:20Z .. 2023-11-16T22:13:20Z") !=
        std::string::npos);
    CHECK(cart.find("from cart hosts 198.18.2.1, 198.18.2.2 (2 of 2 seen)") != std::string::npos);
    CHECK(cart.find("to: {class: pacs}") != std::string::npos);
    // Constraints from the DICOM association and the NTP mode observed.
    CHECK(cart.find("constraints: {dicom: {calling_ae_titles: [\"US_CART_1\"], called_ae_titles: "
                    "[\"PACS_ARCH\"]}}") != std::string::npos);
    CHECK(cart.find("constraints: {ntp: {modes: [3]}}") != std::string::npos);
    CHECK(cart.find("constraints: {hl7: {sending_applications: [\"CARTAPP\"]}}") !=
          std::string::npos);
    // NTP: one cart of two, one host, one instant: per host, thin evidence.
    CHECK(cart.find("to: {cidr: 198.19.0.123}") != std::string::npos);
    CHECK(cart.find("per host: not every cart host talked to ntp") != std::string::npos);
    CHECK(cart.find("confidence: thin evidence: one host") != std::string::npos);
    // The guardrail's flow is a comment, never a rule.
    CHECK(cart.find("# not proposed: tcp 198.18.2.1 -> 198.18.2.2:445 (1 flow): guardrail/no-smb "
                    "(guardrails.yaml:") != std::string::npos);
    CHECK(cart.find("445]") == std::string::npos);

    // The unknown device: proposed with its passive evidence, not assigned.
    const std::string unk = slurp(out / "learned-unknown-hosts.yaml");
    INFO(one_line(unk));
    CHECK(unk.find("hosts: []") != std::string::npos);
    CHECK(unk.find("# likely cart:") != std::string::npos);
    CHECK(unk.find("MAC vendor Philips Medical Systems") != std::string::npos);
    CHECK(unk.find("DHCP vendor class PhilipsMX") != std::string::npos);
    CHECK(unk.find("DHCP host name MX800-1") != std::string::npos);
    CHECK(unk.find("DICOM calling AE MX800 to PACS_ARCH") != std::string::npos);
    CHECK(unk.find("#   - {ip: 198.18.9.9, mac: \"00:09:fb:12:34:56\", class: cart}") !=
          std::string::npos);
    CHECK(compiled.policy->hosts.size() == before.policy->hosts.size());

    // Replaying the window against the proposal: nothing newly denied, and
    // the carts' flows now allowed.
    auto rep = run(wg::cli::replay,
                   {"--policy", pol.path().string(), "--against", out.string(), "--json", cap});
    CHECK(rep.rc == 0);
    CHECK(rep.out.find("\"rule\": \"cart/learned-tcp-104-to-pacs\"") != std::string::npos);
}

TEST_CASE("learn is deterministic") {
    wg::test::ScratchDir pol, work;
    write_policy(pol);
    const auto cap = write_capture(work);
    for (auto n : {"a", "b"})
        REQUIRE(run(wg::cli::learn, {"--policy", pol.path().string(), "--pcap", cap, "--out",
                                     (work.path() / n).string()})
                    .rc == 0);
    for (auto f : {"classes/cart.yaml", "classes/pacs.yaml", "learned-unknown-hosts.yaml"})
        CHECK(slurp(work.path() / "a" / f) == slurp(work.path() / "b" / f));
}

TEST_CASE("learn from the audit log of a monitor-mode period") {
    wg::test::ScratchDir pol, work;
    write_policy(pol);
    work.write(
        "audit.log",
        R"({"timestamp":"2026-12-01T10:00:00.000000Z","event_type":"flow_would_deny","verdict":"would_deny","src_ip":"198.18.2.1","src_port":40000,"dest_ip":"198.19.7.7","dest_port":8080,"proto":"tcp","vlan":0}
not json at all
{"timestamp":"2026-12-03T10:00:00.000000Z","event_type":"flow_would_deny","verdict":"would_deny","src_ip":"198.18.2.2","src_port":40001,"dest_ip":"198.19.7.7","dest_port":8080,"proto":"tcp","vlan":0}
{"event_type":"reload","result":"ok"}
)");
    const auto out = work.path() / "p";
    auto r = run(wg::cli::learn, {"--policy", pol.path().string(), "--audit",
                                  (work.path() / "audit.log").string(), "--out", out.string()});
    INFO(one_line(r.out + r.err));
    REQUIRE(r.rc == 0);
    CHECK(r.out.find("2 audit events, 2 other lines skipped") != std::string::npos);
    auto compiled = wg::policy::compile_directory(out);
    REQUIRE(compiled.ok());
    const std::string cart = slurp(out / "classes/cart.yaml");
    INFO(one_line(cart));
    CHECK(cart.find("- name: learned-tcp-8080-to-198-19-7-7") != std::string::npos);
    CHECK(cart.find("2026-12-01T10:00:00Z .. 2026-12-03T10:00:00Z") != std::string::npos);
    CHECK(cart.find("confidence") == std::string::npos);  // two hosts, two days
}

TEST_CASE("learn: refusals") {
    wg::test::ScratchDir pol, work;
    write_policy(pol);
    const auto cap = write_capture(work);
    CHECK(run(wg::cli::learn, {"--policy", pol.path().string(), "--out", "x"}).rc == 2);
    CHECK(run(wg::cli::learn, {"--pcap", cap, "--out", "x"}).rc == 2);
    work.write("full/file", "x");
    auto r = run(wg::cli::learn, {"--policy", pol.path().string(), "--pcap", cap, "--out",
                                  (work.path() / "full").string()});
    CHECK(r.rc == 1);
    CHECK(r.err.find("not empty") != std::string::npos);
}

TEST_CASE("learn --live: the control plane's record of new flows, across a restart") {
    wg::test::ScratchDir pol, state, work;
    write_policy(pol);
    auto ev = [](uint8_t host, uint64_t ts) {
        wg::mgmt::AuditEvent e;
        e.family = 4;
        e.proto = 6;
        e.src = {198, 18, 2, host};
        e.dst = {198, 19, 5, 5};
        e.dport = 104;
        e.ts_ns = ts;
        return e;
    };
    {
        wg::cp::FlowRecord rec(state.path());  // the control plane, before a restart
        wg::mgmt::AuditBatch b;
        b.events = {ev(1, kT0), ev(1, kT0 + 1), ev(1, kT0 + 2)};
        rec.ingest(b);
    }
    {
        wg::cp::FlowRecord rec(state.path());  // after it
        wg::mgmt::AuditBatch b;
        b.events = {ev(2, kT0 + 2 * kDay)};
        rec.ingest(b);
    }
    const auto out = work.path() / "p";
    auto r = run(wg::cli::learn, {"--policy", pol.path().string(), "--live", state.path().string(),
                                  "--out", out.string()});
    INFO(one_line(r.out + r.err));
    REQUIRE(r.rc == 0);
    CHECK(r.out.find("2 flow records") != std::string::npos);
    REQUIRE(wg::policy::compile_directory(out).ok());
    const std::string cart = slurp(out / "classes/cart.yaml");
    INFO(one_line(cart));
    CHECK(
        cart.find("# learned: 4 flows, 2 packets, 2023-11-14T22:13:20Z .. 2023-11-16T22:13:20Z") !=
        std::string::npos);
    CHECK(cart.find("- name: learned-tcp-104-to-pacs") != std::string::npos);
    CHECK(cart.find("(2 of 2 seen)") != std::string::npos);
    CHECK(run(wg::cli::learn,
              {"--policy", pol.path().string(), "--live", (work.path() / "nothing").string(),
               "--out", (work.path() / "q").string()})
              .rc == 2);
}

// --patch: the proposal as a unified diff against the policy directory;
// `git apply` of it in a copy of the directory gives exactly the --out tree
// (file set and bytes), and --patch alone writes the same patch.
TEST_CASE("learn --patch: git apply on a copy of the policy gives the --out tree") {
    namespace fs = std::filesystem;
    wg::test::ScratchDir pol, work;
    write_policy(pol);
    const auto cap = write_capture(work);
    const auto out = work.path() / "proposal";
    const auto patch = work.path() / "proposal.patch";
    auto r = run(wg::cli::learn, {"--policy", pol.path().string(), "--pcap", cap, "--out",
                                  out.string(), "--patch", patch.string()});
    INFO(one_line(r.out + r.err));
    REQUIRE(r.rc == 0);
    const std::string diff = slurp(patch);
    CHECK(diff.find("diff --git a/classes/cart.yaml b/classes/cart.yaml") != std::string::npos);
    CHECK(diff.find("+++ b/learned-unknown-hosts.yaml") != std::string::npos);
    CHECK(diff.find("--- /dev/null") != std::string::npos);

    const auto copy = work.path() / "copy";
    fs::copy(pol.path(), copy, fs::copy_options::recursive);
    const std::string cmd = "cd '" + copy.string() + "' && git apply '" + patch.string() + "' 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
    std::set<std::string> a, b;
    for (auto& e : fs::recursive_directory_iterator(copy))
        if (e.is_regular_file()) a.insert(fs::relative(e.path(), copy).generic_string());
    for (auto& e : fs::recursive_directory_iterator(out))
        if (e.is_regular_file()) b.insert(fs::relative(e.path(), out).generic_string());
    CHECK(a == b);
    for (const auto& f : b) {
        INFO(f);
        CHECK(slurp(copy / f) == slurp(out / f));
    }

    // --patch alone: the same patch, no tree left behind.
    const auto patch2 = work.path() / "only.patch";
    r = run(wg::cli::learn,
            {"--policy", pol.path().string(), "--pcap", cap, "--patch", patch2.string()});
    REQUIRE(r.rc == 0);
    CHECK(slurp(patch2) == diff);
}
