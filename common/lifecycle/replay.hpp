// Replay engine: runs captured frames through the dataplane's packet
// semantics, DPDK-free, so `wardgate replay` can say what a policy would do
// to real traffic. The pieces are the dataplane's own where they are
// DPDK-free (its frame parser, flow key and TCP state machine, compiled in
// from dataplane/) and the reference evaluator (policy/evaluate.hpp, the
// oracle of the dataplane's property tests) for new-flow decisions; the
// pipeline order is dataplane/pipeline/ restated (tests/pcap agreement test
// pins it against the golden scenarios):
//   malformed -> frame admission (the parser's anomaly bits against the
//   policy's admission profile, dataplane/pipeline/stage_pre.cpp) ->
//   evasive fragments -> essentials (VLAN scope, L2 control,
//   DHCP, ND, IGMP/MLD) -> later fragments follow their first -> telemetry
//   bypass (its side, the sender's MAC+IP, a source the source check
//   accepts) -> flow lookup (replies must come from the other port; a TCP SYN
//   on a closed connection starts a new one) -> new flow: TCP non-SYN is a
//   reply without a flow; source check (policy/source_check.hpp), identity (bindings), guardrails,
//   allow rules, defaults (policy::evaluate); only allowed or monitor-mode
//   flows get state, as in the dataplane -> L7 first-payload constraints
//   (dataplane/pipeline/stage_l7.cpp restated on common/l7's parsers,
//   matchers and FirstPayloadPool; policy::evaluate_l7 is its oracle).
// Time is the capture's: flows and fragment records expire by the policy's
// timeouts measured in capture timestamps. Not modelled (documented in
// docs/policy-lifecycle.md): a full flow table, the new-flow rate limit and
// quarantine, the overload lane, reloads mid-capture, the NIC's RX checksum
// flags (a capture has none: checksums are verified in software), the
// flow-MAC check of established flows.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "contract/reasons.hpp"
#include "policy/compiled.hpp"
#include "policy/evaluate.hpp"

namespace wg::lifecycle {

enum class PacketAction : uint8_t { Forward = 0, Drop = 1, ForwardRecord = 2 };
const char* action_name(PacketAction a);  // "forward", "drop", "forward-record"

// One flow as replay reports it: oriented initiator -> responder, the
// decision taken for its first packet.
struct FlowReport {
    uint8_t family = 4, proto = 0;
    std::array<uint8_t, 16> src{}, dst{};
    uint16_t sport = 0, dport = 0, vlan = 0;
    policy::Side arrival = policy::Side::Clinical;
    uint16_t src_class = policy::kUnknownClass, dst_class = policy::kUnknownClass;
    policy::Verdict verdict = policy::Verdict::Deny;
    contract::Reason reason = contract::Reason::None;  // why, for denials
    std::string rule;      // deciding rule: "<class>/<rule>", "guardrail/<x>", "<class>/default"
    std::string rule_loc;  // file:line:col in the policy directory, "" when none
    uint64_t first_ns = 0, last_ns = 0;
    uint64_t packets = 0, forwarded = 0, dropped = 0;
    // The L7 first-payload step (rules with constraints), as stage_l7 takes
    // it: l7_protocol "" when the flow's rule has none. l7_outcome: "pending"
    // (no first payload judged yet), "allowed", "denied", "would-deny",
    // "uninspected" (on_failure: open forwards, closed denies: see
    // l7_reason). l7_reason/l7_value: the violation's reason name and the
    // offending value, escaped as in the audit log.
    std::string l7_protocol, l7_outcome, l7_reason, l7_value;
    // Stable text key of the flow (no time, no verdict): compares replays.
    std::string key() const;
};

struct PacketResult {
    PacketAction action = PacketAction::Forward;
    contract::Reason reason = contract::Reason::None;
    int64_t flow = -1;  // index into flows(), -1 when the packet is not part of a flow
};

// Instead of keeping a report per flow (`wardgate learn` on captures of
// millions of flows), a sink gets each new flow once, with the evaluator's
// decision when there is one, and returns a tag; packets of that flow are
// then counted to the tag. Tags < 0 are not counted.
class FlowSink {
  public:
    virtual ~FlowSink() = default;
    virtual int64_t on_flow(const FlowReport& f, const policy::Decision* d) = 0;
    virtual void on_packet(int64_t tag, uint64_t ts_ns) = 0;
};

// Bounds: flow reports are capped (kMaxReports); past it packets are still
// judged but new flows are only counted in overflow().
inline constexpr size_t kMaxReports = 2'000'000;

class Replay {
  public:
    // With a sink, no reports are kept (flows() stays empty) and expired
    // flow state is swept as capture time passes, so memory follows the
    // flows alive at once, not the capture.
    explicit Replay(const policy::CompiledPolicy& p, FlowSink* sink = nullptr);
    ~Replay();
    Replay(const Replay&) = delete;
    Replay& operator=(const Replay&) = delete;

    // One frame (Ethernet, `len` captured bytes of `wire_len`) arriving on
    // `side` at capture time `ts_ns`.
    PacketResult feed(const uint8_t* data, uint32_t len, uint32_t wire_len, uint64_t ts_ns,
                      policy::Side side);

    // TCP/UDP checksums are verified like the dataplane does on a port
    // without RX checksum flags (when the admission profile enforces them).
    // Off for captures taken on an end host with checksum offload, where
    // every frame the host sent carries an unfilled checksum: `wardgate
    // learn` turns it off (the traffic is real, the checksums are not).
    void set_verify_l4_checksums(bool on);

    const std::vector<FlowReport>& flows() const;
    // Packets settled without a flow (malformed, essentials, non-IP, ...), by reason name
    // and action: "drop/truncated_l3", "forward/essentials".
    const std::map<std::string, uint64_t>& packet_counts() const;
    uint64_t overflow() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// The side of a packet whose port is not known (a single-interface
// capture): the side of its source address in the policy's address spaces;
// failing that, the side opposite its destination's; failing that, clinical.
policy::Side guess_side(const policy::CompiledPolicy& p, const uint8_t* data, uint32_t len);

}  // namespace wg::lifecycle
