// Management protocol framing (dataplane <-> control plane / CLI).
//
// Every message is one frame: a fixed 16-byte little-endian header followed by
// `payload_len` bytes. The header carries a magic, a protocol version, the
// message type and a request id that the response echoes. Frames that are
// truncated, oversized, of another version or with a wrong magic are rejected
// with a ProtocolError and the connection is closed by the caller; nothing is
// partially applied.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <vector>

namespace wg::mgmt {

inline constexpr uint32_t kMagic = 0x504D4757;  // "WGMP" little-endian
inline constexpr uint16_t kVersion = 1;
inline constexpr std::size_t kHeaderSize = 16;
// Large enough for a 100k-rule policy image; small enough that a corrupt
// length cannot make a peer allocate without bound.
inline constexpr uint32_t kMaxPayload = 64u << 20;

enum class MsgType : uint16_t {
    StatusRequest = 1,
    StatusResponse = 2,
    StatsRequest = 3,
    StatsResponse = 4,
    LoadPolicyRequest = 5,
    LoadPolicyResponse = 6,
    AuditDrainRequest = 7,
    AuditDrainResponse = 8,
    TestHookRequest = 9,  // test-only latches (stall a worker, ...); refused unless enabled
    TestHookResponse = 10,
    // Added with staged policies (issue 13): an older dataplane answers them
    // with Error 404 "unsupported request type", which the control plane
    // reports; the enforced policy is never affected.
    StagedPolicyRequest = 11,   // load or clear the staged image
    StagedPolicyResponse = 12,  // a LoadPolicyResponse (generation: the staged one, 0 when cleared)
    Error = 0x7f,
};

// Per-type payload limits: only a policy image (and the big responses a
// client reads) needs large frames. A request that carries no data is
// refused past 64 KiB, so a peer cannot make the dataplane buffer megabytes
// by announcing a big Status request.
inline constexpr uint32_t kMaxSmallPayload = 64u << 10;
constexpr uint32_t max_payload_for(MsgType t) {
    switch (t) {
        case MsgType::LoadPolicyRequest:
        case MsgType::StagedPolicyRequest:
        case MsgType::StatsResponse:
        case MsgType::AuditDrainResponse:
            return kMaxPayload;
        default:
            return kMaxSmallPayload;
    }
}

class ProtocolError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Frame {
    MsgType type{};
    uint32_t request_id = 0;
    std::vector<uint8_t> payload;
};

// Serialise one frame (header + payload). Throws ProtocolError if the payload
// exceeds kMaxPayload.
std::vector<uint8_t> encode_frame(MsgType type, uint32_t request_id, std::span<const uint8_t> payload);

// Incremental decoder for a byte stream: feed() whatever the socket returned,
// then call next() until it yields nothing. Validates each header as soon as
// its 16 bytes are present, so an oversized or foreign frame is refused
// before its payload is buffered. The limit is the smaller of `max_payload`
// and max_payload_for(type).
class FrameDecoder {
public:
    explicit FrameDecoder(uint32_t max_payload = kMaxPayload) : max_payload_(max_payload) {}
    void feed(std::span<const uint8_t> bytes);
    std::optional<Frame> next();
    // Bytes received but not yet returned as a frame (a truncated frame at EOF).
    std::size_t pending() const { return buf_.size() - off_; }

private:
    std::vector<uint8_t> buf_;
    std::size_t off_ = 0;
    uint32_t max_payload_;
};

}  // namespace wg::mgmt
