// Catch2 main for the policy-table tests: the tables live in DPDK memory
// (rte_malloc, rte_acl), so EAL is initialised once, without hugepages or
// devices, before any test runs.
#define CATCH_CONFIG_RUNNER
#include <unistd.h>

#include <catch2/catch.hpp>
#include <catch2/catch_reporter_tap.hpp>
#include <string>
#include <vector>

#include <rte_eal.h>

int main(int argc, char** argv) {
    // Unique per process so parallel test runs never share DPDK runtime files.
    const std::string prefix = "wg-dp-policy-test-" + std::to_string(getpid());
    std::vector<std::string> args = {
        argv[0],         "--no-huge", "-m", "256", "--no-pci",    "--no-shconf",
        "--file-prefix", prefix,      "-l", "0",   "--log-level", "1"};
    std::vector<char*> eal;
    for (auto& a : args) eal.push_back(a.data());
    if (rte_eal_init(static_cast<int>(eal.size()), eal.data()) < 0) {
        fprintf(stderr, "rte_eal_init failed\n");
        return 2;
    }
    const int rc = Catch::Session().run(argc, argv);
    rte_eal_cleanup();
    return rc;
}
