// Stable names of the dataplane reasons: the `reason` label of the drop
// counters and the reason string the control plane puts in audit records.
// The list lives in common/contract/reasons.hpp.
#pragma once

#include "packet_meta.hpp"

namespace wg::dp {

using contract::reason_name;

inline constexpr unsigned kReasons = contract::kReasonCount;

}  // namespace wg::dp
