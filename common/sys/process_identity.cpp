#include "sys/process_identity.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>

namespace wg::sys {

std::optional<ProcessIdentity> process_identity(pid_t pid) {
    const std::string dir = "/proc/" + std::to_string(pid);
    std::ifstream in(dir + "/stat");
    std::string stat;
    if (!in || !std::getline(in, stat)) return std::nullopt;
    // "pid (comm) state ppid ...": comm may hold spaces and ')', so fields
    // are counted from the last ')'. starttime is field 22, i.e. the 20th
    // after comm.
    const auto close = stat.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(stat.substr(close + 1));
    std::string f;
    for (int k = 0; k < 19; ++k)
        if (!(fields >> f)) return std::nullopt;
    ProcessIdentity id;
    if (!(fields >> id.start_time)) return std::nullopt;
    char buf[4096];
    const ssize_t n = ::readlink((dir + "/exe").c_str(), buf, sizeof buf - 1);
    if (n > 0) {
        id.exe.assign(buf, size_t(n));
        // The binary was replaced (package upgrade) after the process started.
        constexpr std::string_view kDeleted = " (deleted)";
        if (id.exe.ends_with(kDeleted)) id.exe.resize(id.exe.size() - kDeleted.size());
    }
    return id;
}

}  // namespace wg::sys
