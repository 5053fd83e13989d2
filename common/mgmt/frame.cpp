#include "mgmt/frame.hpp"

#include <algorithm>
#include <string>

#include "wire/bytes.hpp"

namespace wg::mgmt {

std::vector<uint8_t> encode_frame(MsgType type, uint32_t request_id,
                                  std::span<const uint8_t> payload) {
    if (payload.size() > kMaxPayload)
        throw ProtocolError("payload of " + std::to_string(payload.size()) +
                            " bytes exceeds the protocol maximum");
    wire::Writer w;
    w.put<uint32_t>(kMagic);
    w.put<uint16_t>(kVersion);
    w.put<uint16_t>(static_cast<uint16_t>(type));
    w.put<uint32_t>(request_id);
    w.put<uint32_t>(static_cast<uint32_t>(payload.size()));
    w.put_bytes(payload);
    return w.take();
}

void FrameDecoder::feed(std::span<const uint8_t> bytes) {
    // Compact lazily so a long-lived connection does not grow its buffer.
    if (off_ > 0 && off_ == buf_.size()) {
        buf_.clear();
        off_ = 0;
    } else if (off_ > (1u << 20)) {
        buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(off_));
        off_ = 0;
    }
    buf_.insert(buf_.end(), bytes.begin(), bytes.end());
}

std::optional<Frame> FrameDecoder::next() {
    if (pending() < kHeaderSize) return std::nullopt;
    wire::Reader r(std::span<const uint8_t>(buf_).subspan(off_));
    auto magic = r.get<uint32_t>();
    auto version = r.get<uint16_t>();
    auto type = r.get<uint16_t>();
    auto rid = r.get<uint32_t>();
    auto len = r.get<uint32_t>();
    if (magic != kMagic) throw ProtocolError("bad frame magic (not a wardgate management peer)");
    if (version != kVersion)
        throw ProtocolError("unsupported protocol version " + std::to_string(version) +
                            " (this build speaks " + std::to_string(kVersion) + ")");
    const uint32_t limit = std::min(max_payload_, max_payload_for(static_cast<MsgType>(type)));
    if (len > limit)
        throw ProtocolError("frame payload of " + std::to_string(len) + " bytes (type " +
                            std::to_string(type) + ") exceeds the limit of " +
                            std::to_string(limit));
    if (pending() < kHeaderSize + len) return std::nullopt;
    Frame f;
    f.type = static_cast<MsgType>(type);
    f.request_id = rid;
    auto start = buf_.begin() + static_cast<std::ptrdiff_t>(off_ + kHeaderSize);
    f.payload.assign(start, start + len);
    off_ += kHeaderSize + len;
    return f;
}

}  // namespace wg::mgmt
