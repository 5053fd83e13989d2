#include <arpa/inet.h>

#include <iostream>
#include <sstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "audit_log.hpp"
#include "log/log.hpp"
#include "reason_names.hpp"
#include "test_util.hpp"

using namespace wg;
using Clock = std::chrono::steady_clock;

static policy::CompiledPolicy fake_policy() {
    policy::CompiledPolicy p;
    p.commit = "1111111111111111111111111111111111111111";
    p.classes.resize(3);
    p.classes[0].name = "unknown";
    p.classes[1].name = "infusion_pump";
    p.classes[2].name = "pump_server";
    p.zones = {"", "icu-north", "core-dc"};
    p.rules.resize(2);
    p.rules[0].name = "guardrail/no-internet";
    p.rules[1].name = "infusion_pump/to-server";
    return p;
}

static mgmt::AuditEvent event(const char* src, const char* dst, uint8_t verdict, uint32_t rule,
                              uint64_t gen = 7) {
    mgmt::AuditEvent e;
    e.ts_ns = 1764458360123456789ull;
    e.generation = gen;
    e.family = 4;
    e.proto = 6;
    e.vlan = 110;
    ::inet_pton(AF_INET, src, e.src.data());
    ::inet_pton(AF_INET, dst, e.dst.data());
    e.sport = 40000;
    e.dport = 443;
    e.src_class = 1;
    e.dst_class = 2;
    e.src_zone = 1;
    e.dst_zone = 2;
    e.rule = rule;
    e.verdict = verdict;
    e.reason = 12;  // DefaultDeny
    return e;
}

TEST_CASE("audit: one flat JSON object per event with every field a SIEM needs", "[audit]") {
    auto p = fake_policy();
    auto line = cp::format_audit_event(event("198.18.10.11", "198.18.20.5", 1, policy::kNoRule), &p,
                                       "gw-icu1");
    CHECK(line.find('\n') == std::string::npos);
    auto j = nlohmann::json::parse(line);
    CHECK(j["timestamp"] == "2025-11-29T23:19:20.123456Z");
    CHECK(j["event_type"] == "flow_denied");
    CHECK(j["verdict"] == "denied");
    CHECK(j["gateway"] == "gw-icu1");
    CHECK(j["src_ip"] == "198.18.10.11");
    CHECK(j["src_port"] == 40000);
    CHECK(j["dest_ip"] == "198.18.20.5");
    CHECK(j["dest_port"] == 443);
    CHECK(j["proto"] == "TCP");
    CHECK(j["vlan"] == 110);
    CHECK(j["src_class"] == "infusion_pump");
    CHECK(j["src_zone"] == "icu-north");
    CHECK(j["dest_class"] == "pump_server");
    CHECK(j["dest_zone"] == "core-dc");
    CHECK(j["rule"] == "default");
    CHECK(j["reason"] == "default_deny");
    // A rate-limited (or quarantined) drop was decided by no rule.
    auto rl = event("198.18.10.11", "198.18.20.5", 1, policy::kNoRule);
    rl.reason = 16;  // RateLimited
    auto jr = nlohmann::json::parse(cp::format_audit_event(rl, &p, "gw-icu1"));
    CHECK(jr["rule"] == "");
    CHECK(jr["src_zone"] == "icu-north");
    CHECK(j["policy_generation"] == 7);
    CHECK(j["policy_commit"] == p.commit);
    // Every value is a scalar: no nesting a SIEM would have to flatten.
    for (auto& [k, v] : j.items()) CHECK_FALSE(v.is_structured());

    auto wd = nlohmann::json::parse(
        cp::format_audit_event(event("198.18.10.11", "8.8.8.8", 2, 0), &p, "g"));
    CHECK(wd["event_type"] == "flow_would_deny");
    CHECK(wd["verdict"] == "would_deny");
    CHECK(wd["rule"] == "guardrail/no-internet");
}

TEST_CASE("audit: IPv6 addresses and unknown policy generations", "[audit]") {
    auto e = event("198.18.10.11", "198.18.20.5", 1, 1);
    e.family = 6;
    e.src = {};
    e.dst = {};
    ::inet_pton(AF_INET6, "2001:db8::1", e.src.data());
    ::inet_pton(AF_INET6, "2001:db8::2", e.dst.data());
    e.proto = 58;
    auto j = nlohmann::json::parse(cp::format_audit_event(e, nullptr, "g"));
    CHECK(j["src_ip"] == "2001:db8::1");
    CHECK(j["ip_version"] == 6);
    CHECK(j["proto"] == "IPv6-ICMP");
    // No policy for that generation: ids, not invented names.
    CHECK(j["src_class"] == "#1");
    CHECK(j["rule"] == "#1");
    CHECK(j["policy_commit"] == "");
}

TEST_CASE("audit: L7 violations name the protocol and the offending value", "[audit]") {
    auto e = event("198.18.10.11", "198.18.20.5", 1, 1);
    e.reason = static_cast<uint8_t>(contract::Reason::L7DicomCallingAeDenied);
    e.l7_protocol = 1;  // l7::Protocol::Dicom + 1
    e.l7_value = "XS_CART\\x22";
    auto j = nlohmann::json::parse(cp::format_audit_event(e, nullptr, "g"));
    CHECK(j["reason"] == "dicom_calling_ae_denied");
    CHECK(j["l7_protocol"] == "dicom");
    CHECK(j["l7_value"] == "XS_CART\\x22");
    CHECK(j["event_type"] == "flow_denied");
    // An uninspected first payload forwarded (on_failure open) is an allowed event.
    auto u = event("198.18.10.11", "198.18.20.5", 0, 1);
    u.reason = static_cast<uint8_t>(contract::Reason::L7Uninspected);
    auto k = nlohmann::json::parse(cp::format_audit_event(u, nullptr, "g"));
    CHECK(k["event_type"] == "flow_uninspected");
    CHECK(k["reason"] == "l7_uninspected");
    CHECK_FALSE(k.contains("l7_protocol"));
}

TEST_CASE("audit: reason names follow the dataplane's enum", "[audit]") {
    CHECK(cp::reason_name(0) == "none");
    CHECK(cp::reason_name(9) == "spoofed_side");
    CHECK(cp::reason_name(12) == "default_deny");
    CHECK(cp::reason_name(21) == "reply_without_flow");
    CHECK(cp::reason_name(23) == "vlan_stack_too_deep");
    CHECK(cp::reason_name(200) == "reason_200");
}

TEST_CASE("audit: per-source rate limit with N-more-suppressed summaries", "[audit]") {
    cp::PolicyBook book;
    book.add(7, std::make_shared<policy::CompiledPolicy>(fake_policy()));
    cp::AuditConfig cfg;
    cfg.per_source_per_sec = 2;
    cfg.burst = 5;
    cfg.summary_interval = std::chrono::seconds(10);
    cfg.gateway = "g";
    cp::AuditLog log(cfg, &book);
    std::vector<nlohmann::json> lines;
    log.sink = [&](const std::string& l) { lines.push_back(nlohmann::json::parse(l)); };
    REQUIRE_FALSE(log.open().has_value());

    auto t0 = Clock::time_point{} + std::chrono::hours(1);
    mgmt::AuditBatch b;
    for (int i = 0; i < 100; ++i)
        b.events.push_back(event("198.18.10.66", "198.18.20.5", 1, policy::kNoRule));
    b.events.push_back(event("198.18.10.12", "198.18.20.5", 2, 1));  // another source: not limited
    b.events.back().suppressed = 4;  // the dataplane dropped 4 before this one
    log.ingest(b, t0);
    REQUIRE(lines.size() == 6);
    // Class-pair counters see every event, also the rate-limited ones.
    auto fams = log.Collect();
    double pair_denied = -1;
    for (const auto& f : fams)
        if (f.name == "wardgate_denied_class_pairs_total")
            for (const auto& m : f.metric)
                if (m.label.size() == 3 && m.label[2].value == "denied")
                    pair_denied = m.counter.value;
    CHECK(pair_denied == 100);
    int scanner = 0;
    for (auto& l : lines) scanner += l["src_ip"] == "198.18.10.66";
    CHECK(scanner == 5);
    CHECK(lines.back()["src_class"] == "infusion_pump");

    // After the summary interval: one summary per source that lost lines.
    log.tick(t0 + std::chrono::seconds(10));
    REQUIRE(lines.size() == 8);
    std::map<std::string, nlohmann::json> sum;
    for (size_t i = 6; i < 8; ++i) {
        CHECK(lines[i]["event_type"] == "audit_suppressed");
        sum[lines[i]["src_ip"]] = lines[i];
    }
    CHECK(sum["198.18.10.66"]["suppressed"] == 95);
    CHECK(sum["198.18.10.66"]["message"] == "95 more events from 198.18.10.66 suppressed");
    CHECK(sum["198.18.10.12"]["suppressed"] == 4);
    CHECK(sum["198.18.10.12"]["suppressed_by_dataplane"] == 4);
    // Nothing suppressed since: no further summaries.
    log.tick(t0 + std::chrono::seconds(20));
    CHECK(lines.size() == 8);
    // The bucket refills: 20 s at 2/s fills the 5-deep bucket again.
    mgmt::AuditBatch b2;
    for (int i = 0; i < 6; ++i) b2.events.push_back(event("198.18.10.66", "198.18.20.5", 1, 0));
    log.ingest(b2, t0 + std::chrono::seconds(20));
    CHECK(lines.size() == 13);

    // Lost events (dataplane ring full) are reported too.
    mgmt::AuditBatch b3;
    b3.lost = 17;
    log.ingest(b3, t0 + std::chrono::seconds(31));
    bool saw_lost = false;
    for (auto& l : lines)
        if (l["event_type"] == "audit_lost") saw_lost = l["lost"] == 17;
    CHECK(saw_lost);
}

TEST_CASE("audit: a flood of distinct sources stays bounded", "[audit]") {
    cp::AuditConfig cfg;
    cfg.per_source_per_sec = 1;
    cfg.burst = 1;
    cfg.max_sources = 50;
    cp::AuditLog log(cfg, nullptr);
    size_t n = 0;
    std::vector<std::string> summaries;
    log.sink = [&](const std::string& l) {
        ++n;
        if (l.find("audit_suppressed") != std::string::npos) summaries.push_back(l);
    };
    auto t0 = Clock::time_point{} + std::chrono::hours(1);
    mgmt::AuditBatch b;
    // 2 events from each of 200 sources.
    for (int i = 0; i < 200; ++i) {
        std::string ip = "198.18." + std::to_string(i / 250 + 30) + "." + std::to_string(i % 250);
        b.events.push_back(event(ip.c_str(), "198.18.20.5", 1, 0));
        b.events.push_back(event(ip.c_str(), "198.18.20.5", 1, 0));
    }
    log.ingest(b, t0);
    CHECK(n == 50);  // first event of each tracked source
    log.tick(t0, true);
    // 50 per-source summaries + one for the untracked rest (300 events).
    REQUIRE(summaries.size() == 51);
    CHECK(summaries.back().find("\"src_ip\":\"*\"") != std::string::npos);
    CHECK(summaries.back().find("\"suppressed\":300") != std::string::npos);
}

TEST_CASE("audit: file output, reopened after logrotate moved it", "[audit]") {
    wg::test::TempDir dir;
    cp::AuditConfig cfg;
    cfg.file = (dir / "audit.jsonl").string();
    cfg.gateway = "g";
    cp::AuditLog log(cfg, nullptr);
    REQUIRE_FALSE(log.open().has_value());
    auto t0 = Clock::time_point{} + std::chrono::hours(1);
    mgmt::AuditBatch b;
    b.events.push_back(event("198.18.10.11", "198.18.20.5", 1, 0));
    log.ingest(b, t0);
    std::filesystem::rename(dir / "audit.jsonl", dir / "audit.jsonl.1");
    b.events[0].sport = 1111;
    log.ingest(b, t0 + std::chrono::seconds(1));  // still into the renamed file
    REQUIRE_FALSE(log.reopen().has_value());
    b.events[0].sport = 2222;
    log.ingest(b, t0 + std::chrono::seconds(2));
    auto old_text = wg::test::read_text(dir / "audit.jsonl.1");
    auto new_text = wg::test::read_text(dir / "audit.jsonl");
    CHECK(std::count(old_text.begin(), old_text.end(), '\n') == 2);
    CHECK(old_text.find("\"src_port\":1111") != std::string::npos);
    CHECK(std::count(new_text.begin(), new_text.end(), '\n') == 1);
    CHECK(new_text.find("\"src_port\":2222") != std::string::npos);
    // Every line parses on its own.
    std::istringstream in(old_text + new_text);
    for (std::string l; std::getline(in, l);) CHECK_NOTHROW(nlohmann::json::parse(l));
}

namespace {
// Value of counter `name` whose labels include `label`=`value` (-1: absent).
double counter(const std::vector<prometheus::MetricFamily>& fams, const std::string& name,
               const std::string& label, const std::string& value) {
    for (const auto& f : fams)
        if (f.name == name)
            for (const auto& m : f.metric)
                for (const auto& l : m.label)
                    if (l.name == label && l.value == value) return m.counter.value;
    return -1;
}

// Captures what the control plane logs (the common log, routed through
// std::cerr here) for the scope.
struct CerrCapture {
    std::ostringstream text;
    std::streambuf* old = std::cerr.rdbuf(text.rdbuf());
    CerrCapture() {
        wg::log::set_sink(
            [](wg::log::Level, const std::string& line) { std::cerr << line << "\n"; });
    }
    ~CerrCapture() {
        wg::log::set_sink(nullptr);
        std::cerr.rdbuf(old);
    }
    size_t count(const std::string& what) const {
        size_t n = 0;
        auto s = text.str();
        for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
        return n;
    }
};
}  // namespace

TEST_CASE("audit: a full disk loses no record silently", "[audit][disk]") {
    cp::PolicyBook book;
    book.add(7, std::make_shared<policy::CompiledPolicy>(fake_policy()));
    cp::AuditConfig cfg;
    cfg.file = "/dev/full";  // every write fails with ENOSPC, like a full /var/log
    cfg.summary_interval = std::chrono::seconds(10);
    cfg.gateway = "g";
    cp::AuditLog log(cfg, &book);
    REQUIRE_FALSE(log.open().has_value());
    CerrCapture err;

    auto t0 = Clock::time_point{} + std::chrono::hours(1);
    auto batch = [](int n) {
        mgmt::AuditBatch b;
        for (int i = 0; i < n; ++i) {
            std::string src = "198.18.10." + std::to_string(i + 1);  // distinct: no rate limit
            b.events.push_back(event(src.c_str(), "198.18.20.5", 1, policy::kNoRule));
        }
        return b;
    };
    log.ingest(batch(100), t0);
    auto fams = log.Collect();
    CHECK(counter(fams, "wardgate_audit_lost_total", "reason", "write_failed") == 100);
    CHECK(counter(fams, "wardgate_audit_lost_total", "reason", "ring_full") == 0);
    CHECK(counter(fams, "wardgate_audit_events_total", "verdict", "denied") == 0);
    INFO(err.text.str());
    CHECK(err.count("audit log write failed") == 1);
    CHECK(err.count("No space left on device (ENOSPC), 100 records lost") == 1);

    // More failures right after: counted, but the log is not flooded.
    log.ingest(batch(50), t0 + std::chrono::seconds(1));
    CHECK(err.count("audit log write failed") == 1);
    CHECK(counter(log.Collect(), "wardgate_audit_lost_total", "reason", "write_failed") == 150);
    // A minute later the pending count is reported, once.
    log.tick(t0 + std::chrono::seconds(61));
    CHECK(err.count("audit log write failed") == 2);
    CHECK(err.count("ENOSPC), 50 records lost") == 1);
}
