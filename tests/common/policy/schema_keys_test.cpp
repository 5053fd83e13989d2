// The JSON Schema (policies/schema) and the loader must agree: every object
// the loader reads has exactly the keys the schema allows, and every enum
// field the same values in the same order. The loader's side is the tables
// in policy/names.hpp that its Map readers use; a key added to one and not
// the other fails here.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <fstream>
#include <set>

#include "policy/names.hpp"
#include "test_util.hpp"

using namespace wg::policy;

namespace {

nlohmann::json schema() {
    std::ifstream in(wg::test::source_root() / "policies/schema/wardgate-policy.schema.json");
    return nlohmann::json::parse(in);
}

}  // namespace

TEST_CASE("schema: each object accepts exactly the loader's keys", "[schema]") {
    auto s = schema();
    for (auto& obj : names::kSchemaObjects) {
        INFO(obj.pointer);
        nlohmann::json::json_pointer ptr{std::string(obj.pointer)};
        REQUIRE(s.contains(ptr));
        REQUIRE(s[ptr].contains("properties"));
        std::set<std::string> in_schema, in_loader;
        for (auto& [k, v] : s[ptr]["properties"].items()) in_schema.insert(k);
        for (auto k : obj.keys) in_loader.insert(std::string(k));
        CHECK(in_schema == in_loader);
        // Unknown keys are errors in the loader; the schema must say so too.
        CHECK(s[ptr].value("additionalProperties", true) == false);
    }
}

TEST_CASE("schema: enum fields list the loader's spellings", "[schema]") {
    auto s = schema();
    for (auto& e : names::kSchemaEnums) {
        INFO(e.pointer);
        nlohmann::json::json_pointer ptr{std::string(e.pointer)};
        REQUIRE(s.contains(ptr));
        REQUIRE(s[ptr].contains("enum"));
        std::vector<std::string> in_schema = s[ptr]["enum"], in_loader;
        for (auto k : e.keys) in_loader.push_back(std::string(k));
        CHECK(in_schema == in_loader);
    }
}

TEST_CASE("names: every enum value has one spelling and it round-trips", "[schema]") {
    for (auto& m : names::kMode) CHECK(names::from_name(names::kMode, m.name) == m.value);
    for (auto& a : names::kAction) CHECK(names::from_name(names::kAction, a.name) == a.value);
    for (auto& f : names::kFailMode) CHECK(names::from_name(names::kFailMode, f.name) == f.value);
    for (auto& p : names::kProto) CHECK(names::from_name(names::kProto, p.name) == p.value);
    CHECK(names::proto(Proto::Icmpv6) == "icmpv6");
    CHECK_FALSE(names::from_name(names::kMode, "Enforce").has_value());
}
