// Which gateway port a captured packet arrived on, shared by replay and
// learn: a pcapng capture with two or more interfaces is a capture of both
// gateway ports (interface 0 the clinical port, 1 the core port, as
// `dumpcap -i CLINICAL -i CORE` writes it); otherwise (tcpdump on one
// port or a mirror) the policy's address spaces decide (guess_side).
#pragma once

#include "lifecycle/capture.hpp"
#include "lifecycle/replay.hpp"

namespace wg::lifecycle {

inline policy::Side packet_side(const CaptureReader& rd, const CapturedPacket& pk,
                                const policy::CompiledPolicy& p) {
    if (rd.is_pcapng() && rd.interfaces() >= 2 && pk.iface < 2)
        return pk.iface == 0 ? policy::Side::Clinical : policy::Side::Core;
    return guess_side(p, pk.data.data(), uint32_t(pk.data.size()));
}

}  // namespace wg::lifecycle
