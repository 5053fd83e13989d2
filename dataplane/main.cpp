// wardgate-dataplane: EAL arguments, then `--`, then our own options.
#include <csignal>
#include <cstdio>

#include <rte_eal.h>
#include <rte_errno.h>

#include "dataplane.hpp"
#include "log/log.hpp"
#include "log_sink.hpp"
#include "options.hpp"

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
