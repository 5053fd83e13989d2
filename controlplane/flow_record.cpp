#include "flow_record.hpp"

#include <nlohmann/json.hpp>

#include "atomic_file.hpp"
#include "log/log.hpp"
#include "policy/net.hpp"

namespace wg::cp {

FlowRecord::FlowRecord(std::filesystem::path state_dir, std::chrono::seconds save_every)
    : file_(std::move(state_dir) / kFileName), save_every_(save_every) {
    std::error_code ec;
    if (!std::filesystem::exists(file_, ec)) return;
    std::string err;
    auto bytes = read_file(file_, &err);
    if (!bytes) {
        load_error_ = err;
        return;
    }
    auto j = nlohmann::json::parse(bytes->begin(), bytes->end(), nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("flows")) {
        load_error_ = file_.string() + ": not a learned-flows record";
        return;
    }
    overflow_ = j.value("overflow", uint64_t(0));
    for (const auto& r : j["flows"]) {
        if (recs_.size() >= kMaxRecords) break;
        std::string e;
        auto s = policy::net::parse_ip(r.value("src", ""), e);
        auto d = policy::net::parse_ip(r.value("dst", ""), e);
        if (!s || !d || s->family != d->family) continue;
        Key k{s->family,
              s->addr,
              d->addr,
              r.value("proto", uint8_t(0)),
              r.value("dport", uint16_t(0)),
              r.value("vlan", uint16_t(0))};
        recs_[k] = Rec{r.value("flows", uint64_t(0)), r.value("first_ns", uint64_t(0)),
                       r.value("last_ns", uint64_t(0))};
    }
}

FlowRecord::~FlowRecord() {
    if (auto e = save()) wg::log::Line(wg::log::Level::Warning, "controlplane.learn") << *e;
}

void FlowRecord::ingest(const mgmt::AuditBatch& b, Clock::time_point now) {
    for (const auto& e : b.events) {
        if (e.staged) continue;  // a staged policy's opinion, not an observed denial
        const uint16_t dport = (e.proto == 6 || e.proto == 17) ? e.dport : 0;
        Key k{e.family, e.src, e.dst, e.proto, dport, e.vlan};
        auto it = recs_.find(k);
        if (it == recs_.end()) {
            if (recs_.size() >= kMaxRecords) {
                ++overflow_;
                dirty_ = true;
                continue;
            }
            it = recs_.emplace(k, Rec{0, e.ts_ns, e.ts_ns}).first;
        }
        auto& r = it->second;
        ++r.flows;
        r.first_ns = std::min(r.first_ns, e.ts_ns);
        r.last_ns = std::max(r.last_ns, e.ts_ns);
        dirty_ = true;
    }
    if (dirty_ && now - last_save_ >= save_every_) {
        last_save_ = now;
        if (auto e = save()) wg::log::Line(wg::log::Level::Warning, "controlplane.learn") << *e;
    }
}

std::optional<std::string> FlowRecord::save() {
    if (!dirty_) return std::nullopt;
    nlohmann::ordered_json j;
    j["overflow"] = overflow_;
    j["max_records"] = kMaxRecords;
    auto& fl = j["flows"] = nlohmann::ordered_json::array();
    for (const auto& [k, r] : recs_) {
        const auto& [family, src, dst, proto, dport, vlan] = k;
        fl.push_back({{"src", policy::net::format_addr(src, family)},
                      {"dst", policy::net::format_addr(dst, family)},
                      {"proto", proto},
                      {"dport", dport},
                      {"vlan", vlan},
                      {"flows", r.flows},
                      {"first_ns", r.first_ns},
                      {"last_ns", r.last_ns}});
    }
    // The record names hosts and their traffic, like the audit log: 0640.
    if (auto e = write_file_atomic(file_, j.dump(1) + "\n", 0640)) return e;
    dirty_ = false;
    return std::nullopt;
}

}  // namespace wg::cp
