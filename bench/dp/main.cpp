// wg-bench-dp: the in-process dataplane benchmarks (no PMD, one lcore).
//
//   wg-bench-dp [--quick] [--suites ceiling,acl,pipeline,flowmem,reload,l7,staged]
//               [--reps N] [--lcore N] [--mem MB] [--filter SUBSTR] [--out FILE]
//
// Brings up EAL without hugepages or PCI, pins itself to one lcore, runs the
// suites and writes one JSON object (bench/run merges it into the results
// file). Timings are only reported, never judged: that is the report's job.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_version.h>
#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "suites.hpp"

namespace {

void usage() {
    std::fprintf(stderr,
                 "usage: wg-bench-dp [--quick] [--suites LIST] [--reps N] [--lcore N] [--mem MB]\n"
                 "                   [--filter SUBSTR] [--out FILE]\n"
                 "  LIST: comma-separated of ceiling,acl,pipeline,flowmem,reload,l7,workers (default)\n"
                 "        and install (per-step install cost at 10k/50k/100k rules; on demand)\n");
}

}  // namespace

int main(int argc, char** argv) {
    bool quick = false;
    std::string suites = "ceiling,acl,pipeline,flowmem,reload,l7,workers", out, filter;
    unsigned reps = 0, mem = 0;
    int lcore = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto val = [&]() -> std::string {
            if (i + 1 >= argc) {
                usage();
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--quick")
            quick = true;
        else if (a == "--suites")
            suites = val();
        else if (a == "--reps")
            reps = static_cast<unsigned>(std::stoul(val()));
        else if (a == "--lcore")
            lcore = std::stoi(val());
        else if (a == "--mem")
            mem = static_cast<unsigned>(std::stoul(val()));
        else if (a == "--filter")
            filter = val();
        else if (a == "--out")
            out = val();
        else {
            usage();
            return 2;
        }
    }
    if (!reps) reps = quick ? 2 : 3;
    // 1,000,000 flows and 100,000-rule ACLs need room; the quick mode stays small.
    if (!mem) mem = quick ? 768 : 3072;

    const std::string prefix = "wgbench_" + std::to_string(getpid());
    const std::string mem_s = std::to_string(mem), lc_s = std::to_string(lcore);
    std::vector<std::string> eal = {
        "wg-bench-dp",   "--no-huge", "-m", mem_s, "--no-pci",    "--no-shconf",  "--no-telemetry",
        "--file-prefix", prefix,      "-l", lc_s,  "--log-level", "lib.eal:error"};
    std::vector<char*> eargv;
    // The workers suite runs a second worker on another lcore (the main
    // lcore stays `lcore`, so the other suites run exactly as before).
    if (suites.find("workers") != std::string::npos && sysconf(_SC_NPROCESSORS_ONLN) > 1) {
        for (size_t k = 0; k + 1 < eal.size(); ++k)
            if (eal[k] == "-l") eal[k + 1] = lc_s + "," + std::to_string(lcore == 0 ? 1 : 0);
        eal.insert(eal.end(), {"--main-lcore", lc_s});
    }
    for (auto& s : eal) eargv.push_back(s.data());
    if (rte_eal_init(static_cast<int>(eargv.size()), eargv.data()) < 0) {
        std::fprintf(stderr, "wg-bench-dp: EAL init failed: %s\n", rte_strerror(rte_errno));
        return 1;
    }

    wg::bench::SuiteContext c;
    c.quick = quick;
    c.reps = reps;
    c.tsc_hz = static_cast<double>(rte_get_tsc_hz());
    c.filter = filter;
    // Enough mbufs for a chunk in flight plus what a pipeline may hold.
    c.pool = rte_pktmbuf_pool_create("wgb_pool", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                     static_cast<int>(rte_socket_id()));
    if (!c.pool) {
        std::fprintf(stderr, "wg-bench-dp: mbuf pool: %s\n", rte_strerror(rte_errno));
        rte_eal_cleanup();
        return 1;
    }

    wg::bench::touch_pool(c.pool);

    nlohmann::json j;
    j["tool"] = "wg-bench-dp";
    j["mode"] = quick ? "quick" : "full";
    j["tsc_hz"] = c.tsc_hz;
    j["lcore"] = lcore;
    j["eal_args"] = eal;
    j["dpdk_version"] = rte_version();
    j["reps"] = reps;

    std::set<std::string> want;
    {
        std::stringstream ss(suites);
        std::string s;
        while (std::getline(ss, s, ',')) want.insert(s);
    }
    int rc = 0;
    auto run = [&](const char* name, nlohmann::json (*fn)(const wg::bench::SuiteContext&)) {
        if (!want.count(name)) return;
        std::fprintf(stderr, "wg-bench-dp: suite %s\n", name);
        try {
            j[name] = fn(c);
        } catch (const std::exception& e) {
            j[name] = {{"status", "error"}, {"reason", e.what()}};
            std::fprintf(stderr, "wg-bench-dp: suite %s failed: %s\n", name, e.what());
            rc = 1;
        }
    };
    run("ceiling", wg::bench::suite_ceiling);
    run("acl", wg::bench::suite_acl);
    run("pipeline", wg::bench::suite_pipeline);
    run("flowmem", wg::bench::suite_flowmem);
    run("reload", wg::bench::suite_reload);
    run("l7", wg::bench::suite_l7);
    run("install", wg::bench::suite_install);
    run("workers", wg::bench::suite_workers);
    run("staged", wg::bench::suite_staged);

    const std::string text = j.dump(1);
    if (out.empty()) {
        std::printf("%s\n", text.c_str());
    } else {
        std::ofstream f(out);
        f << text << "\n";
        if (!f) {
            std::fprintf(stderr, "wg-bench-dp: cannot write %s\n", out.c_str());
            rc = 1;
        }
    }
    rte_mempool_free(c.pool);
    rte_eal_cleanup();
    return rc;
}
