#include "log_sink.hpp"

#include <rte_log.h>

#include "log/log.hpp"

namespace wg::dp {

namespace {
int g_type = -1;

void dpdk_sink(log::Level l, const std::string& line) {
    // DPDK levels are syslog's plus one (RTE_LOG_EMERG = 1).
    rte_log(static_cast<uint32_t>(l) + 1, static_cast<uint32_t>(g_type), "%s\n", line.c_str());
}
}  // namespace

bool install_dpdk_log_sink() {
    g_type = rte_log_register_type_and_pick_level("wardgate.dp", RTE_LOG_INFO);
    if (g_type < 0) return false;
    log::set_sink(dpdk_sink);
    return true;
}

}  // namespace wg::dp
