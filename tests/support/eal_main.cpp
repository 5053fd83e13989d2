// Catch2 main for the tests that need DPDK (the policy tables live in DPDK
// memory, the safety supervisor and hand-off rings use rte_ring, the pipeline
// tests use mbufs): EAL is initialised once, before any test runs, with no
// hugepages, no devices and no telemetry socket. The file prefix names the test binary and the
// process so parallel runs (and other engineers' runs) never share DPDK
// runtime files.
#define CATCH_CONFIG_RUNNER
#include <unistd.h>

#include <catch2/catch.hpp>
#include <catch2/catch_reporter_tap.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <rte_eal.h>

int main(int argc, char** argv) {
    std::string name = argv[0];
    name = name.substr(name.find_last_of('/') + 1);
    const std::string prefix = "wg-" + name + "-" + std::to_string(getpid());
    std::vector<std::string> args = {argv[0],
                                     "--no-huge",
                                     "-m",
                                     "256",
                                     "--no-pci",
                                     "--no-shconf",
                                     "--no-telemetry",
                                     "--file-prefix",
                                     prefix,
                                     "-l",
                                     "0",
                                     "--log-level",
                                     "1"};
    std::vector<char*> eal;
    for (auto& a : args) eal.push_back(a.data());
    if (rte_eal_init(static_cast<int>(eal.size()), eal.data()) < 0) {
        std::fprintf(stderr, "%s: rte_eal_init failed (file prefix %s)\n", name.c_str(),
                     prefix.c_str());
        return 2;
    }
    // DPDK leaves its runtime directory behind even with --no-shconf: remove it
    // once everything is torn down (atexit handlers registered now run after
    // the destructors of statics the tests create later).
    static std::string runtime_dir = rte_eal_get_runtime_dir();
    std::atexit([] { rmdir(runtime_dir.c_str()); });
    const int rc = Catch::Session().run(argc, argv);
    rte_eal_cleanup();
    return rc;
}
