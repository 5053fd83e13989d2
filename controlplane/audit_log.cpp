#include "audit_log.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <iostream>

#include <nlohmann/json.hpp>

#include "l7/result.hpp"
#include "log/log.hpp"
#include "metric_util.hpp"
#include "reason_names.hpp"
#include "stats/snapshot.hpp"

namespace wg::cp {

using prometheus::MetricType;

std::string format_time_ns(uint64_t unix_ns) {
    std::time_t t = static_cast<std::time_t>(unix_ns / 1000000000ull);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[48];
    size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof(buf) - n, ".%06luZ",
                  static_cast<unsigned long>((unix_ns % 1000000000ull) / 1000));
    return buf;
}

std::string ip_to_string(uint8_t family, const std::array<uint8_t, 16>& addr) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (family == 6) {
        ::inet_ntop(AF_INET6, addr.data(), buf, sizeof(buf));
    } else {
        ::inet_ntop(AF_INET, addr.data(), buf, sizeof(buf));
    }
    return buf;
}

namespace {
std::string proto_name(uint8_t p) {
    switch (p) {
        case 1:
            return "ICMP";
        case 6:
            return "TCP";
        case 17:
            return "UDP";
        case 58:
            return "IPv6-ICMP";
        default:
            return std::to_string(p);
    }
}
std::string class_name(const policy::CompiledPolicy* p, uint16_t id) {
    if (p && id < p->classes.size()) return p->classes[id].name;
    return "#" + std::to_string(id);
}
std::string zone_name(const policy::CompiledPolicy* p, uint16_t id) {
    if (p && id < p->zones.size()) return p->zones[id];
    return "#" + std::to_string(id);
}
std::string rule_name(const policy::CompiledPolicy* p, uint32_t id) {
    if (id == policy::kNoRule) return "default";
    if (p && id < p->rules.size()) return p->rules[id].name;
    return "#" + std::to_string(id);
}
const char* verdict_str(uint8_t v) {
    return stats::verdict_name(static_cast<stats::Verdict>(v));
}
std::string host_name() {
    char buf[256] = {};
    if (::gethostname(buf, sizeof(buf) - 1) != 0) return "";
    return buf;
}
std::string dump(const nlohmann::ordered_json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}
}  // namespace

std::string format_audit_event(const mgmt::AuditEvent& e, const policy::CompiledPolicy* p,
                               const std::string& gateway) {
    nlohmann::ordered_json j;
    j["timestamp"] = format_time_ns(e.ts_ns);
    const bool enforced = e.verdict == static_cast<uint8_t>(stats::Verdict::Denied);
    // Allowed events are L7 first payloads forwarded uninspected (on_failure: open).
    const bool allowed = e.verdict == static_cast<uint8_t>(stats::Verdict::Allowed);
    j["event_type"] = enforced ? "flow_denied" : allowed ? "flow_uninspected" : "flow_would_deny";
    j["verdict"] = verdict_str(e.verdict);
    j["gateway"] = gateway;
    j["ip_version"] = e.family == 6 ? 6 : 4;
    j["src_ip"] = ip_to_string(e.family, e.src);
    j["src_port"] = e.sport;
    j["dest_ip"] = ip_to_string(e.family, e.dst);
    j["dest_port"] = e.dport;
    j["proto"] = proto_name(e.proto);
    j["vlan"] = e.vlan;
    j["src_class"] = class_name(p, e.src_class);
    j["src_zone"] = zone_name(p, e.src_zone);
    j["dest_class"] = class_name(p, e.dst_class);
    j["dest_zone"] = zone_name(p, e.dst_zone);
    // No rule decided a rate-limit or quarantine drop: not "default".
    const bool gate = e.reason == uint8_t(contract::Reason::RateLimited) ||
                      e.reason == uint8_t(contract::Reason::Quarantined);
    j["rule"] = gate && e.rule == policy::kNoRule ? "" : rule_name(p, e.rule);
    j["reason"] = reason_name(e.reason);
    if (e.l7_protocol) {
        // Protocol inspection: what the first payload said (escaped by the dataplane).
        j["l7_protocol"] =
            std::string(l7::protocol_name(static_cast<l7::Protocol>(e.l7_protocol - 1)));
        j["l7_value"] = e.l7_value;
    }
    j["policy_generation"] = e.generation;
    j["policy_commit"] = p ? p->commit : "";
    return dump(j);
}

std::string format_staged_event(const mgmt::AuditEvent& e, const policy::CompiledPolicy* p,
                                const policy::CompiledPolicy* sp, const std::string& gateway) {
    nlohmann::ordered_json j = nlohmann::ordered_json::parse(format_audit_event(e, p, gateway));
    j["event_type"] = e.staged == uint8_t(stats::StagedDifference::WouldDeny)
                          ? "staged_would_deny"
                          : "staged_would_allow";
    j["staged_src_class"] = class_name(sp, e.staged_src_class);
    j["staged_dest_class"] = class_name(sp, e.staged_dst_class);
    j["staged_rule"] = rule_name(sp, e.staged_rule);
    j["staged_policy_generation"] = e.staged_generation;
    j["staged_policy_commit"] = sp ? sp->commit : "";
    return dump(j);
}

AuditLog::AuditLog(AuditConfig cfg, const PolicyBook* book) : cfg_(std::move(cfg)), book_(book) {
    if (cfg_.gateway.empty()) cfg_.gateway = host_name();
}

AuditLog::~AuditLog() {
    if (fd_ >= 0) ::close(fd_);
    if (syslog_open_) ::closelog();
}

std::optional<std::string> AuditLog::open() {
    if (cfg_.syslog && !syslog_open_) {
        ::openlog("wardgate-audit", LOG_PID | LOG_NDELAY, LOG_AUTH);
        syslog_open_ = true;
    }
    if (cfg_.file.empty()) return std::nullopt;
    // 0640: the log names hosts and their traffic; root and the log group.
    int fd = ::open(cfg_.file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) return "cannot open audit log " + cfg_.file + ": " + std::strerror(errno);
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
    return std::nullopt;
}

std::optional<std::string> AuditLog::reopen() {
    {
        std::lock_guard lk(mu_);
        ++reopens_;
    }
    // Open the new file before closing the old one: if it fails we keep
    // writing to the (renamed) old file rather than losing lines.
    return open();
}

bool AuditLog::emit(const std::string& line, int priority) {
    if (sink) sink(line);
    if (syslog_open_) ::syslog(priority, "%s", line.c_str());
    if (fd_ < 0) return true;
    std::string rec = line + '\n';
    size_t off = 0;
    while (off < rec.size()) {
        ssize_t n = ::write(fd_, rec.data() + off, rec.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            // A record cut short is lost as a whole: it would not parse.
            write_errno_ = n < 0 ? errno : ENOSPC;
            ++write_lost_pending_;
            std::lock_guard lk(mu_);
            ++write_errors_;
            ++write_lost_total_;
            return false;
        }
        off += static_cast<size_t>(n);
    }
    return true;
}

void AuditLog::report_write_failures(Clock::time_point now, bool force) {
    if (write_lost_pending_ == 0) return;
    if (!force && now < next_write_report_) return;
    next_write_report_ = now + cfg_.write_error_interval;
    const char* name = strerrorname_np(write_errno_);
    wg::log::Line(wg::log::Level::Err, "controlplane.audit")
        << "audit log write failed: " << std::strerror(write_errno_) << " (" << (name ? name : "?")
        << "), " << write_lost_pending_
        << " records lost (wardgate_audit_lost_total{reason=\"write_failed\"}); file " << cfg_.file;
    write_lost_pending_ = 0;
}

void AuditLog::evict(Clock::time_point now) {
    // Forget sources whose bucket has refilled and that owe no summary: they
    // would be recreated in exactly the same state.
    for (auto it = sources_.begin(); it != sources_.end();) {
        const auto& s = it->second;
        double refill =
            std::chrono::duration<double>(now - s.last).count() * cfg_.per_source_per_sec;
        if (s.suppressed == 0 && s.dp_suppressed == 0 && s.tokens + refill >= cfg_.burst)
            it = sources_.erase(it);
        else
            ++it;
    }
}

bool AuditLog::admit(const std::string& src, uint32_t dp_suppressed, Clock::time_point now) {
    auto it = sources_.find(src);
    if (it == sources_.end()) {
        if (sources_.size() >= cfg_.max_sources) evict(now);
        if (sources_.size() >= cfg_.max_sources) {
            // Too many distinct sources (address spraying): one shared
            // summary instead of unbounded memory.
            overflow_suppressed_ += 1 + dp_suppressed;
            std::lock_guard lk(mu_);
            ++suppressed_total_;
            dp_suppressed_total_ += dp_suppressed;
            return false;
        }
        it = sources_.emplace(src, Source{cfg_.burst, now, 0, 0}).first;
    }
    auto& s = it->second;
    s.tokens = std::min(cfg_.burst, s.tokens + std::chrono::duration<double>(now - s.last).count() *
                                                   cfg_.per_source_per_sec);
    s.last = now;
    s.dp_suppressed += dp_suppressed;
    if (dp_suppressed) {
        std::lock_guard lk(mu_);
        dp_suppressed_total_ += dp_suppressed;
    }
    if (s.tokens >= 1) {
        s.tokens -= 1;
        return true;
    }
    ++s.suppressed;
    std::lock_guard lk(mu_);
    ++suppressed_total_;
    return false;
}

void AuditLog::ingest(const mgmt::AuditBatch& batch, Clock::time_point now) {
    if (next_summary_ == Clock::time_point{}) next_summary_ = now + cfg_.summary_interval;
    PolicyBook::Ptr cached;
    uint64_t cached_gen = ~0ull;
    for (const auto& e : batch.events) {
        if (e.generation != cached_gen) {
            cached = book_ ? book_->find(e.generation) : nullptr;
            cached_gen = e.generation;
        }
        if (e.staged) {
            // Not a verdict: neither the per-pair denial counts nor the
            // per-source budget of real denials (the dataplane limits these
            // with a limiter of their own).
            auto sp = staged_book_ ? staged_book_->find(e.staged_generation) : nullptr;
            if (emit(format_staged_event(e, cached.get(), sp.get(), cfg_.gateway), LOG_NOTICE)) {
                std::lock_guard lk(mu_);
                ++written_[e.staged == uint8_t(stats::StagedDifference::WouldDeny)
                               ? "staged_would_deny"
                               : "staged_would_allow"];
            }
            continue;
        }
        {
            std::lock_guard lk(mu_);
            ++pairs_[{class_name(cached.get(), e.src_class), class_name(cached.get(), e.dst_class),
                      verdict_str(e.verdict)}];
        }
        std::string src = ip_to_string(e.family, e.src);
        if (!admit(src, e.suppressed, now)) continue;
        const bool enforced = e.verdict == static_cast<uint8_t>(stats::Verdict::Denied);
        if (!emit(format_audit_event(e, cached.get(), cfg_.gateway),
                  enforced ? LOG_WARNING : LOG_NOTICE))
            continue;
        std::lock_guard lk(mu_);
        ++written_[verdict_str(e.verdict)];
    }
    if (batch.lost) {
        lost_pending_ += batch.lost;
        std::lock_guard lk(mu_);
        lost_total_ += batch.lost;
    }
    tick(now);
}

void AuditLog::tick(Clock::time_point now, bool force) {
    if (next_summary_ == Clock::time_point{}) next_summary_ = now + cfg_.summary_interval;
    report_write_failures(now, false);
    if (!force && now < next_summary_) return;
    next_summary_ = now + cfg_.summary_interval;
    const auto ts = format_time_ns(
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count()));
    const auto secs = cfg_.summary_interval.count();
    for (auto& [src, s] : sources_) {
        if (s.suppressed == 0 && s.dp_suppressed == 0) continue;
        nlohmann::ordered_json j;
        j["timestamp"] = ts;
        j["event_type"] = "audit_suppressed";
        j["gateway"] = cfg_.gateway;
        j["src_ip"] = src;
        j["suppressed"] = s.suppressed + s.dp_suppressed;
        j["suppressed_by_controlplane"] = s.suppressed;
        j["suppressed_by_dataplane"] = s.dp_suppressed;
        j["interval_seconds"] = secs;
        j["message"] = std::to_string(s.suppressed + s.dp_suppressed) + " more events from " + src +
                       " suppressed";
        emit(dump(j), LOG_NOTICE);
        s.suppressed = s.dp_suppressed = 0;
    }
    if (overflow_suppressed_) {
        nlohmann::ordered_json j;
        j["timestamp"] = ts;
        j["event_type"] = "audit_suppressed";
        j["gateway"] = cfg_.gateway;
        j["src_ip"] = "*";
        j["suppressed"] = overflow_suppressed_;
        j["interval_seconds"] = secs;
        j["message"] = std::to_string(overflow_suppressed_) +
                       " more events suppressed: too many distinct sources";
        emit(dump(j), LOG_NOTICE);
        overflow_suppressed_ = 0;
    }
    if (lost_pending_) {
        nlohmann::ordered_json j;
        j["timestamp"] = ts;
        j["event_type"] = "audit_lost";
        j["gateway"] = cfg_.gateway;
        j["lost"] = lost_pending_;
        j["interval_seconds"] = secs;
        j["message"] =
            std::to_string(lost_pending_) + " events lost: the dataplane's audit ring was full";
        emit(dump(j), LOG_WARNING);
        lost_pending_ = 0;
    }
    report_write_failures(now, force);
    evict(now);
}

std::vector<prometheus::MetricFamily> AuditLog::Collect() const {
    std::lock_guard lk(mu_);
    std::vector<prometheus::MetricFamily> out;
    auto w = family("wardgate_audit_events_total", "Audit events written, by verdict",
                    MetricType::Counter);
    for (const char* v : {"denied", "would_deny"}) {
        auto it = written_.find(v);
        add_counter(w, {{"verdict", v}}, it == written_.end() ? 0.0 : double(it->second));
    }
    out.push_back(std::move(w));
    auto pr = family("wardgate_denied_class_pairs_total",
                     "Denied and would-deny flows reported by the dataplane, by source and "
                     "destination class (the dataplane's own audit rate limit applies)",
                     MetricType::Counter);
    for (const auto& [k, v] : pairs_)
        add_counter(pr,
                    {{"src_class", std::get<0>(k)},
                     {"dest_class", std::get<1>(k)},
                     {"verdict", std::get<2>(k)}},
                    double(v));
    out.push_back(std::move(pr));
    auto s = family("wardgate_audit_suppressed_total",
                    "Audit events not written because of per-source rate limits, by where",
                    MetricType::Counter);
    add_counter(s, {{"by", "controlplane"}}, double(suppressed_total_));
    add_counter(s, {{"by", "dataplane"}}, double(dp_suppressed_total_));
    out.push_back(std::move(s));
    auto l = family("wardgate_audit_lost_total",
                    "Audit records lost: the dataplane's audit ring was full (ring_full) or "
                    "the audit log file could not be written (write_failed)",
                    MetricType::Counter);
    add_counter(l, {{"reason", "ring_full"}}, double(lost_total_));
    add_counter(l, {{"reason", "write_failed"}}, double(write_lost_total_));
    out.push_back(std::move(l));
    auto e = family("wardgate_audit_write_errors_total", "Failed writes to the audit log file",
                    MetricType::Counter);
    add_counter(e, {}, double(write_errors_));
    out.push_back(std::move(e));
    auto r = family("wardgate_audit_reopens_total", "Audit log reopens (SIGUSR1, logrotate)",
                    MetricType::Counter);
    add_counter(r, {}, double(reopens_));
    out.push_back(std::move(r));
    return out;
}

}  // namespace wg::cp
