// What `wardgate reload` reads to know the outcome of the reload it asked
// for: the pid file (who to SIGHUP) and the state JSON, rewritten atomically
// after every reload attempt with a strictly increasing `reloads` counter.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace wg::cp {

struct ReloadState {
    uint32_t pid = 0;
    uint64_t reloads = 0;             // attempts so far, including the initial load
    std::string last_result;          // "ok" | "unchanged" | "rejected" | "push-failed"
    uint64_t generation = 0;          // generation the dataplane acknowledged (0 = none)
    std::string commit;               // git commit of the running policy, "" if none
    std::string hash;                 // content hash of the running policy
    std::vector<std::string> errors;  // "file:line:col: ..." of the last attempt
    int64_t time_unix = 0;            // when the attempt finished
    // Who `pid` is (sys/process_identity.hpp): `wardgate reload` signals the
    // pid only if they still match, never a process that reused the pid.
    uint64_t start_time = 0;
    std::string exe;
};

// The exact JSON shape the CLI parses (one object, one line).
std::string to_json(const ReloadState& s);
std::string rfc3339_utc(int64_t unix_seconds);

// Writes DIR/controlplane.json atomically.
std::optional<std::string> write_state(const std::filesystem::path& state_dir,
                                       const ReloadState& s);

// DIR/controlplane.pid for the lifetime of the object. acquire() refuses when
// the file names another live process, so two control planes never fight
// over the same dataplane.
class PidFile {
  public:
    explicit PidFile(std::filesystem::path dir) : path_(std::move(dir) / "controlplane.pid") {}
    ~PidFile();
    PidFile(const PidFile&) = delete;
    PidFile& operator=(const PidFile&) = delete;
    std::optional<std::string> acquire();
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
    bool owned_ = false;
};

}  // namespace wg::cp
