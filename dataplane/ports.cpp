#include "ports.hpp"

#include <array>
#include <charconv>
#include <cstring>

#include <rte_ethdev.h>

#include "log/log.hpp"
#include "offload_check.hpp"

namespace wg::dp {

const uint8_t* sym_rss_key() {
    static const auto key = [] {
        std::array<uint8_t, kSymRssKeyLen> k{};
        for (unsigned i = 0; i < k.size(); i += 2) {
            k[i] = 0x6d;
            k[i + 1] = 0x5a;
        }
        return k;
    }();
    return key.data();
}

std::optional<std::string> resolve_port(const std::string& spec, PortInfo& out) {
    uint16_t id = 0;
    auto [p, ec] = std::from_chars(spec.data(), spec.data() + spec.size(), id);
    if (ec == std::errc() && p == spec.data() + spec.size()) {
        if (!rte_eth_dev_is_valid_port(id))
            return "port " + spec + " does not exist (" +
                   std::to_string(rte_eth_dev_count_avail()) + " ports available)";
    } else if (rte_eth_dev_get_port_by_name(spec.c_str(), &id) != 0) {
        return "no port named '" + spec + "' (check the --vdev / -a EAL arguments)";
    }
    char name[RTE_ETH_NAME_MAX_LEN] = {};
    rte_eth_dev_get_name_by_port(id, name);
    out.id = id;
    out.name = name;
    return std::nullopt;
}

std::optional<std::string> check_port_set(const PortInfo& clinical, const PortInfo& core) {
    if (clinical.id == core.id)
        return "clinical and core are the same port (" + clinical.name + ")";
    uint16_t n = rte_eth_dev_count_avail();
    if (n > 2) {
        std::string extra;
        uint16_t pid;
        RTE_ETH_FOREACH_DEV(pid) {
            if (pid == clinical.id || pid == core.id) continue;
            char name[RTE_ETH_NAME_MAX_LEN] = {};
            rte_eth_dev_get_name_by_port(pid, name);
            extra += (extra.empty() ? "" : ", ") + std::string(name);
        }
        return "extra port(s) " + extra +
               ": wardgate bridges exactly two ports (clinical and core); remove the others "
               "from the EAL arguments";
    }
    return std::nullopt;
}

std::optional<std::string> start_port(const PortInfo& p, uint16_t queues, rte_mempool* pool,
                                      const Options& o) {
    rte_eth_dev_info info{};
    if (int rc = rte_eth_dev_info_get(p.id, &info); rc != 0)
        return "port " + p.name + ": cannot read device info: " + strerror(-rc);
    if (queues > info.max_rx_queues || queues > info.max_tx_queues)
        return "port " + p.name + " supports " + std::to_string(info.max_rx_queues) + " queues, " +
               std::to_string(queues) + " needed (one per worker)";

    // net_af_packet opens its qpairs sockets in one kernel fanout group at
    // probe time, whatever we configure: the kernel hashes flows over all of
    // them, and a socket no worker polls would swallow its share (until its
    // ring is full and the fanout's rollover moves the rest). So its queue
    // pairs must match the workers exactly.
    if (queues < info.max_rx_queues && std::strcmp(info.driver_name, "net_af_packet") == 0) {
        const std::string q = std::to_string(info.max_rx_queues);
        return "port " + p.name + " has " + q + " queue pairs (qpairs=" + q + ") and " +
               std::to_string(queues) +
               " worker(s): the kernel spreads flows over every queue "
               "pair and one no worker polls loses them; give it qpairs=" +
               std::to_string(queues) + " or run " + q + " workers (EAL -l with " + q +
               " worker lcores)";
    }

    rte_eth_conf conf{};
    conf.rxmode.mtu = o.mtu;
    if (queues > 1) {
        // Symmetric RSS: both ports use the same repeated-16-bit key and the
        // same queue->lcore map, so both directions of a flow meet on one
        // worker and its flow table (docs/dataplane.md, multi-core).
        // The key is static: ethdev keeps the pointer, PMDs read it at start.
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_key = const_cast<uint8_t*>(sym_rss_key());
        conf.rx_adv_conf.rss_conf.rss_key_len = kSymRssKeyLen;
        conf.rx_adv_conf.rss_conf.rss_hf =
            (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
    }
    if (o.mtu > RTE_ETHER_MTU && (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER))
        conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
    if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
        conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;

    if (int rc = rte_eth_dev_configure(p.id, queues, queues, &conf); rc != 0)
        return "port " + p.name + ": configure failed: " + strerror(-rc);
    uint16_t rxd = static_cast<uint16_t>(o.rx_desc), txd = static_cast<uint16_t>(o.tx_desc);
    if (int rc = rte_eth_dev_adjust_nb_rx_tx_desc(p.id, &rxd, &txd); rc != 0)
        return "port " + p.name + ": descriptor counts rejected: " + strerror(-rc);
    int socket = rte_eth_dev_socket_id(p.id);
    for (uint16_t q = 0; q < queues; ++q) {
        if (int rc = rte_eth_rx_queue_setup(p.id, q, rxd, socket, nullptr, pool); rc != 0)
            return "port " + p.name + ": rx queue " + std::to_string(q) +
                   " setup failed: " + strerror(-rc);
        if (int rc = rte_eth_tx_queue_setup(p.id, q, txd, socket, nullptr); rc != 0)
            return "port " + p.name + ": tx queue " + std::to_string(q) +
                   " setup failed: " + strerror(-rc);
    }
    if (int rc = rte_eth_dev_start(p.id); rc != 0)
        return "port " + p.name + " failed to start: " + strerror(-rc);
    // Promiscuous is required for a transparent bridge; some vdevs (pcap
    // files) do not implement it, which is harmless for them.
    rte_eth_promiscuous_enable(p.id);
    // af_packet on a kernel interface with checksum offload: say so loudly.
    if (auto w = checksum_offload_warning(p.id))
        log::logf(log::Level::Warning, "dataplane.ports", "port %s: %s", p.name.c_str(),
                  w->c_str());
    return std::nullopt;
}

}  // namespace wg::dp
