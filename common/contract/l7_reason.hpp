// The contract's drop reason for an L7 violation. The L7 reasons are one
// block of the contract's list in wg::l7::Reason's order (None excluded), so
// the mapping is an offset; the dataplane's stage and `wardgate replay` both
// use it.
#pragma once

#include "contract/reasons.hpp"
#include "l7/result.hpp"

namespace wg::contract {

static_assert(static_cast<unsigned>(Reason::L7TcpOverlapMismatch) -
                      static_cast<unsigned>(Reason::L7DicomNotAssociateRq) ==
                  static_cast<unsigned>(l7::Reason::TcpOverlapMismatch) -
                      static_cast<unsigned>(l7::Reason::DicomNotAssociateRq),
              "contract L7 reasons mirror wg::l7::Reason");

inline Reason l7_reason(l7::Reason r) {
    if (r == l7::Reason::None || r >= l7::Reason::Count) return Reason::L7FlowDenied;
    return static_cast<Reason>(static_cast<unsigned>(Reason::L7DicomNotAssociateRq) +
                               static_cast<unsigned>(r) - 1);
}

}  // namespace wg::contract
