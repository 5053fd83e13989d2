// Least privilege after start-up (docs/deployment.md, "Privileges"): once EAL
// is initialised, the ports are started and the management socket exists,
// the dataplane needs neither root nor most capabilities. drop_privileges()
// switches to a dedicated user keeping only the capabilities the port
// drivers use at run time, sets no_new_privs and installs a seccomp filter
// (all threads) that denies what a forwarding process never does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace wg::dp {

// Capabilities to keep for these DPDK driver names ("net_af_packet", ...):
// af_packet/af_xdp keep CAP_NET_RAW and CAP_NET_ADMIN (link and promiscuous
// changes on stop); every other driver (vfio-pci PMDs, pcap, null, ring)
// none. Returned as capability numbers.
std::vector<int> runtime_caps(const std::vector<std::string>& drivers);

// Switches to `user` (its primary group, supplementary groups cleared),
// keeping `caps` permitted and effective (and nothing inheritable), then
// no_new_privs and the seccomp deny-list on every thread. Returns a one-line
// error; the caller must not continue as root on failure.
std::optional<std::string> drop_privileges(const std::string& user, const std::vector<int>& caps);

// Only no_new_privs and the seccomp filter (tests and `--user` both use it).
std::optional<std::string> install_seccomp();

}  // namespace wg::dp
