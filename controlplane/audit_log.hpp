// The audit log: every denied and would-deny event the dataplane reports,
// as one JSON object per line (flat fields, Suricata-EVE-like names, so a
// SIEM ingests it without a parser), to a file and/or syslog.
//
// A scanner or a broken device can produce thousands of denials a second;
// the log must stay readable and bounded. Each source address gets a token
// bucket; what it does not let through is counted and reported every
// `summary_interval` as one "audit_suppressed" line per source, so nothing
// disappears silently. Events the dataplane already dropped (its own
// per-source limit, or a full ring) are folded into the same summaries.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "mgmt/messages.hpp"
#include "policy/compiled.hpp"
#include "policy_book.hpp"

namespace wg::cp {

struct AuditConfig {
    std::string file;                // "" = no file output
    bool syslog = false;             // also send each line to syslog(3), facility LOG_AUTH
    double per_source_per_sec = 10;  // sustained lines per source address
    double burst = 20;               // bucket depth
    std::chrono::seconds summary_interval{10};
    size_t max_sources = 4096;  // bounded memory under address spraying
    std::string gateway;        // "gateway" field (hostname by default)
    // Failed writes to `file` (full disk, I/O error) are reported on stderr
    // at most this often, with the number of records lost meanwhile.
    std::chrono::seconds write_error_interval{60};
};

// One JSON object (no trailing newline). `p` may be null (unknown generation):
// classes, zones and rules are then given as "#<id>".
std::string format_audit_event(const mgmt::AuditEvent& e, const policy::CompiledPolicy* p,
                               const std::string& gateway);
// A staged-policy difference (e.staged != 0, issue 13 part 3): event_type
// "staged_would_deny" / "staged_would_allow", the enforced verdict and
// classes as above, plus the staged policy's view (`sp`, may be null):
// staged_src_class, staged_dest_class, staged_rule, staged_policy_generation.
std::string format_staged_event(const mgmt::AuditEvent& e, const policy::CompiledPolicy* p,
                                const policy::CompiledPolicy* sp, const std::string& gateway);
std::string format_time_ns(uint64_t unix_ns);
std::string ip_to_string(uint8_t family, const std::array<uint8_t, 16>& addr);

class AuditLog : public prometheus::Collectable {
  public:
    using Clock = std::chrono::steady_clock;
    AuditLog(AuditConfig cfg, const PolicyBook* book);
    ~AuditLog();
    // Opens the file / syslog. Error message on failure.
    std::optional<std::string> open();
    // logrotate's postrotate sends SIGUSR1: write to a fresh file at the path.
    std::optional<std::string> reopen();
    void ingest(const mgmt::AuditBatch& batch, Clock::time_point now = Clock::now());
    // Emits due suppression summaries; call periodically.
    void tick(Clock::time_point now = Clock::now(), bool force = false);
    // Names the staged classes of staged-difference events (not owned).
    void set_staged_book(const PolicyBook* b) { staged_book_ = b; }
    // Lines also go here (tests).
    std::function<void(const std::string&)> sink;

    std::vector<prometheus::MetricFamily> Collect() const override;

  private:
    struct Source {
        double tokens = 0;
        Clock::time_point last;
        uint64_t suppressed = 0;     // by us, since the last summary
        uint64_t dp_suppressed = 0;  // by the dataplane, since the last summary
    };
    bool admit(const std::string& src, uint32_t dp_suppressed, Clock::time_point now);
    // Writes one record; false if it did not reach the file (counted as lost).
    bool emit(const std::string& line, int priority);
    // Rate-limited "audit log write failed: ..., N records lost" on stderr.
    void report_write_failures(Clock::time_point now, bool force);
    void evict(Clock::time_point now);

    AuditConfig cfg_;
    const PolicyBook* book_;
    const PolicyBook* staged_book_ = nullptr;
    // Unbuffered: each record is one write(2) on an O_APPEND descriptor, so a
    // failure (ENOSPC) is seen for the record it loses, not later by a flush
    // that nobody checks.
    int fd_ = -1;
    bool syslog_open_ = false;
    std::unordered_map<std::string, Source> sources_;
    uint64_t overflow_suppressed_ = 0;  // sources we could not track (table full)
    uint64_t lost_pending_ = 0;         // ring overflows in the dataplane, not yet reported
    Clock::time_point next_summary_{};
    uint64_t write_lost_pending_ = 0;  // records lost to write errors, not yet reported
    int write_errno_ = 0;              // the latest write error
    Clock::time_point next_write_report_{};

    mutable std::mutex mu_;                    // counters read by scrapes
    std::map<std::string, uint64_t> written_;  // by verdict
    // Denials by (source class, destination class, verdict), counted before
    // the control plane's rate limit: bounded by the policy's classes.
    std::map<std::tuple<std::string, std::string, std::string>, uint64_t> pairs_;
    uint64_t suppressed_total_ = 0, dp_suppressed_total_ = 0, lost_total_ = 0;
    uint64_t write_lost_total_ = 0;
    uint64_t write_errors_ = 0, reopens_ = 0;
};

}  // namespace wg::cp
