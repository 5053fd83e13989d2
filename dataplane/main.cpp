// wardgate-dataplane: EAL arguments, then `--`, then our own options.
#include <csignal>
#include <cstdio>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include <string>
#include <vector>

#include "dataplane.hpp"
#include "log/log.hpp"
#include "log_sink.hpp"
#include "options.hpp"
#include "privileges.hpp"

namespace {
wg::dp::Dataplane* g_dp = nullptr;  // only for the signal handler
void on_signal(int) {
    if (g_dp) g_dp->request_stop();
}
// Fatal start-up errors go to stderr whatever --log-level says: the operator
// must see why the gateway is not running. Same line shape as the log.
void fatal(const std::string& msg) {
    wg::log::stderr_sink(wg::log::Level::Err,
                         wg::log::format_line(wg::log::Level::Err, "dataplane", msg));
}
// After EAL init, port start and socket creation: nothing left needs root.
std::optional<std::string> drop(const wg::dp::Options& opt) {
    if (opt.user.empty()) return std::nullopt;
    std::vector<std::string> drivers;
    uint16_t pid;
    RTE_ETH_FOREACH_DEV(pid) {
        rte_eth_dev_info info{};
        if (rte_eth_dev_info_get(pid, &info) == 0 && info.driver_name)
            drivers.emplace_back(info.driver_name);
    }
    const auto caps = wg::dp::runtime_caps(drivers);
    if (auto e = wg::dp::drop_privileges(opt.user, caps)) return e;
    wg::log::Line(wg::log::Level::Notice, "dataplane")
        << "running as user " << opt.user << " with " << caps.size() << " capabilities, seccomp on";
    return std::nullopt;
}
}  // namespace

int main(int argc, char** argv) {
    int used = rte_eal_init(argc, argv);
    if (used < 0) {
        fatal(std::string("EAL init failed: ") + rte_strerror(rte_errno));
        return 1;
    }
    argc -= used;
    argv += used;
    argv[0] = const_cast<char*>("wardgate-dataplane");
    wg::dp::install_dpdk_log_sink();

    wg::dp::Options opt;
    if (auto err = wg::dp::parse_options(argc, argv, opt)) {
        fatal(*err);
        std::fprintf(stderr, "%s", wg::dp::usage("wardgate-dataplane").c_str());
        rte_eal_cleanup();
        return 2;
    }
    if (opt.help) {
        std::printf("%s", wg::dp::usage("wardgate-dataplane").c_str());
        rte_eal_cleanup();
        return 0;
    }
    int rc = 0;
    {
        wg::dp::Dataplane dp(opt);
        if (auto err = dp.init()) {
            fatal(*err);
            rc = 1;
        } else if (auto perr = drop(opt)) {
            fatal("cannot drop privileges: " + *perr);
            rc = 1;
        } else {
            g_dp = &dp;
            std::signal(SIGINT, on_signal);
            std::signal(SIGTERM, on_signal);
            dp.run();
            g_dp = nullptr;
            std::printf("%s\n", dp.counters_line().c_str());
            std::fflush(stdout);
        }
    }
    rte_eal_cleanup();
    return rc;
}
