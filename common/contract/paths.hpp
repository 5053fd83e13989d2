// Default locations shared by the dataplane, the control plane and the CLI:
// one place, so `wardgate status`/`reload` with no options find the daemons
// started with none.
#pragma once

namespace wg::contract {

inline constexpr const char* kDataplaneSocket = "/run/wardgate/dataplane.sock";
// The control plane's pid and reload-state files live here (`wardgate reload`).
inline constexpr const char* kStateDir = "/run/wardgate";
inline constexpr const char* kPidFileName = "controlplane.pid";
inline constexpr const char* kStateFileName = "controlplane.json";
// Last good compiled policy, written by the control plane, read by the
// dataplane's --policy-image at start.
inline constexpr const char* kImageStore = "/var/lib/wardgate/policy.img";
inline constexpr const char* kMetricsListen = "127.0.0.1:9470";

}  // namespace wg::contract
