// The dataplane's log sink: common/log lines go through DPDK's log as type
// "wardgate.dp", so EAL's --log-level (e.g. `--log-level=wardgate.dp:debug`)
// filters them like any DPDK component, and they reach EAL's log stream.
#pragma once

namespace wg::dp {

// After rte_eal_init(). Returns false if the log type cannot be registered
// (lines then keep going to stderr).
bool install_dpdk_log_sink();

}  // namespace wg::dp
