// Live learning record: aggregation of audit events by host pair, the hard
// cap (overflow counted), and persistence across a restart.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "flow_record.hpp"

namespace {

wg::mgmt::AuditEvent event(uint8_t host, uint16_t dport, uint64_t ts) {
    wg::mgmt::AuditEvent e;
    e.family = 4;
    e.proto = 6;
    e.src = {198, 18, 2, host};
    e.dst = {198, 19, 5, 5};
    e.sport = 40000;
    e.dport = dport;
    e.ts_ns = ts;
    return e;
}

struct Dir {
    std::filesystem::path p;
    Dir() {
        std::string t = (std::filesystem::temp_directory_path() / "wg-flowrec-XXXXXX").string();
        REQUIRE(mkdtemp(t.data()));
        p = t;
    }
    ~Dir() {
        std::error_code ec;
        std::filesystem::remove_all(p, ec);
    }
};

}  // namespace

TEST_CASE("flow record: aggregated, persisted, read back after a restart") {
    Dir d;
    {
        wg::cp::FlowRecord r(d.p, std::chrono::seconds(3600));
        wg::mgmt::AuditBatch b;
        b.events = {event(1, 104, 100), event(1, 104, 300), event(2, 104, 200)};
        r.ingest(b);
        CHECK(r.size() == 2);
        // Not saved yet (the first save is due at once, later ones hourly here).
    }  // destruction saves
    REQUIRE(std::filesystem::exists(d.p / wg::cp::FlowRecord::kFileName));
    wg::cp::FlowRecord again(d.p);
    CHECK(again.load_error().empty());
    CHECK(again.size() == 2);
    wg::mgmt::AuditBatch b;
    b.events = {event(3, 104, 400)};
    again.ingest(b);
    CHECK(again.size() == 3);
}

TEST_CASE("flow record: at most kMaxRecords entries, the rest counted") {
    Dir d;
    wg::cp::FlowRecord r(d.p, std::chrono::seconds(3600));
    wg::mgmt::AuditBatch b;
    for (size_t i = 0; i < wg::cp::FlowRecord::kMaxRecords + 10; ++i)
        b.events.push_back(event(uint8_t(i % 250), uint16_t(1 + i / 250), i));
    r.ingest(b);
    CHECK(r.size() == wg::cp::FlowRecord::kMaxRecords);
    CHECK(r.overflow() == 10);
    REQUIRE_FALSE(r.save());
    wg::cp::FlowRecord back(d.p);
    CHECK(back.size() == wg::cp::FlowRecord::kMaxRecords);
    CHECK(back.overflow() == 10);
}

TEST_CASE("flow record: a corrupt file is reported, not fatal") {
    Dir d;
    std::ofstream(d.p / wg::cp::FlowRecord::kFileName) << "{not json";
    wg::cp::FlowRecord r(d.p);
    CHECK_FALSE(r.load_error().empty());
    CHECK(r.size() == 0);
}
