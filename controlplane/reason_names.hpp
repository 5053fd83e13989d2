// Names of the dataplane's reason codes (wg::dp::Reason in
// dataplane/packet_meta.hpp), for the audit log. Copied rather than included:
// the control plane must build without DPDK. The numbers are part of the
// audit format and are append-only on both sides.
#pragma once

#include <cstdint>
#include <string>

namespace wg::cp {

// "default_deny", ...; "reason_<n>" for a code newer than this table.
std::string reason_name(uint8_t code);
inline constexpr unsigned kKnownReasons = 24;

}  // namespace wg::cp
