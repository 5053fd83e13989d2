// Counter slots: names keep their slot across reloads that renumber classes
// and rules; maps are published before tables and freed only when safe.
#include <catch2/catch.hpp>

#include "stats/counter_map.hpp"
#include "stats/lcore_stats.hpp"

using namespace wg;
using namespace wg::dp;

namespace {
policy::CompiledPolicy make(std::vector<std::string> classes, std::vector<std::string> rules,
                            std::string hash) {
    policy::CompiledPolicy p;
    p.content_hash = std::move(hash);
    for (size_t i = 0; i < classes.size(); ++i) {
        policy::ClassDef c;
        c.id = uint16_t(i);
        c.name = classes[i];
        p.classes.push_back(c);
    }
    for (size_t i = 0; i < rules.size(); ++i) {
        policy::Rule r;
        r.id = uint32_t(i);
        r.name = rules[i];
        p.rules.push_back(r);
    }
    policy::BypassEntry b;
    b.name = "waves";
    p.bypass.push_back(b);
    return p;
}
}  // namespace

TEST_CASE("Slots are stable by name across renumbering") {
    SlotRegistry reg;
    auto a =
        reg.map_for(make({"unknown", "pump", "monitor"}, {"pump/https", "monitor/syslog"}, "a"));
    auto b = reg.map_for(
        make({"unknown", "monitor", "cart", "pump"}, {"monitor/syslog", "pump/https"}, "b"));
    CHECK(a.content_hash == "a");
    CHECK(a.cls(1) == b.cls(3));  // pump
    CHECK(a.cls(2) == b.cls(1));  // monitor
    CHECK(b.cls(2) == 3);         // cart: a new slot after the first three
    CHECK(a.rule(0) == b.rule(1));
    CHECK(a.dflt(1) == b.dflt(3));  // "pump/default"
    CHECK(a.bypass(0) == b.bypass(0));
    CHECK(reg.rule_names()[a.rule(0)] == "pump/https");
    CHECK(reg.rule_names()[a.dflt(1)] == "pump/default");
    CHECK(reg.rule_names()[a.bypass(0)] == "bypass/waves");
    CHECK(a.cls(99) == kNoSlot);
    CHECK(a.rule(policy::kNoRule) == kNoRuleSlot);
    CHECK(a.bypass(-1) == kNoRuleSlot);
}

TEST_CASE("Class slots are bounded; overflowing names are not counted per class") {
    SlotRegistry reg;
    std::vector<std::string> names;
    for (unsigned i = 0; i < kMaxClassSlots + 10; ++i) names.push_back("c" + std::to_string(i));
    auto m = reg.map_for(make(names, {}, "x"));
    CHECK(m.cls(uint16_t(kMaxClassSlots - 1)) == kMaxClassSlots - 1);
    CHECK(m.cls(uint16_t(kMaxClassSlots)) == kNoSlot);
    CHECK(reg.class_names().size() == kMaxClassSlots);
}

TEST_CASE("Publisher: rejected loads restore the previous map; success keeps the new one") {
    CounterMapPublisher pub;
    SlotRegistry reg;
    const CounterMap* prev =
        pub.publish(std::make_unique<CounterMap>(reg.map_for(make({"u"}, {}, "one"))));
    CHECK(prev == nullptr);
    pub.settle(true, true, prev);
    const CounterMap* one = pub.latest();
    REQUIRE(one);
    CHECK(one->content_hash == "one");

    prev = pub.publish(std::make_unique<CounterMap>(reg.map_for(make({"u"}, {}, "bad"))));
    CHECK(prev == one);
    CHECK(pub.latest()->content_hash == "bad");  // published before the tables
    pub.settle(false, true, prev);
    CHECK(pub.latest() == one);

    prev = pub.publish(std::make_unique<CounterMap>(reg.map_for(make({"u"}, {}, "two"))));
    pub.settle(true, false, prev);  // grace period not over: nothing freed, new one stays
    CHECK(pub.latest()->content_hash == "two");
    CHECK(one->content_hash == "one");  // still alive
}
