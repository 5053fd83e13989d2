#include "offload_check.hpp"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include <rte_dev.h>
#include <rte_devargs.h>

namespace wg::dp {

std::optional<std::string> af_packet_iface(const std::string& driver, const std::string& args) {
    if (driver.find("af_packet") == std::string::npos) return std::nullopt;
    for (size_t at = 0; at <= args.size();) {
        size_t end = args.find(',', at);
        if (end == std::string::npos) end = args.size();
        const std::string kv = args.substr(at, end - at);
        if (kv.rfind("iface=", 0) == 0 && kv.size() > 6) return kv.substr(6);
        at = end + 1;
    }
    return std::nullopt;
}

namespace {

// Written at port start, read by the management thread: a mutex, never on
// a worker.
std::mutex g_mu;
std::vector<std::string> g_hazards;

// ETHTOOL_G{RX,TX}CSUM on `iface`: 1 on, 0 off, -1 unknown.
int ethtool_flag(int fd, const std::string& iface, uint32_t cmd) {
    ethtool_value v{};
    v.cmd = cmd;
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, iface.c_str(), IFNAMSIZ - 1);
    ifr.ifr_data = reinterpret_cast<char*>(&v);
    if (ioctl(fd, SIOCETHTOOL, &ifr) != 0) return -1;
    return v.data ? 1 : 0;
}

}  // namespace

std::optional<std::string> checksum_offload_warning(uint16_t port_id) {
    rte_eth_dev_info info{};
    if (rte_eth_dev_info_get(port_id, &info) != 0 || !info.device) return std::nullopt;
    const rte_devargs* da = rte_dev_devargs(info.device);
    const std::string args = da && da->args ? da->args : "";
    const auto iface = af_packet_iface(info.driver_name ? info.driver_name : "", args);
    if (!iface) return std::nullopt;
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) return std::nullopt;
    const int tx = ethtool_flag(fd, *iface, ETHTOOL_GTXCSUM);
    const int rx = ethtool_flag(fd, *iface, ETHTOOL_GRXCSUM);
    close(fd);
    if (tx != 1 && rx != 1) return std::nullopt;
    std::string w =
        "checksum offload is ON for interface " + *iface + " (" +
        (tx == 1 ? std::string("tx") : "") + (tx == 1 && rx == 1 ? "+" : "") +
        (rx == 1 ? "rx" : "") +
        "): packets from the kernel may carry partial TCP/UDP checksums, which frame admission "
        "drops as bad_l4_checksum and receivers drop silently; every allowed flow can fail. "
        "Run `ethtool -K " +
        *iface +
        " tx off rx off` here and on the peer of a veth (docs/deployment.md, "
        "\"Checksum offload on af_packet\")";
    std::lock_guard<std::mutex> lk(g_mu);
    const std::string line = "checksum_offload_hazard: " + w;
    if (std::find(g_hazards.begin(), g_hazards.end(), line) == g_hazards.end())
        g_hazards.push_back(line);  // once per interface, however often a port restarts
    return w;
}

std::vector<std::string> offload_hazards() {
    std::lock_guard<std::mutex> lk(g_mu);
    return g_hazards;
}

uint64_t offload_hazard_count() {
    std::lock_guard<std::mutex> lk(g_mu);
    return g_hazards.size();
}

}  // namespace wg::dp
