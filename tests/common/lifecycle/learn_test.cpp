// The learner's pieces: the YAML insertion that turns proposals into a diff
// of added lines, and the hard cap on aggregates (overflow counted).
#include <catch2/catch.hpp>

#include "lifecycle/learn.hpp"
#include "lifecycle/yaml_patch.hpp"
#include "policy/loader.hpp"
#include "test_util.hpp"

using wg::lifecycle::insert_into_block;

namespace {
const std::vector<std::string> kItem = {"# evidence\n- name: x\n  proto: tcp\n"};
}

TEST_CASE("yaml insertion: after the existing items, at their indent") {
    std::string t =
        "kind: DeviceClass\nname: a\negress:\n    - name: old\n      proto: tcp\n"
        "ingress:\n  - name: in\n    proto: udp\n";
    std::string err;
    REQUIRE(insert_into_block(t, 2, "egress", kItem, err));
    CHECK(t ==
          "kind: DeviceClass\nname: a\negress:\n    - name: old\n      proto: tcp\n"
          "    # evidence\n    - name: x\n      proto: tcp\n"
          "ingress:\n  - name: in\n    proto: udp\n");
}

TEST_CASE("yaml insertion: items at the key's own indent") {
    std::string t = "kind: DeviceClass\negress:\n- name: old\n  proto: tcp\nmode: monitor\n";
    std::string err;
    REQUIRE(insert_into_block(t, 1, "egress", kItem, err));
    CHECK(t ==
          "kind: DeviceClass\negress:\n- name: old\n  proto: tcp\n# evidence\n- name: x\n"
          "  proto: tcp\nmode: monitor\n");
}

TEST_CASE("yaml insertion: empty flow list and missing block") {
    std::string err;
    std::string t = "kind: DeviceClass\negress: []  # none yet\nmode: monitor\n";
    REQUIRE(insert_into_block(t, 1, "egress", kItem, err));
    CHECK(t ==
          "kind: DeviceClass\negress:\n  # evidence\n  - name: x\n    proto: tcp\nmode: monitor\n");
    // Second document of a file: the first is untouched, the block goes at
    // the end of the second (before the next separator).
    std::string m = "kind: DeviceClass\nname: a\n---\nkind: DeviceClass\nname: b\n\n---\nkind: X\n";
    REQUIRE(insert_into_block(m, 5, "ingress", kItem, err));
    CHECK(m ==
          "kind: DeviceClass\nname: a\n---\nkind: DeviceClass\nname: b\ningress:\n  # evidence\n"
          "  - name: x\n    proto: tcp\n\n---\nkind: X\n");
}

TEST_CASE("yaml insertion: a flow sequence with items is refused") {
    std::string t = "kind: DeviceClass\negress: [{name: a, proto: tcp, to: {any: true}}]\n";
    std::string err;
    CHECK_FALSE(insert_into_block(t, 1, "egress", kItem, err));
    CHECK(err.find("flow sequence") != std::string::npos);
}

TEST_CASE("the learner keeps at most kMaxAggregates aggregates and counts the rest") {
    wg::test::ScratchDir d;
    wg::test::write_minimal_policy(d);
    auto r = wg::policy::compile_directory(d.path());
    REQUIRE(r.ok());
    std::vector<wg::policy::Diagnostic> diags;
    auto src = wg::policy::load_directory(d.path(), diags);
    wg::lifecycle::Learner l(*r.policy, src);
    wg::policy::Decision dec;
    dec.verdict = wg::policy::Verdict::WouldDeny;
    dec.tier = wg::policy::Tier::Default;
    dec.src.class_id = 1;  // pump
    wg::lifecycle::FlowReport f;
    f.family = 4;
    f.proto = 6;
    f.src = {198, 18, 1, 1};
    f.verdict = dec.verdict;
    const size_t n = wg::lifecycle::kMaxAggregates + 1000;
    for (size_t i = 0; i < n; ++i) {
        f.dst = {198, 19, 200, uint8_t(i / 60000)};
        f.dport = uint16_t(1 + i % 60000);
        l.on_flow(f, &dec);
    }
    CHECK(l.stats().candidates == n);
    CHECK(l.stats().overflow == 1000);
    // The same flow again lands in its existing aggregate.
    f.dst = {198, 19, 200, 0};
    f.dport = 1;
    CHECK(l.on_flow(f, &dec) >= 0);
}
