// Who a pid is, beyond the number: pids are reused, so a pid file left behind
// by a killed daemon can name an unrelated process. A process is identified
// by its pid AND its start time (clock ticks after boot, /proc/<pid>/stat
// field 22), which no later process with the same pid can share; its
// executable (/proc/<pid>/exe) says which program it runs.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace wg::sys {

struct ProcessIdentity {
    uint64_t start_time = 0;  // clock ticks after boot
    std::string exe;          // resolved executable path, " (deleted)" stripped
};

// nullopt if the process does not exist or /proc cannot be read.
std::optional<ProcessIdentity> process_identity(pid_t pid);

}  // namespace wg::sys
