// wardgate reload [--state-dir DIR] [--timeout S]: SIGHUP the control plane
// (pid from DIR/controlplane.pid) and wait until DIR/controlplane.json shows
// a new reload; exit 0 if it was "ok" or "unchanged", 1 otherwise.
#include <nlohmann/json.hpp>

#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <ostream>
#include <sstream>
#include <thread>

#include "commands.hpp"
#include "contract/paths.hpp"

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
    if (!(pf >> pid) || pid <= 1) {
        err << "wardgate reload: cannot read a pid from " << pidfile
            << " (is wardgate-controlplane running?)\n";
        return kExitFindings;
    }
    auto before_state = read_state(statefile);
    uint64_t before = before_state ? reloads_of(*before_state) : 0;
    if (kill(static_cast<pid_t>(pid), SIGHUP) != 0) {
        err << "wardgate reload: cannot signal pid " << pid << ": " << std::strerror(errno)
            << (errno == ESRCH ? " (stale pid file?)" : "") << "\n";
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
