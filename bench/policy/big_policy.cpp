// wg-big-policy OUT RULES [HOSTS]: writes the compiled image of the synthetic
// policy the in-process benchmarks use (bench/dp/gen.cpp: RULES rules over
// HOSTS inventory hosts, default 100,000), so a big install can be driven
// through the real dataplane's management socket (tests, `wardgate load`).
// Its addresses (10/8, 172.16/12) are for tables only: nothing is sent.
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "../dp/gen.hpp"
#include "policy/image.hpp"

int main(int argc, char** argv) {
    if (argc < 3 || argc > 4) {
        std::fprintf(stderr, "usage: wg-big-policy OUT RULES [HOSTS]\n");
        return 2;
    }
    wg::bench::PolicySpec s;
    s.rules = static_cast<unsigned>(std::strtoul(argv[2], nullptr, 10));
    s.hosts = argc == 4 ? static_cast<unsigned>(std::strtoul(argv[3], nullptr, 10)) : 100000;
    if (s.rules < 2 || s.hosts < 1) {
        std::fprintf(stderr, "wg-big-policy: need RULES >= 2 and HOSTS >= 1\n");
        return 2;
    }
    auto w = wg::bench::make_workload(s);
    const auto img = wg::policy::encode_image(w.policy);
    std::ofstream out(argv[1], std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(img.data()), static_cast<std::streamsize>(img.size()));
    if (!out.flush()) {
        std::fprintf(stderr, "wg-big-policy: cannot write %s\n", argv[1]);
        return 1;
    }
    return 0;
}
