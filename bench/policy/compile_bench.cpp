// Policy compile benchmark: generates a 10,000-rule / 50,000-host policy
// (200 classes of 50 rules, hosts from an asset CSV), then times
// compile_directory, encode_image and decode_image and reports peak RSS.
// Prints one JSON object and writes it to the result file (argument 1,
// default bench/results/policy-compile.json under the source tree).
// Not a test: nothing here asserts a time.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "policy/compiler.hpp"
#include "policy/image.hpp"

namespace fs = std::filesystem;

namespace {

// WG_BENCH_CLASSES / WG_BENCH_RULES_PER_CLASS scale the policy (e.g. 200 x 500
// = 100,000 rules); WG_BENCH_GENERATE=DIR only writes the policy to DIR, for
// timing `wardgate lint DIR` under /usr/bin/time.
int env_int(const char* name, int dflt) {
    const char* v = std::getenv(name);
    return v && *v ? std::atoi(v) : dflt;
}
const int kClasses = env_int("WG_BENCH_CLASSES", 200),
          kRulesPerClass = env_int("WG_BENCH_RULES_PER_CLASS", 50), kHosts = 50000;

std::string cls(int i) {
    char b[24];
    std::snprintf(b, sizeof b, "class-%03d", i);
    return b;
}

void generate(const fs::path& d) {
    std::ofstream g(d / "gateway.yaml");
    g << "kind: Gateway\nname: bench\nzones: [ICU, NICU, OR]\n"
         "clinical_space: [10.0.0.0/8]\ncore_space: [0.0.0.0/0]\n"
         "unknown: {mode: monitor, default_action: deny}\n"
         "address_groups:\n  servers: [192.0.2.0/24]\n";
    for (int c = 0; c < kClasses; ++c) {
        std::ofstream f(d / (cls(c) + ".yaml"));
        f << "kind: DeviceClass\nname: " << cls(c) << "\nmode: " << (c % 5 ? "enforce" : "monitor")
          << "\ndefault_action: deny\negress:\n";
        for (int r = 0; r < kRulesPerClass; ++r) {
            // Distinct ports per rule so no rule is redundant: the analysis
            // runs its full pairwise comparison.
            f << "  - name: r" << r << "\n";
            if (r % 3 == 0)
                f << "    to: {class: " << cls((c + r + 1) % kClasses) << "}\n";
            else if (r % 3 == 1)
                f << "    to: {group: servers}\n";
            else
                f << "    to: {cidr: 198.51." << (r % 250) << ".0/24}\n";
            f << "    proto: " << (r % 2 ? "udp" : "tcp") << "\n    ports: ["
              << (1000 + (c * kRulesPerClass + r) % 64000) << "]\n";
        }
    }
    std::ofstream inv(d / "inventory.yaml");
    inv << "kind: Inventory\nimports:\n  - csv: assets.csv\n    bind_mac_ip: true\n";
    std::ofstream csv(d / "assets.csv");
    csv << "asset_id,mac,ip,class,zone\n";
    for (int h = 0; h < kHosts; ++h) {
        char line[160];
        std::snprintf(line, sizeof line, "A%06d,02:00:%02x:%02x:%02x:%02x,10.%d.%d.%d,%s,%s\n", h,
                      (h >> 24) & 255, (h >> 16) & 255, (h >> 8) & 255, h & 255, (h >> 16) & 255,
                      (h >> 8) & 255, h & 255, cls(h % kClasses).c_str(),
                      h % 3 == 0   ? "ICU"
                      : h % 3 == 1 ? "NICU"
                                   : "OR");
        csv << line;
    }
}

double since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
    if (const char* g = std::getenv("WG_BENCH_GENERATE")) {
        fs::create_directories(g);
        generate(g);
        return 0;
    }
    fs::path out = argc > 1 ? fs::path(argv[1])
                            : fs::path(WG_SOURCE_ROOT) / "bench/results/policy-compile.json";
    std::string tmpl = (fs::temp_directory_path() / "wg-policy-bench-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) {
        std::perror("mkdtemp");
        return 1;
    }
    fs::path dir = tmpl;
    auto t0 = std::chrono::steady_clock::now();
    generate(dir);
    double gen_s = since(t0);

    t0 = std::chrono::steady_clock::now();
    auto r = wg::policy::compile_directory(dir);
    double compile_s = since(t0);
    if (!r.ok()) {
        for (auto& d : r.diagnostics) std::cerr << wg::policy::format(d) << "\n";
        fs::remove_all(dir);
        return 1;
    }
    size_t warnings = r.diagnostics.size();
    t0 = std::chrono::steady_clock::now();
    auto image = wg::policy::encode_image(*r.policy);
    double encode_s = since(t0);
    t0 = std::chrono::steady_clock::now();
    auto back = wg::policy::decode_image(image);
    double decode_s = since(t0);
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    fs::remove_all(dir);

    nlohmann::ordered_json j;
    j["bench"] = "policy-compile";
    j["classes"] = r.policy->classes.size();
    j["rules"] = r.policy->rules.size();
    j["hosts"] = r.policy->hosts.size();
    j["warnings"] = warnings;
    j["generate_s"] = gen_s;
    j["compile_s"] = compile_s;
    j["encode_s"] = encode_s;
    j["decode_s"] = decode_s;
    j["image_bytes"] = image.size();
    j["peak_rss_kib"] = ru.ru_maxrss;  // Linux reports KiB
    j["decoded_rules"] = back.rules.size();
    std::cout << j.dump(2) << "\n";
    fs::create_directories(out.parent_path());
    std::ofstream(out) << j.dump(2) << "\n";
    return 0;
}
