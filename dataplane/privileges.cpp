#include "privileges.hpp"

#include <grp.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pwd.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace wg::dp {

namespace {

std::string errno_text(const std::string& what) {
    return what + ": " + std::strerror(errno);
}

// Syscalls a running dataplane never needs: process creation of other
// programs, debugging other processes, changing mounts, kernel modules,
// keys, reboot, namespaces, time, swap, BPF, perf, personality. A
// deny-list, not an allow-list: DPDK's threads (EAL interrupt thread,
// telemetry, PMD housekeeping) use a driver-dependent set of syscalls
// (ioctl/sendto/recvmsg/epoll/timerfd/futex/mmap/... and more on vfio), and an
// allow-list that misses one kills the bridge in production. Denied calls
// fail with EPERM (not SIGSYS): a library probing an optional call keeps
// working.
const int kDenied[] = {
    SYS_execve,
    SYS_execveat,
    SYS_ptrace,
    SYS_process_vm_readv,
    SYS_process_vm_writev,
    SYS_mount,
    SYS_umount2,
    SYS_pivot_root,
    SYS_chroot,
    SYS_init_module,
    SYS_finit_module,
    SYS_delete_module,
    SYS_kexec_load,
    SYS_kexec_file_load,
    SYS_reboot,
    SYS_swapon,
    SYS_swapoff,
    SYS_setns,
    SYS_unshare,
    SYS_add_key,
    SYS_request_key,
    SYS_keyctl,
    SYS_bpf,
    SYS_perf_event_open,
    SYS_settimeofday,
    SYS_clock_settime,
    SYS_adjtimex,
    SYS_clock_adjtime,
    SYS_acct,
    SYS_quotactl,
    SYS_personality,
    SYS_userfaultfd,
    SYS_open_by_handle_at,
    SYS_name_to_handle_at,
    SYS_fanotify_init,
    SYS_lookup_dcookie,
    SYS_setuid,
    SYS_setgid,
    SYS_setreuid,
    SYS_setregid,
    SYS_setresuid,
    SYS_setresgid,
    SYS_setgroups,
    SYS_setfsuid,
    SYS_setfsgid,
    SYS_capset,
};

#if defined(__x86_64__)
constexpr uint32_t kArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr uint32_t kArch = AUDIT_ARCH_AARCH64;
#else
#error "seccomp filter: add this architecture's AUDIT_ARCH"
#endif

}  // namespace

std::vector<int> runtime_caps(const std::vector<std::string>& drivers) {
    for (const auto& d : drivers)
        if (d == "net_af_packet" || d == "net_af_xdp") return {CAP_NET_RAW, CAP_NET_ADMIN};
    return {};
}

std::optional<std::string> install_seccomp() {
    std::vector<sock_filter> f;
    // Another architecture's syscall numbers would bypass the list: kill.
    f.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
    f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kArch, 1, 0));
    f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
    f.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
#if defined(__x86_64__)
    // x32 ABI numbers alias the x86_64 ones with bit 30 set: refuse them.
    f.push_back(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1));
    f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM));
#endif
    for (int nr : kDenied) {
        f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(nr), 0, 1));
        f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM));
    }
    f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    sock_fprog prog{static_cast<unsigned short>(f.size()), f.data()};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno_text("PR_SET_NO_NEW_PRIVS");
    // TSYNC: the EAL threads created before us get the same filter (and
    // no_new_privs); seccomp(2) fails rather than leave one unfiltered.
    long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
    if (rc != 0) {
        if (rc > 0) return "seccomp: thread " + std::to_string(rc) + " could not be synchronised";
        return errno_text("seccomp");
    }
    return std::nullopt;
}

std::optional<std::string> drop_privileges(const std::string& user, const std::vector<int>& caps) {
    errno = 0;
    passwd* pw = getpwnam(user.c_str());
    if (!pw) return "user '" + user + "' does not exist";
    const uid_t uid = pw->pw_uid;
    const gid_t gid = pw->pw_gid;
    if (uid == 0) return "--user " + user + " is root: nothing would be dropped";
    // Keep the permitted set across the uid change (glibc applies setresuid
    // to every thread; only this one keeps capabilities, the others lose
    // them all, which is what workers need).
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return errno_text("PR_SET_KEEPCAPS");
    // Still root: shrink the bounding set to what we keep, so nothing else
    // can ever be regained, and clear the ambient set.
    for (int c = 0; c <= CAP_LAST_CAP; ++c) {
        bool keep = false;
        for (int k : caps) keep |= k == c;
        if (!keep && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL)
            return errno_text("PR_CAPBSET_DROP " + std::to_string(c));
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
        return errno_text("PR_CAP_AMBIENT_CLEAR_ALL");
    if (setgroups(0, nullptr) != 0) return errno_text("setgroups");
    if (setresgid(gid, gid, gid) != 0) return errno_text("setresgid");
    if (setresuid(uid, uid, uid) != 0) return errno_text("setresuid");
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return errno_text("PR_SET_KEEPCAPS");
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    for (int c : caps) {
        data[c / 32].permitted |= 1u << (c % 32);
        data[c / 32].effective |= 1u << (c % 32);
    }
    if (syscall(SYS_capset, &hdr, data) != 0) return errno_text("capset");
    if (getuid() != uid || geteuid() != uid) return "uid did not change";
    return install_seccomp();
}

}  // namespace wg::dp
