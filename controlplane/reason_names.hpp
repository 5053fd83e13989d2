// Names of the dataplane's reason codes for the audit log, from the one list
// in common/contract/reasons.hpp (the control plane builds without DPDK, the
// contract header has none). Append-only: part of the audit format.
#pragma once

#include <cstdint>
#include <string>

#include "contract/reasons.hpp"

namespace wg::cp {

// "default_deny", ...; "reason_<n>" for a code newer than this build.
std::string reason_name(uint8_t code);
inline constexpr unsigned kKnownReasons = contract::kReasonCount;

}  // namespace wg::cp
