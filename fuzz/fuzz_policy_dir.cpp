// libFuzzer harness: the YAML policy loader, validator and compiler, driven
// through their public entry point compile_directory() on a real directory.
//
// The input is split on the line "#%%" (a YAML comment, so an unsplit input
// is still a policy file) into up to kFiles pieces, written as the files of
// kNames into a private directory in /dev/shm (tmpfs: no disk I/O); piece i
// goes to kNames[i], so the seeds put CSV inventories where the YAML imports
// look for them. A policy that compiles is also encoded to an image and
// decoded back, as the control plane does before pushing it.
//
// PATH is emptied at start-up: a policy that compiles records the git commit
// of its directory by running git, a process spawn per input that would cost
// more than the whole compile. Nothing here is a git work tree anyway.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "policy/compiler.hpp"
#include "policy/image.hpp"

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSeparator = "\n#%%\n";
constexpr const char* kNames[] = {
    "gateway.yaml",    "classes.yaml", "inventory.yaml", "telemetry.yaml",
    "guardrails.yaml", "extra.yaml",   "assets.csv",     "assets/icu-asset-export.csv",
};
constexpr std::size_t kFiles = std::size(kNames);

fs::path g_dir;

void write_file(const fs::path& p, std::string_view body) {
    FILE* f = std::fopen(p.c_str(), "wb");
    if (!f) std::abort();  // our own tmpfs directory: a harness problem, not a finding
    if (!body.empty() && std::fwrite(body.data(), 1, body.size(), f) != body.size()) std::abort();
    std::fclose(f);
}

void cleanup() {
    std::error_code ec;
    fs::remove_all(g_dir, ec);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    setenv("PATH", "/nonexistent-wgfuzz", 1);
    const char* base = fs::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
    g_dir = fs::path(base) / ("wgfuzz-" + std::to_string(getpid()));
    fs::create_directories(g_dir / "assets");
    std::atexit(cleanup);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > 256 * 1024) return -1;  // policies are small; keep executions fast
    std::string_view in(reinterpret_cast<const char*>(data), size);
    std::size_t i = 0;
    for (; i < kFiles && !in.empty(); ++i) {
        auto cut = i + 1 == kFiles ? std::string_view::npos : in.find(kSeparator);
        write_file(g_dir / kNames[i], in.substr(0, cut));
        in =
            cut == std::string_view::npos ? std::string_view{} : in.substr(cut + kSeparator.size());
    }
    for (; i < kFiles; ++i) std::remove((g_dir / kNames[i]).c_str());

    auto r = wg::policy::compile_directory(g_dir);
    if (r.ok()) {
        auto image = wg::policy::encode_image(*r.policy);
        auto back = wg::policy::decode_image(image);  // our own image must decode
        if (wg::policy::encode_image(back) != image) std::abort();
    }
    return 0;
}
