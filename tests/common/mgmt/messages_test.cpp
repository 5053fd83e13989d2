#include <catch2/catch.hpp>

#include "mgmt/messages.hpp"
#include "samples.hpp"
#include "stats/latency_histogram.hpp"
#include "wire/bytes.hpp"

using namespace wg;

TEST_CASE("status round-trips", "[mgmt]") {
    const mgmt::Status s = test::sample_status();
    auto d = mgmt::decode_status(mgmt::encode(s));
    CHECK(d.version == s.version);
    CHECK(d.pid == 42);
    CHECK(d.ports.size() == 2);
    CHECK(d.ports[1].name == "net_pcap1");
    CHECK(d.policy_generation == 7);
    CHECK(d.mode == "normal");
    CHECK(d.image_state.empty());
}

TEST_CASE("status carries the start-up image state; an older status without it decodes", "[mgmt]") {
    mgmt::Status s;
    s.mode = "no-policy";
    s.image_state = "rejected";
    s.image_error = "corrupted policy image: checksum mismatch";
    auto bytes = mgmt::encode(s);
    auto d = mgmt::decode_status(bytes);
    CHECK(d.image_state == "rejected");
    CHECK(d.image_error == s.image_error);
    // An older dataplane stops after the mode string (no image state, no warnings).
    const size_t tail = 4 + s.image_state.size() + 4 + s.image_error.size() + 4;
    std::vector<uint8_t> old(bytes.begin(), bytes.end() - static_cast<long>(tail));
    auto o = mgmt::decode_status(old);
    CHECK(o.mode == "no-policy");
    CHECK(o.image_state.empty());
}

TEST_CASE("status carries start-up warnings; a status without them decodes", "[mgmt]") {
    mgmt::Status s = test::sample_status();
    s.image_state = "loaded";
    s.warnings = {
        "checksum_offload_hazard: port core: checksum offload is ON for interface gw1",
        "checksum_offload_hazard: port clinical: checksum offload is ON for interface gw0"};
    auto bytes = mgmt::encode(s);
    auto d = mgmt::decode_status(bytes);
    CHECK(d.warnings == s.warnings);
    CHECK(d.image_state == "loaded");
    // A dataplane from before the warnings stops after image_error.
    size_t tail = 4;
    for (auto& w : s.warnings) tail += 4 + w.size();
    std::vector<uint8_t> old(bytes.begin(), bytes.end() - static_cast<long>(tail));
    auto o = mgmt::decode_status(old);
    CHECK(o.image_state == "loaded");
    CHECK(o.warnings.empty());
    // A count the bytes cannot hold is refused, not allocated.
    std::vector<uint8_t> bad(old);
    for (uint8_t b : {0xff, 0xff, 0xff, 0x0f}) bad.push_back(b);
    CHECK_THROWS(mgmt::decode_status(bad));
}

TEST_CASE("stats snapshot round-trips including sparse histograms", "[mgmt]") {
    const stats::Snapshot s = test::sample_snapshot();
    const stats::Histogram& h = s.histograms.at(0);
    auto d = mgmt::decode_stats(mgmt::encode(s));
    CHECK(d.tsc_hz == s.tsc_hz);
    REQUIRE(d.ports.size() == 1);
    CHECK(d.ports[0].rx_missed == 6);
    REQUIRE(d.classes.size() == 1);
    CHECK(d.classes[0].bytes[3] == 40);
    CHECK(d.drops[0].value == 9);
    CHECK(d.workers[0].heartbeat == 100);
    REQUIRE(d.histograms.size() == 1);
    CHECK(d.histograms[0].buckets == h.buckets);
}

TEST_CASE("per-worker flow figures round-trip", "[mgmt]") {
    const stats::Snapshot s = test::sample_snapshot();
    auto d = mgmt::decode_stats(mgmt::encode(s));
    REQUIRE(d.workers.size() == 2);
    for (size_t i = 0; i < 2; ++i) {
        CHECK(d.workers[i].lcore == s.workers[i].lcore);
        CHECK(d.workers[i].has_flows);
        CHECK(d.workers[i].flows_created == s.workers[i].flows_created);
        CHECK(d.workers[i].flow_entries == s.workers[i].flow_entries);
        CHECK(d.workers[i].packets == s.workers[i].packets);
    }
}

namespace {
// The stats payload with the sections whose tag `drop` returns true removed
// (u16 tag, u32 length, body), to build what another version would send.
template <class Drop>
std::vector<uint8_t> without_sections(const std::vector<uint8_t>& b, Drop drop) {
    std::vector<uint8_t> out;
    size_t off = 0;
    while (off < b.size()) {
        const uint16_t tag = static_cast<uint16_t>(b[off] | b[off + 1] << 8);
        const uint32_t len = static_cast<uint32_t>(b[off + 2] | b[off + 3] << 8 | b[off + 4] << 16 |
                                                   uint32_t(b[off + 5]) << 24);
        const size_t end = off + 6 + len;
        if (!drop(tag)) out.insert(out.end(), b.begin() + long(off), b.begin() + long(end));
        off = end;
    }
    return out;
}
}  // namespace

TEST_CASE("stats from a dataplane without per-worker flow figures decode without them", "[mgmt]") {
    const stats::Snapshot s = test::sample_snapshot();
    const auto full = mgmt::encode(s);
    const auto old = without_sections(full, [](uint16_t t) { return t == 11; });
    REQUIRE(old.size() < full.size());  // the section existed and went
    auto d = mgmt::decode_stats(old);
    REQUIRE(d.workers.size() == 2);
    CHECK(d.workers[1].heartbeat == 100);
    CHECK_FALSE(d.workers[0].has_flows);
    CHECK(d.workers[0].flows_created == 0);
    CHECK(d.workers[1].packets == 0);
}

TEST_CASE("per-worker flow figures for other workers than listed are rejected", "[mgmt]") {
    const stats::Snapshot s = test::sample_snapshot();
    // Drop the Workers section (tag 8): two flow records, no worker listed.
    const auto b = without_sections(mgmt::encode(s), [](uint16_t t) { return t == 8; });
    CHECK_THROWS_WITH(mgmt::decode_stats(b), Catch::Contains("flow figures for 2 workers"));
}

TEST_CASE("workers without flow figures send no flow section", "[mgmt]") {
    stats::Snapshot s = test::sample_snapshot();
    for (auto& w : s.workers) w.has_flows = false;
    const auto b = mgmt::encode(s);
    CHECK(without_sections(b, [](uint16_t t) { return t == 11; }).size() == b.size());
    auto d = mgmt::decode_stats(b);
    CHECK_FALSE(d.workers.at(0).has_flows);
}

TEST_CASE("truncated and trailing payloads are rejected", "[mgmt]") {
    mgmt::LoadPolicyResponse r{true, 3, "fine"};
    auto b = mgmt::encode(r);
    for (size_t n = 0; n < b.size(); ++n)
        CHECK_THROWS_AS(mgmt::decode_load_policy_response({b.data(), n}), wire::DecodeError);
    b.push_back(0);
    CHECK_THROWS_WITH(mgmt::decode_load_policy_response(b), Catch::Contains("trailing"));
}

TEST_CASE("a corrupted element count cannot force a huge allocation", "[mgmt]") {
    wire::Writer w;
    w.put<uint64_t>(0);           // lost
    w.put<uint32_t>(0xfffffff0);  // events: absurd
    CHECK_THROWS_WITH(mgmt::decode_audit_batch(w.data()), Catch::Contains("exceeds the data left"));
}

TEST_CASE("audit batches round-trip", "[mgmt]") {
    const mgmt::AuditBatch b = test::sample_audit_batch();
    const mgmt::AuditEvent& e = b.events.at(0);
    auto d = mgmt::decode_audit_batch(mgmt::encode(b));
    REQUIRE(d.events.size() == 1);
    CHECK(d.lost == 2);
    CHECK(d.events[0].src == e.src);
    CHECK(d.events[0].dport == 445);
    CHECK(d.events[0].suppressed == 5);
}

TEST_CASE("audit batches carry L7 protocol and value; a batch without them decodes", "[mgmt]") {
    mgmt::AuditBatch b = test::sample_audit_batch();
    const auto plain = mgmt::encode(b);  // no L7 event: no trailer, as an older dataplane sends
    b.events.push_back(b.events.at(0));
    b.events[1].l7_protocol = 1;
    b.events[1].l7_value = "XS_CART\\x01";
    auto d = mgmt::decode_audit_batch(mgmt::encode(b));
    REQUIRE(d.events.size() == 2);
    CHECK(d.events[0].l7_protocol == 0);
    CHECK(d.events[0].l7_value.empty());
    CHECK(d.events[1].l7_protocol == 1);
    CHECK(d.events[1].l7_value == "XS_CART\\x01");
    CHECK(mgmt::decode_audit_batch(plain).events.size() == 1);
    auto bad = mgmt::encode(b);
    // Trailer entry: u32 index, u8 protocol, u32 length, value. Index 7 of 2 events:
    bad[bad.size() - b.events[1].l7_value.size() - 4 - 1 - 4] = 7;
    CHECK_THROWS(mgmt::decode_audit_batch(bad));
}

TEST_CASE("stats snapshot carries L7 counters", "[mgmt]") {
    stats::Snapshot s;
    s.l7.push_back({"us_cart", "dicom", {10, 9, 1, 0, 1}});
    auto d = mgmt::decode_stats(mgmt::encode(s));
    REQUIRE(d.l7.size() == 1);
    CHECK(d.l7[0].cls == "us_cart");
    CHECK(d.l7[0].protocol == "dicom");
    CHECK(d.l7[0].counts == std::array<uint64_t, stats::kL7Outcomes>{10, 9, 1, 0, 1});
}

// Decoders allocate in proportion to what they received: a count claiming
// 2^32 elements with a few bytes present is an error before any big
// allocation. Each case would need gigabytes if the count were trusted.
TEST_CASE("decoders refuse counts the remaining bytes cannot hold", "[mgmt]") {
    auto claim = [](std::initializer_list<uint8_t> prefix) {
        std::vector<uint8_t> b(prefix);
        for (int i = 0; i < 4; ++i) b.push_back(0xff);  // u32 count = 2^32 - 1
        for (int i = 0; i < 10; ++i) b.push_back(0);    // 10 bytes of "elements"
        return b;
    };
    // Audit batch: u64 lost, then the count.
    CHECK_THROWS_AS(mgmt::decode_audit_batch(claim({0, 0, 0, 0, 0, 0, 0, 0})), wire::DecodeError);
    // Stats sections: u16 tag, u32 body length, body = count + 10 bytes.
    for (uint16_t tag : {2, 3, 4, 5, 6, 7, 8, 9}) {
        wire::Writer w;
        w.put<uint16_t>(tag);
        w.put_blob(claim({}));
        CHECK_THROWS_AS(mgmt::decode_stats(w.data()), wire::DecodeError);
    }
    // Status: version "", pid, uptime, workers, then the port count.
    wire::Writer st;
    st.put_str("");
    st.put<uint32_t>(0);
    st.put<uint64_t>(0);
    st.put<uint32_t>(0);
    auto sb = st.take();
    auto c = claim({});
    sb.insert(sb.end(), c.begin(), c.end());
    CHECK_THROWS_AS(mgmt::decode_status(sb), wire::DecodeError);
}

// The number of histograms in one message is capped (a sanity limit; their
// memory is bounded by the sparse decoding tested below).
TEST_CASE("stats: the number of histograms is bounded", "[mgmt]") {
    auto hists = [](uint32_t n) {
        wire::Writer body;
        body.put<uint32_t>(n);
        for (uint32_t i = 0; i < n; ++i) {
            body.put_str("");
            body.put_str("");
            body.put<uint64_t>(0);
            body.put<uint32_t>(0);
        }
        wire::Writer w;
        w.put<uint16_t>(9);
        w.put_blob(body.data());
        return w.take();
    };
    CHECK(mgmt::decode_stats(hists(mgmt::kMaxHistograms)).histograms.size() ==
          mgmt::kMaxHistograms);
    CHECK_THROWS_WITH(mgmt::decode_stats(hists(mgmt::kMaxHistograms + 1)),
                      Catch::Contains("histograms"));
}

// Bucket entries a decoded histogram holds (what its memory grows with).
static size_t decoded_entries(const stats::Histogram& h) {
    return h.buckets.size();
}

// A Histograms section (tag 9) of `n` records, each with the given
// (index, count) pairs, exactly as the encoder lays them out.
static std::vector<uint8_t> hist_section(
    uint32_t n, const std::vector<std::pair<uint16_t, uint64_t>>& buckets = {}) {
    wire::Writer body;
    body.put<uint32_t>(n);
    for (uint32_t i = 0; i < n; ++i) {
        body.put_str("");
        body.put_str("");
        body.put<uint64_t>(0);
        body.put<uint32_t>(static_cast<uint32_t>(buckets.size()));
        for (auto [idx, c] : buckets) {
            body.put<uint16_t>(idx);
            body.put<uint64_t>(c);
        }
    }
    wire::Writer w;
    w.put<uint16_t>(9);
    w.put_blob(body.data());
    return w.take();
}

// Decoding must allocate in proportion to what was received: an idle
// histogram is 20 bytes on the wire and must not become 864 counters
// (fuzz/findings/mgmt-stats-histogram-amplification).
TEST_CASE("stats: decoded histograms hold no more entries than the wire carried", "[mgmt]") {
    for (const auto& msg : {hist_section(400), hist_section(400, {{3, 1}, {500, 2}})}) {
        auto d = mgmt::decode_stats(msg);
        REQUIRE(d.histograms.size() == 400);
        size_t entries = 0;
        for (const auto& h : d.histograms) entries += decoded_entries(h);
        CHECK(entries <= msg.size() / 10);
    }
}

TEST_CASE("stats: unsorted or duplicate bucket indexes are rejected", "[mgmt]") {
    CHECK_NOTHROW(mgmt::decode_stats(hist_section(1, {{3, 1}, {4, 1}})));
    CHECK_THROWS_WITH(mgmt::decode_stats(hist_section(1, {{4, 1}, {3, 1}})),
                      Catch::Contains("bucket"));
    CHECK_THROWS_WITH(mgmt::decode_stats(hist_section(1, {{3, 1}, {3, 2}})),
                      Catch::Contains("bucket"));
    CHECK_THROWS_WITH(mgmt::decode_stats(hist_section(1, {{864, 1}})), Catch::Contains("bucket"));
}

TEST_CASE("load-policy image view: same bytes as the copying decoder, no copy", "[mgmt]") {
    mgmt::LoadPolicyRequest req;
    req.image = {1, 2, 3, 4, 5};
    auto payload = mgmt::encode(req);
    auto v = mgmt::load_policy_image_view(payload);
    CHECK(std::vector<uint8_t>(v.begin(), v.end()) == req.image);
    CHECK(v.data() == payload.data() + 4);  // points into the payload
    payload.push_back(0);
    CHECK_THROWS_AS(mgmt::load_policy_image_view(payload), wire::DecodeError);
}
