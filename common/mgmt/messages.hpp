// Typed payloads of the management protocol and their codecs. Every decode
// validates lengths and rejects trailing bytes; unknown stats sections are
// skipped so an older control plane can read a newer dataplane's stats.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "mgmt/frame.hpp"
#include "stats/snapshot.hpp"

namespace wg::mgmt {

struct PortInfo {
    std::string role;
    std::string name;
    uint16_t port_id = 0;
};

struct Status {
    std::string version;
    uint32_t pid = 0;
    uint64_t uptime_ns = 0;
    uint32_t workers = 0;
    std::vector<PortInfo> ports;
    uint64_t policy_generation = 0;  // 0 = no policy installed
    std::string policy_hash;         // hex content hash of the running image
    std::string policy_commit;       // git commit of the policy dir, "" if none
    std::string mode;                // "normal" | "no-policy" | "fail-open" | ...
    // The --policy-image read at start: "none" (not configured), "loaded",
    // "loaded-previous" (current unusable, <image>.prev enforced), "missing",
    // "rejected" (nothing usable: running per --no-policy), "replaced" (a
    // policy was pushed since). Appended to the wire format: an older peer
    // sends neither field and they decode as "" (unknown).
    std::string image_state;
    std::string image_error;  // why the current (and previous) image was not used
    // Hazards found at start that can make forwarding fail silently, one
    // line each, "code: text" (e.g. "checksum_offload_hazard: port core:
    // checksum offload is ON for interface ..."). Appended after image_error:
    // an older dataplane sends none (an empty list), an older control plane
    // stops reading before them.
    std::vector<std::string> warnings;
};

struct LoadPolicyRequest {
    std::vector<uint8_t> image;
};

// Staged policy (issue 13 part 3): a second image the dataplane evaluates
// next to the enforced one for new flows only, counting where they disagree.
// `clear` removes it (then `image` is empty). Answered with a
// LoadPolicyResponse whose generation is the staged generation (0 = none).
struct StagedPolicyRequest {
    bool clear = false;
    std::vector<uint8_t> image;
};

struct LoadPolicyResponse {
    bool ok = false;
    uint64_t generation = 0;  // generation now running (new one on success)
    std::string error;        // why it was rejected
};

struct ErrorResponse {
    uint16_t code = 0;
    std::string message;
};

// A denied or would-deny verdict reported by a worker. Class, zone and rule
// are ids into the policy of `generation`; the control plane names them.
struct AuditEvent {
    uint64_t ts_ns = 0;  // CLOCK_REALTIME ns
    uint64_t generation = 0;
    uint8_t family = 4;  // 4 | 6
    uint8_t proto = 0;
    uint16_t vlan = 0;   // 0 = untagged
    std::array<uint8_t, 16> src{}, dst{};
    uint16_t sport = 0, dport = 0;
    uint16_t src_class = 0, dst_class = 0;
    uint16_t src_zone = 0, dst_zone = 0;
    uint32_t rule = 0;     // rule id; kNoRule = class default
    uint8_t verdict = 0;   // stats::Verdict
    uint8_t reason = 0;    // dataplane reason code (see dataplane docs)
    uint32_t suppressed = 0;  // events from this source dropped by rate limit before this one
    // L7 violations (protocol inspection): l7::Protocol + 1 (0 = not an L7
    // event) and the offending value, already escaped, at most 68 bytes.
    uint8_t l7_protocol = 0;
    std::string l7_value;
    // Staged-policy difference (stats::StagedDifference: 1 would-newly-deny,
    // 2 would-newly-allow; 0 = an enforced verdict). The fields above are
    // the enforced policy's; these name the flow's ends in the staged one.
    uint8_t staged = 0;
    uint64_t staged_generation = 0;
    uint16_t staged_src_class = 0, staged_dst_class = 0;
    uint32_t staged_rule = 0;  // deciding rule in the staged policy; kNoRule = class default
};

struct AuditBatch {
    std::vector<AuditEvent> events;
    uint64_t lost = 0;  // events dropped because the ring was full
};

struct TestHook {
    std::string name;   // e.g. "stall-worker"
    uint64_t arg = 0;   // e.g. stall duration in ms
};

// At most this many latency histograms in one Stats message. Decoded
// histograms are sparse (a few times their wire size), so this is no longer
// what bounds the reader's memory, only a sanity limit: the dataplane sends
// 4 paths x (1 + 32 class slots) = 132 at most.
inline constexpr uint32_t kMaxHistograms = 1024;

std::vector<uint8_t> encode(const Status&);
std::vector<uint8_t> encode(const stats::Snapshot&);
std::vector<uint8_t> encode(const LoadPolicyRequest&);
std::vector<uint8_t> encode(const LoadPolicyResponse&);
std::vector<uint8_t> encode(const ErrorResponse&);
std::vector<uint8_t> encode(const AuditBatch&);
std::vector<uint8_t> encode(const TestHook&);
std::vector<uint8_t> encode(const StagedPolicyRequest&);

// Decoders throw wire::DecodeError on malformed payloads.
Status decode_status(std::span<const uint8_t>);
stats::Snapshot decode_stats(std::span<const uint8_t>);
LoadPolicyRequest decode_load_policy_request(std::span<const uint8_t>);
// The image inside a LoadPolicy payload, without copying it (the dataplane
// decodes it straight from the received frame: one buffer, not two).
std::span<const uint8_t> load_policy_image_view(std::span<const uint8_t>);
LoadPolicyResponse decode_load_policy_response(std::span<const uint8_t>);
ErrorResponse decode_error(std::span<const uint8_t>);
AuditBatch decode_audit_batch(std::span<const uint8_t>);
TestHook decode_test_hook(std::span<const uint8_t>);
StagedPolicyRequest decode_staged_policy_request(std::span<const uint8_t>);
// The image inside a StagedPolicy payload without copying it; sets `clear`.
std::span<const uint8_t> staged_policy_image_view(std::span<const uint8_t>, bool& clear);

}  // namespace wg::mgmt
