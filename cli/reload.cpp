// wardgate reload [--state-dir DIR] [--timeout S]: SIGHUP the control plane
// (pid from DIR/controlplane.pid) and wait until DIR/controlplane.json shows
// a new reload; exit 0 if it was "ok" or "unchanged", 1 otherwise. The pid
// is signalled only if it is still the control plane that wrote the state
// file (start time and executable match): a pid file left by a killed
// control plane may name an unrelated process by now.
#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <limits>
#include <ostream>
#include <sstream>
#include <thread>

#include "commands.hpp"
#include "contract/paths.hpp"
#include "sys/process_identity.hpp"

namespace wg::cli {

namespace {

std::optional<nlohmann::json> read_state(const std::string& file) {
    std::ifstream in(file);
    if (!in) return std::nullopt;
    std::stringstream ss;
    ss << in.rdbuf();
    // A half-written file (no atomic rename on the writer's side) parses as
    // an error: treat it as "not yet".
    auto j = nlohmann::json::parse(ss.str(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) return std::nullopt;
    return j;
}

uint64_t reloads_of(const nlohmann::json& j) {
    auto it = j.find("reloads");
    return it != j.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

std::string str_of(const nlohmann::json& j, const char* k) {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// Raw syscalls: Debian 12's <sys/pidfd.h> lacks C++ linkage guards.
int pidfd_open(pid_t pid) {
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}
int pidfd_send_signal(int pidfd, int sig) {
    return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

// Why `pid` is not the control plane that wrote the state file, or nullopt
// if it is: same pid, same start time (pids are reused, start times are not)
// and the same executable.
std::optional<std::string> not_the_control_plane(pid_t pid,
                                                 const std::optional<nlohmann::json>& state) {
    if (!state) return "no readable " + std::string(contract::kStateFileName) + " to verify it";
    auto num = [&](const char* k) -> uint64_t {
        auto it = state->find(k);
        return it != state->end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
    };
    if (num("pid") != uint64_t(pid))
        return "the state file names pid " + std::to_string(num("pid"));
    const uint64_t recorded = num("start_time");
    const std::string exe = str_of(*state, "exe");
    if (recorded == 0 || exe.empty())
        return std::string("the state file records no start time or executable");
    auto id = sys::process_identity(pid);
    if (!id) return std::string("it is not running");
    if (id->start_time != recorded)
        return "it started at tick " + std::to_string(id->start_time) +
               ", the control plane at tick " + std::to_string(recorded) + " (pid reused)";
    if (id->exe != exe) return "it runs " + id->exe + ", not " + exe;
    return std::nullopt;
}

}  // namespace

int reload(const Args& args, std::ostream& out, std::ostream& err) {
    std::string dir = contract::kStateDir;
    int timeout = 30;
    opt::Table ot("usage: wardgate reload [--state-dir DIR] [--timeout S]");
    ot.str({"--state-dir"}, "DIR", dir, "control plane pid and state files (default " + dir + ")");
    add_timeout_option(ot, timeout, "wait this long for the reload's result (default 30)");
    if (int rc = parse_args(ot, "reload", args, nullptr, out, err); rc >= 0) return rc;
    std::string pidfile = dir + "/" + contract::kPidFileName,
                statefile = dir + "/" + contract::kStateFileName;
    std::ifstream pf(pidfile);
    long pid = 0;
    if (!(pf >> pid) || pid <= 1 || pid > std::numeric_limits<pid_t>::max()) {
        err << "wardgate reload: cannot read a pid from " << pidfile
            << " (is wardgate-controlplane running?)\n";
        return kExitFindings;
    }
    // A pidfd pins the process: if it exits and the pid is reused after
    // this, the signal below fails instead of reaching the newcomer.
    const int pidfd = pidfd_open(static_cast<pid_t>(pid));
    if (pidfd < 0) {
        err << "wardgate reload: pid " << pid << " from " << pidfile << ": " << std::strerror(errno)
            << (errno == ESRCH ? " (stale pid file?)" : "") << "\n";
        return kExitFindings;
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{pidfd};
    auto before_state = read_state(statefile);
    if (auto why = not_the_control_plane(static_cast<pid_t>(pid), before_state)) {
        err << "wardgate reload: refusing to signal pid " << pid << " from " << pidfile << ": "
            << *why << " (stale pid file? is wardgate-controlplane running?)\n";
        return kExitFindings;
    }
    uint64_t before = reloads_of(*before_state);
    if (pidfd_send_signal(pidfd, SIGHUP) != 0) {
        err << "wardgate reload: cannot signal pid " << pid << ": " << std::strerror(errno)
            << (errno == ESRCH ? " (it exited)" : "") << "\n";
        return kExitFindings;
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
    std::optional<nlohmann::json> now;
    for (;;) {
        now = read_state(statefile);
        if (now && reloads_of(*now) > before) break;
        if (std::chrono::steady_clock::now() >= deadline) {
            err << "wardgate reload: no reload reported in " << statefile << " within " << timeout
                << " s\n";
            return kExitFindings;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::string result = str_of(*now, "last_result");
    out << "reload #" << reloads_of(*now) << ": " << result;
    if (auto g = now->find("generation"); g != now->end() && g->is_number())
        out << ", generation " << g->dump();
    if (auto c = str_of(*now, "commit"); !c.empty()) out << ", commit " << c.substr(0, 12);
    if (auto h = str_of(*now, "hash"); !h.empty()) out << ", content " << h.substr(0, 12);
    out << "\n";
    if (auto e = now->find("errors"); e != now->end() && e->is_array())
        for (auto& x : *e)
            if (x.is_string()) out << "  " << x.get<std::string>() << "\n";
    return result == "ok" || result == "unchanged" ? kExitOk : kExitFindings;
}

}  // namespace wg::cli
