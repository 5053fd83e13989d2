// Where a constrained flow stands in its first-payload inspection
// (FlowEntry::l7). Only L7None is on the established fast path: every other
// state sends the flow's packets through stage_l7 (pipeline/stage_l7.cpp).
#pragma once

#include <cstdint>

namespace wg::dp {

enum class L7State : uint8_t {
    None = 0,  // no constraint, or inspected and released: fast path
    Await,     // constrained, waiting for (the rest of) the first client payload
    Confirm,   // allowed; pool slot kept until the responder ACKs the inspected prefix
    Denied,    // violation (enforce) or on_failure closed: every packet dropped
    Expired,   // the verdict timed out (housekeeping): on_failure on the next packet
};

}  // namespace wg::dp
