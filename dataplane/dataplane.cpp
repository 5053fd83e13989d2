#include "dataplane.hpp"

#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "mgmt/messages.hpp"

#ifndef WARDGATE_VERSION
#define WARDGATE_VERSION "dev"
#endif

namespace wg::dp {
namespace {
uint64_t mono_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}
}  // namespace

Dataplane::Dataplane(Options o) : opt_(std::move(o)) {}

Dataplane::~Dataplane() {
    mgmt_.stop();
    if (ports_started_) {
        // Stopping and closing flushes what some PMDs buffer (net_pcap's
        // tx_pcap dumper), so the output files are complete.
        for (auto& p : port_) {
            rte_eth_dev_stop(p.id);
            rte_eth_dev_close(p.id);
        }
    }
    for (auto* mp : pools_) rte_mempool_free(mp);
}

std::optional<std::string> Dataplane::init() {
    start_ns_ = mono_ns();
    if (auto e = resolve_port(opt_.clinical_port, port_[kClinical])) return "clinical port: " + *e;
    if (auto e = resolve_port(opt_.core_port, port_[kCore])) return "core port: " + *e;
    if (auto e = check_port_set(port_[kClinical], port_[kCore])) return e;

    // Workers: every enabled lcore except the main one; with a single lcore
    // the main lcore forwards itself.
    std::vector<unsigned> lcores;
    unsigned lc;
    RTE_LCORE_FOREACH_WORKER(lc) lcores.push_back(lc);
    if (lcores.empty()) lcores.push_back(rte_get_main_lcore());
    const auto nq = static_cast<uint16_t>(lcores.size());

    char name[RTE_MEMPOOL_NAMESIZE];
    std::snprintf(name, sizeof(name), "wg_pool_%d", 0);
    uint32_t data_room = RTE_MBUF_DEFAULT_BUF_SIZE;
    rte_mempool* mp = rte_pktmbuf_pool_create(name, opt_.mbufs, 256, 0,
                                              static_cast<uint16_t>(data_room), rte_socket_id());
    if (!mp)
        return "cannot create a pool of " + std::to_string(opt_.mbufs) +
               " mbufs: " + rte_strerror(rte_errno) + " (lower --mbufs or raise EAL -m)";
    pools_.push_back(mp);

    for (unsigned s = 0; s < 2; ++s)
        if (auto e = start_port(port_[s], nq, mp, opt_))
            return std::string(side_name(s)) + " port: " + *e;
    ports_started_ = true;

    for (uint16_t q = 0; q < nq; ++q) {
        auto w = std::make_unique<WorkerState>();
        w->lcore = lcores[q];
        w->queue = q;
        w->port[kClinical] = port_[kClinical].id;
        w->port[kCore] = port_[kCore].id;
        w->burst = opt_.burst;
        w->stop = &stop_;
        workers_.push_back(std::move(w));
    }

    if (auto e = mgmt_.open(opt_.socket_path, opt_.socket_group)) return e;
    return std::nullopt;
}

uint64_t Dataplane::total_rx() const {
    uint64_t t = 0;
    for (const auto& w : workers_) t += peek(w->ctr[0].rx_pkts) + peek(w->ctr[1].rx_pkts);
    return t;
}

void Dataplane::run() {
    mgmt_.start([this](const mgmt::Frame& f, const Peer& p) { return handle(f, p); });
    const unsigned main_lc = rte_get_main_lcore();
    bool main_is_worker = false;
    for (auto& w : workers_) {
        if (w->lcore == main_lc) {
            main_is_worker = true;
            continue;
        }
        rte_eal_remote_launch(worker_main, w.get(), w->lcore);
    }
    std::printf("wardgate-dataplane: bridging %s (clinical, port %u) <-> %s (core, port %u) on %zu worker(s); socket %s\n",
                port_[kClinical].name.c_str(), port_[kClinical].id, port_[kCore].name.c_str(),
                port_[kCore].id, workers_.size(), opt_.socket_path.c_str());
    std::fflush(stdout);

    std::thread idle_watch;
    if (opt_.idle_exit_ms) {
        // Test mode: finite inputs (pcap files) end; stop once nothing has
        // arrived for idle_exit_ms.
        idle_watch = std::thread([this] {
            uint64_t last = total_rx();
            auto last_change = std::chrono::steady_clock::now();
            while (!stop_.load()) {
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
                uint64_t now = total_rx();
                if (now != last) {
                    last = now;
                    last_change = std::chrono::steady_clock::now();
                } else if (std::chrono::steady_clock::now() - last_change >
                           std::chrono::milliseconds(opt_.idle_exit_ms)) {
                    stop_.store(true);
                }
            }
        });
    }
    if (main_is_worker) {
        for (auto& w : workers_)
            if (w->lcore == main_lc) worker_main(w.get());
    } else {
        while (!stop_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    rte_eal_mp_wait_lcore();
    if (idle_watch.joinable()) idle_watch.join();
}

std::string Dataplane::counters_line() const {
    uint64_t v[2][5] = {};
    for (const auto& w : workers_)
        for (unsigned s = 0; s < 2; ++s) {
            v[s][0] += peek(w->ctr[s].rx_pkts);
            v[s][1] += peek(w->ctr[s].rx_bytes);
            v[s][2] += peek(w->ctr[s].tx_pkts);
            v[s][3] += peek(w->ctr[s].tx_bytes);
            v[s][4] += peek(w->ctr[s].tx_drop);
        }
    char buf[512];
    std::snprintf(buf, sizeof(buf),
                  "wardgate-dataplane: final counters clinical rx=%lu/%luB tx=%lu/%luB drop=%lu; "
                  "core rx=%lu/%luB tx=%lu/%luB drop=%lu",
                  v[0][0], v[0][1], v[0][2], v[0][3], v[0][4], v[1][0], v[1][1], v[1][2], v[1][3],
                  v[1][4]);
    return buf;
}

mgmt::Frame Dataplane::handle(const mgmt::Frame& req, const Peer&) {
    switch (req.type) {
        case mgmt::MsgType::StatusRequest: return status_frame();
        case mgmt::MsgType::StatsRequest: return stats_frame();
        default: {
            mgmt::ErrorResponse e{404, "unsupported request type " +
                                           std::to_string(static_cast<unsigned>(req.type))};
            return {mgmt::MsgType::Error, req.request_id, mgmt::encode(e)};
        }
    }
}

mgmt::Frame Dataplane::status_frame() const {
    mgmt::Status s;
    s.version = WARDGATE_VERSION;
    s.pid = static_cast<uint32_t>(getpid());
    s.uptime_ns = mono_ns() - start_ns_;
    s.workers = static_cast<uint32_t>(workers_.size());
    for (unsigned i = 0; i < 2; ++i) s.ports.push_back({side_name(i), port_[i].name, port_[i].id});
    s.mode = "no-policy";
    return {mgmt::MsgType::StatusResponse, 0, mgmt::encode(s)};
}

mgmt::Frame Dataplane::stats_frame() const {
    stats::Snapshot snap;
    snap.tsc_hz = rte_get_tsc_hz();
    snap.uptime_ns = mono_ns() - start_ns_;
    for (unsigned s = 0; s < 2; ++s) {
        stats::PortCounters pc;
        pc.role = side_name(s);
        pc.name = port_[s].name;
        for (const auto& w : workers_) {
            pc.rx_packets += peek(w->ctr[s].rx_pkts);
            pc.rx_bytes += peek(w->ctr[s].rx_bytes);
            pc.tx_packets += peek(w->ctr[s].tx_pkts);
            pc.tx_bytes += peek(w->ctr[s].tx_bytes);
            pc.tx_dropped += peek(w->ctr[s].tx_drop);
        }
        rte_eth_stats es{};
        if (rte_eth_stats_get(port_[s].id, &es) == 0) {
            pc.rx_missed = es.imissed;
            pc.rx_errors = es.ierrors;
        }
        snap.ports.push_back(std::move(pc));
    }
    for (const auto& w : workers_)
        snap.workers.push_back({w->lcore, peek(w->heartbeat), peek(w->busy_cycles),
                                peek(w->total_cycles)});
    return {mgmt::MsgType::StatsResponse, 0, mgmt::encode(snap)};
}

}  // namespace wg::dp
