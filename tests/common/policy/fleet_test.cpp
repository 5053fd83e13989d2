// Fleet repositories (policy/fleet.hpp): one gateway's view of a shared
// repository, include rules (relative, inside the repository, not another
// gateway), names, and the example fleet under policies/fleet-example/.
#include <catch2/catch.hpp>

#include <algorithm>

#include "policy/fleet.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using wg::policy::fleet::compile_gateway;

namespace {

std::string gateway_doc(const std::string& name, const std::string& include) {
    return "kind: Gateway\nname: " + name +
           "\nzones: [ICU]\nclinical_space: [198.18.0.0/16]\ncore_space: [0.0.0.0/0]\n"
           "unknown: {mode: monitor, default_action: deny}\naddress_groups:\n"
           "  ntp: [198.19.0.123]\n" +
           include;
}

const char* kInventory = R"(kind: Inventory
hosts:
  - {asset_id: P1, mac: "00:09:fb:00:00:01", ip: 198.18.1.1, class: pump, zone: ICU, bind_mac_ip: true}
  - {asset_id: S1, ip: 198.19.1.1, class: server}
)";

// shared/classes.yaml + gateways/{a,b}/ including it.
void write_fleet(const wg::test::ScratchDir& d) {
    d.write("shared/classes.yaml", wg::test::kMinimalClasses);
    for (std::string g : {"a", "b"}) {
        d.write("gateways/" + g + "/gateway.yaml", gateway_doc(g, "include: [shared]\n"));
        d.write("gateways/" + g + "/inventory.yaml", kInventory);
    }
}

bool has(const wg::policy::CompileResult& r, const std::string& code, const std::string& file = "",
         uint32_t line = 0) {
    return std::any_of(r.diagnostics.begin(), r.diagnostics.end(), [&](const auto& d) {
        return d.code == code && (file.empty() || d.loc.file == file) &&
               (line == 0 || d.loc.line == line);
    });
}

std::string all(const wg::policy::CompileResult& r) {
    std::string s;
    for (auto& d : r.diagnostics) s += wg::policy::format(d) + "\n";
    return s;
}

}  // namespace

TEST_CASE("fleet: the example fleet repository compiles clean for every gateway", "[fleet]") {
    auto repo = wg::test::example_policy() / "fleet-example";
    REQUIRE(wg::policy::fleet::is_fleet_repo(repo));
    auto gws = wg::policy::fleet::gateways(repo);
    REQUIRE(gws == std::vector<std::string>{"icu", "nicu", "or"});
    for (auto& g : gws) {
        auto r = compile_gateway(repo, g);
        INFO(g << "\n" << all(r));
        REQUIRE(r.ok());
        CHECK(r.diagnostics.empty());
        CHECK(r.policy->name == g);
        // Shared classes reached every gateway.
        CHECK(std::any_of(r.policy->classes.begin(), r.policy->classes.end(),
                          [](const auto& c) { return c.name == "infusion-pump"; }));
    }
    // The OR's local exception is the OR's only.
    auto orr = compile_gateway(repo, "or"), icu = compile_gateway(repo, "icu");
    auto has_class = [](const wg::policy::CompileResult& r, const std::string& n) {
        return std::any_of(r.policy->classes.begin(), r.policy->classes.end(),
                           [&](const auto& c) { return c.name == n; });
    };
    CHECK(has_class(orr, "anesthesia-record"));
    CHECK_FALSE(has_class(icu, "anesthesia-record"));
}

TEST_CASE("fleet: a gateway's view is its directory plus what it includes", "[fleet]") {
    wg::test::ScratchDir d;
    write_fleet(d);
    auto r = compile_gateway(d.path(), "a");
    INFO(all(r));
    REQUIRE(r.ok());
    CHECK(r.policy->name == "a");
    CHECK(r.policy->hosts.size() == 2);
    // b's files are not part of a's view: a host only b lists stays b's.
    d.write("gateways/b/more.yaml",
            "kind: Inventory\nhosts:\n  - {asset_id: X1, ip: 198.19.9.9, class: server}\n");
    CHECK(compile_gateway(d.path(), "a").policy->hosts.size() == 2);
    CHECK(compile_gateway(d.path(), "b").policy->hosts.size() == 3);
    // Without the include, the classes are missing: errors, not an empty policy.
    d.write("gateways/a/gateway.yaml", gateway_doc("a", ""));
    CHECK_FALSE(compile_gateway(d.path(), "a").ok());
    // Including a single file works as well as a directory.
    d.write("gateways/a/gateway.yaml", gateway_doc("a", "include: [shared/classes.yaml]\n"));
    CHECK(compile_gateway(d.path(), "a").ok());
}

TEST_CASE("fleet: includes must stay inside the repository and out of other gateways", "[fleet]") {
    wg::test::ScratchDir d;
    write_fleet(d);
    const std::string f = "gateways/a/gateway.yaml";
    // The include line is line 9 of the document.
    for (std::string bad : {"/etc", "../outside", "shared/../../x", "gateways/b", ".git", "."}) {
        d.write(f, gateway_doc("a", "include: [shared, '" + bad + "']\n"));
        auto r = compile_gateway(d.path(), "a");
        INFO(bad << "\n" << all(r));
        CHECK_FALSE(r.ok());
        CHECK(has(r, "bad-include", f, 9));
    }
    d.write(f, gateway_doc("a", "include: [shared, shared/nope.yaml]\n"));
    CHECK(has(compile_gateway(d.path(), "a"), "missing-include", f, 9));
    d.write(f, gateway_doc("a", "include: shared\n"));
    CHECK(has(compile_gateway(d.path(), "a"), "bad-include", f, 9));
    d.write(f, gateway_doc("a", "include: [shared, {x: 1}]\n"));
    CHECK(has(compile_gateway(d.path(), "a"), "bad-include", f, 9));

    // A shared file that is a symlink out of the repository is refused by the
    // loader's file rules, named by its path in the repository.
    wg::test::ScratchDir outside;
    outside.write("evil.yaml",
                  "kind: DeviceClass\nname: evil\nmode: enforce\n"
                  "default_action: allow\n");
    d.write(f, gateway_doc("a", "include: [shared]\n"));
    fs::create_symlink(outside.path() / "evil.yaml", d.path() / "shared/evil.yaml");
    auto r = compile_gateway(d.path(), "a");
    INFO(all(r));
    CHECK_FALSE(r.ok());
    CHECK(has(r, "outside-policy-dir", "shared/evil.yaml"));
    // ... also when named directly by the include.
    d.write(f, gateway_doc("a", "include: [shared/classes.yaml, shared/evil.yaml]\n"));
    CHECK(has(compile_gateway(d.path(), "a"), "outside-policy-dir", "shared/evil.yaml"));
}

TEST_CASE("fleet: names, unknown gateways and fleet repositories read as plain directories",
          "[fleet]") {
    wg::test::ScratchDir d;
    write_fleet(d);
    auto r = compile_gateway(d.path(), "c");
    CHECK_FALSE(r.ok());
    REQUIRE(has(r, "no-such-gateway"));
    CHECK(all(r).find("its gateways: a, b") != std::string::npos);
    CHECK(has(compile_gateway(d.path(), "../a"), "no-such-gateway"));

    d.write("gateways/a/gateway.yaml", gateway_doc("icu-3", "include: [shared]\n"));
    CHECK(has(compile_gateway(d.path(), "a"), "gateway-name-mismatch", "gateways/a/gateway.yaml"));

    fs::remove(d.path() / "gateways/b/gateway.yaml");
    CHECK(has(compile_gateway(d.path(), "b"), "missing-gateway-file"));

    // The whole repository as one policy directory: one clear error.
    auto whole = wg::policy::compile_directory(d.path());
    CHECK_FALSE(whole.ok());
    REQUIRE(whole.diagnostics.size() == 1);
    CHECK(whole.diagnostics[0].code == "fleet-repository");
}

TEST_CASE("fleet: 'include' in a plain policy directory is an error, not ignored", "[fleet]") {
    wg::test::ScratchDir d;
    wg::test::write_minimal_policy(d);
    d.write("gateway.yaml", gateway_doc("test-gw", "include: [classes.yaml]\n"));
    auto r = wg::policy::compile_directory(d.path());
    CHECK_FALSE(r.ok());
    CHECK(has(r, "include-outside-fleet", "gateway.yaml", 9));
}

TEST_CASE("fleet: a fleet repository inside a policy directory is not part of it", "[fleet]") {
    wg::test::ScratchDir d;
    wg::test::write_minimal_policy(d);
    auto before = wg::policy::compile_directory(d.path());
    REQUIRE(before.ok());
    d.write("fleet/shared/classes.yaml", wg::test::kMinimalClasses);
    d.write("fleet/gateways/a/gateway.yaml", gateway_doc("a", "include: [shared]\n"));
    auto after = wg::policy::compile_directory(d.path());
    INFO(all(after));
    REQUIRE(after.ok());
    CHECK(after.policy->classes.size() == before.policy->classes.size());
}
