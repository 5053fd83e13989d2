// Just enough TCP state to age connections correctly: half-open flows
// (SYN, SYN-ACK not yet acknowledged) expire fast, established ones slowly,
// closed ones (RST, or FIN both ways) quickly. No sequence-number tracking:
// this is an allow list, not a TCP normaliser.
#pragma once

#include <cstdint>

namespace wg::dp {

enum class TcpState : uint8_t { SynSent = 0, SynAck, Established, Closing, Closed };

inline constexpr uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpAck = 0x10;

inline bool tcp_is_initial_syn(uint8_t flags) {
    return (flags & (kTcpSyn | kTcpAck | kTcpRst)) == kTcpSyn;
}

// Advances the state for one packet. `fins` keeps bit 0 = FIN from the
// initiator, bit 1 = FIN from the responder.
inline TcpState tcp_next(TcpState s, uint8_t& fins, uint8_t flags, bool from_initiator) {
    if (flags & kTcpRst) return TcpState::Closed;
    if (flags & kTcpFin) {
        fins |= from_initiator ? 1 : 2;
        return fins == 3 ? TcpState::Closed : TcpState::Closing;
    }
    switch (s) {
        case TcpState::SynSent:
            if (!from_initiator && (flags & (kTcpSyn | kTcpAck)) == (kTcpSyn | kTcpAck))
                return TcpState::SynAck;
            return s;
        case TcpState::SynAck:
            if (from_initiator && (flags & (kTcpSyn | kTcpAck)) == kTcpAck)
                return TcpState::Established;
            return s;
        default:
            return s;
    }
}

}  // namespace wg::dp
