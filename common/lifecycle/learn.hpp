// The learner behind `wardgate learn`: aggregates observed new flows into
// proposed egress/ingress rules per class, with their evidence, and lists
// the hosts the inventory does not know with passive evidence. Input comes
// from the replay engine (a capture judged by the current policy: classes,
// and whether a flow is already allowed, forbidden by a guardrail, or would
// be denied) or from the control plane's JSON audit log.
//
// Bounded memory: flows are aggregated by (source class or host,
// destination class / address group / host, protocol, port); at most
// kMaxAggregates aggregates, kMaxHostsPerAggregate hosts listed per
// aggregate and kMaxUnknownHosts unknown hosts. What does not fit is
// counted (overflow) and said in the output, never silently dropped.
// Deterministic: everything is kept in ordered maps and rendered sorted;
// the only times printed are the capture's.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "lifecycle/replay.hpp"
#include "policy/compiled.hpp"
#include "policy/evaluate.hpp"
#include "policy/source.hpp"

namespace wg::dp {
struct PacketMeta;
}

namespace wg::lifecycle {

inline constexpr size_t kMaxAggregates = 65536;
inline constexpr size_t kMaxHostsPerAggregate = 64;
inline constexpr size_t kMaxUnknownHosts = 4096;
inline constexpr size_t kMaxMembersPerClass = 65536;

struct LearnStats {
    uint64_t flows = 0;            // new flows seen
    uint64_t already_allowed = 0;  // by an allow rule or a default allow
    uint64_t guardrail = 0;        // forbidden by a guardrail: never proposed
    uint64_t other = 0;            // essentials, bypass, spoofing, replies without flow
    uint64_t candidates = 0;       // would be denied: the proposals' evidence
    uint64_t overflow = 0;         // candidates not aggregated (kMaxAggregates reached)
    uint64_t unknown_overflow = 0;
};

class Learner : public FlowSink {
  public:
    Learner(const policy::CompiledPolicy& p, const policy::src::Source& s);

    // FlowSink: a flow judged by the current policy, and its packets.
    int64_t on_flow(const FlowReport& f, const policy::Decision* d) override;
    void on_packet(int64_t tag, uint64_t ts_ns) override;
    // More flows of an aggregate already tagged (a counted record).
    void add_flows(int64_t tag, uint64_t n);
    // Passive evidence from a frame (MAC vendor, DHCP options, L7 first
    // payloads); `side` is the port it arrived on.
    void observe_frame(const uint8_t* data, uint32_t len, policy::Side side);

    const LearnStats& stats() const { return stats_; }

    // Writes the proposal: a copy of the policy directory `policy_dir` in
    // `out` (which must not exist or be empty) with the learned rules
    // inserted into the class documents and the unknown hosts in
    // learned-unknown-hosts.yaml. Returns "" or an error. `summary` gets a
    // human-readable summary.
    std::string write(const std::filesystem::path& policy_dir, const std::filesystem::path& out,
                      std::string& summary) const;

    // The proposal as text blocks, keyed by class name (egress/ingress
    // items, already indented for `indent`), for tests.
    struct Proposed {
        std::string cls;
        bool egress = true;
        std::string name;
        std::vector<std::string> comments;  // evidence, confidence
        std::string peer;                   // "{class: x}", "{group: g}", "{cidr: ip}"
        uint8_t proto = 0;
        uint16_t port = 0;
        std::string constraints;  // "" or a flow-style mapping
    };
    std::vector<Proposed> proposals(std::vector<std::string>& notes) const;

  private:
    struct Key {
        uint16_t own_class;  // the class the rule goes to
        bool egress;         // own class initiates
        uint8_t peer_kind;   // 0 class, 1 group, 2 host
        std::string peer;    // class name, group name, address
        uint8_t proto;
        uint16_t port;
        auto operator<=>(const Key&) const = default;
    };
    struct Agg {
        uint64_t flows = 0, packets = 0, first = 0, last = 0;
        std::set<std::string> own_hosts, peer_hosts;  // capped at kMaxHostsPerAggregate
        uint64_t own_more = 0, peer_more = 0;
        std::set<std::string> calling_ae, called_ae, msh3, smb_dialects;
        std::set<uint8_t> ntp_modes;
        int64_t tag = -1;
    };
    struct Unknown {
        std::string mac;
        std::set<std::string> dhcp_vendor, dhcp_hostname, partners, evidence;
        uint64_t flows = 0, first = 0, last = 0;
        std::string likely;  // class guessed from the evidence, "" if none
    };
    std::string peer_of(const std::array<uint8_t, 16>& a, uint8_t family, uint16_t cls,
                        uint8_t& kind) const;
    void note_unknown(const std::string& ip, const std::string& partner, uint64_t ts);
    Agg* agg_for(const dp::PacketMeta& m);

    const policy::CompiledPolicy& p_;
    const policy::src::Source& s_;
    LearnStats stats_;
    std::map<Key, Agg> aggs_;
    std::vector<Agg*> by_tag_;  // tag -> aggregate (map nodes do not move)
    std::map<uint16_t, std::set<std::string>> class_talk_;  // "peer proto/port" per class, capped
    std::map<uint16_t, std::set<std::string>> members_;     // hosts seen initiating, per class
    std::map<std::string, uint64_t> guardrail_hits_;        // "guardrail/x (loc)|flow" -> flows
    std::map<std::string, Unknown> unknown_;
    std::map<std::string, std::string> mac_of_;  // ip -> mac (clinical side)
};

// "2026-12-03T16:10:04Z" (UTC, from capture nanoseconds).
std::string format_utc(uint64_t ts_ns);

// Vendor of a MAC from the built-in OUI table (a few medical and common
// vendors), "" when not listed.
std::string oui_vendor(const std::array<uint8_t, 6>& mac);

}  // namespace wg::lifecycle
