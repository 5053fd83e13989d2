// The dataplane's seccomp deny-list really denies (in a forked child, so
// the test process itself stays unfiltered), and runtime_caps() keeps
// capabilities only for the drivers that need them.
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdio>
#include <iostream>

#include "privileges.hpp"

// Runs `body` in a child after install_seccomp(); returns the child's exit
// code (body's return value), or -1 if it died.
template <typename F>
static int in_filtered_child(F body) {
    // The reporter's buffered output must not be duplicated into the child.
    std::cout.flush();
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid == 0) {  // no Catch macros in the child: its reporter is the parent's
        if (wg::dp::install_seccomp()) _exit(100);
        _exit(body());
    }
    REQUIRE(pid > 0);
    int st = 0;
    REQUIRE(waitpid(pid, &st, 0) == pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST_CASE("seccomp: exec, ptrace, unshare and set*id fail with EPERM; the rest works",
          "[privileges]") {
    CHECK(in_filtered_child([] {
              char* const argv[] = {const_cast<char*>("/bin/true"), nullptr};
              execv("/bin/true", argv);
              return errno == EPERM ? 0 : 1;
          }) == 0);
    CHECK(in_filtered_child([] {
              return syscall(SYS_ptrace, 0 /*PTRACE_TRACEME*/, 0, 0, 0) == -1 && errno == EPERM ? 0
                                                                                                : 1;
          }) == 0);
    CHECK(in_filtered_child(
              [] { return syscall(SYS_unshare, 0) == -1 && errno == EPERM ? 0 : 1; }) == 0);
    CHECK(in_filtered_child(
              [] { return syscall(SYS_setuid, 0) == -1 && errno == EPERM ? 0 : 1; }) == 0);
    // Ordinary calls a worker and the management thread make still work,
    // and no_new_privs is set.
    CHECK(in_filtered_child([] {
              int fds[2];
              if (pipe(fds) != 0) return 1;
              if (write(fds[1], "x", 1) != 1) return 2;
              char c;
              if (read(fds[0], &c, 1) != 1) return 3;
              return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : 4;
          }) == 0);
}

TEST_CASE("runtime capabilities per driver kind", "[privileges]") {
    CHECK(wg::dp::runtime_caps({"net_pcap", "net_pcap"}).empty());
    CHECK(wg::dp::runtime_caps({"net_ixgbe", "net_i40e"}).empty());
    CHECK(wg::dp::runtime_caps({"net_null", "net_ring"}).empty());
    auto af = wg::dp::runtime_caps({"net_af_packet", "net_af_packet"});
    CHECK(af == std::vector<int>{CAP_NET_RAW, CAP_NET_ADMIN});
    CHECK(wg::dp::runtime_caps({"net_af_xdp", "mlx5_pci"}).size() == 2);
}

TEST_CASE("drop_privileges refuses an unknown user and root", "[privileges]") {
    auto e = wg::dp::drop_privileges("wg-no-such-user-xyz", {});
    REQUIRE(e.has_value());
    CHECK(e->find("does not exist") != std::string::npos);
    auto r = wg::dp::drop_privileges("root", {});
    REQUIRE(r.has_value());
    CHECK(r->find("is root") != std::string::npos);
}
