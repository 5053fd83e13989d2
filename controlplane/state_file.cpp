#include "state_file.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <nlohmann/json.hpp>
#include <system_error>

#include "atomic_file.hpp"

namespace wg::cp {

std::string rfc3339_utc(int64_t unix_seconds) {
    std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string to_json(const ReloadState& s) {
    nlohmann::ordered_json j;
    j["pid"] = s.pid;
    j["reloads"] = s.reloads;
    j["last_result"] = s.last_result;
    j["generation"] = s.generation;
    j["commit"] = s.commit;
    j["hash"] = s.hash;
    j["errors"] = s.errors;
    j["time"] = rfc3339_utc(s.time_unix);
    j["start_time"] = s.start_time;
    j["exe"] = s.exe;
    // Diagnostics quote user files: replace invalid UTF-8 instead of throwing.
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::optional<std::string> write_state(const std::filesystem::path& state_dir,
                                       const ReloadState& s) {
    // 0644: operators without root run `wardgate status`/`reload` via the
    // group-readable state dir; the content is not secret.
    return write_file_atomic(state_dir / "controlplane.json", to_json(s), 0644);
}

PidFile::~PidFile() {
    if (!owned_) return;
    // Only remove it if it is still ours (a successor may have replaced a
    // stale file after we were declared dead).
    if (auto b = read_file(path_)) {
        std::string txt(b->begin(), b->end());
        if (std::atoi(txt.c_str()) == ::getpid()) ::unlink(path_.c_str());
    }
}

std::optional<std::string> PidFile::acquire() {
    std::error_code ec;
    std::filesystem::create_directories(path_.parent_path(), ec);
    if (ec) return "cannot create " + path_.parent_path().string() + ": " + ec.message();
    if (auto b = read_file(path_)) {
        std::string txt(b->begin(), b->end());
        int other = std::atoi(txt.c_str());
        if (other > 0 && other != ::getpid() && (::kill(other, 0) == 0 || errno == EPERM))
            return "another control plane (pid " + std::to_string(other) + ") owns " +
                   path_.string();
    }
    if (auto e = write_file_atomic(path_, std::to_string(::getpid()) + "\n", 0644)) return e;
    owned_ = true;
    return std::nullopt;
}

}  // namespace wg::cp
