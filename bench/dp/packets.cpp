#include "packets.hpp"

#include <algorithm>
#include <cstring>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

namespace wg::bench {
namespace {
// Simple IMIX 7:4:1 of 64/576/1500-byte frames, interleaved so a burst holds
// a mix rather than runs of one size.
constexpr uint16_t kImix[12] = {64, 576, 64, 64, 1500, 64, 576, 64, 64, 576, 64, 576};
constexpr uint16_t kFcs = 4;
}  // namespace

const char* size_name(SizeMix s) {
    switch (s) {
        case SizeMix::B64:
            return "64";
        case SizeMix::B512:
            return "512";
        case SizeMix::Imix:
            return "imix";
    }
    return "?";
}

uint16_t frame_size(SizeMix s, uint64_t i) {
    switch (s) {
        case SizeMix::B64:
            return 64;
        case SizeMix::B512:
            return 512;
        case SizeMix::Imix:
            return kImix[i % 12];
    }
    return 64;
}

uint16_t min_frame_size(uint8_t family, uint8_t proto) {
    const unsigned l4 = proto == 6 ? sizeof(rte_tcp_hdr) : sizeof(rte_udp_hdr);
    const unsigned l3 = family == 4 ? sizeof(rte_ipv4_hdr) : sizeof(rte_ipv6_hdr);
    return static_cast<uint16_t>(std::max<unsigned>(64, sizeof(rte_ether_hdr) + l3 + l4 + kFcs));
}

double mean_frame_size(SizeMix s, uint8_t family, uint8_t proto) {
    double sum = 0;
    for (unsigned i = 0; i < 12; ++i)
        sum += std::max(frame_size(s, i), min_frame_size(family, proto));
    return sum / 12;
}

uint16_t stamp(rte_mbuf* m, const Flow& f, uint16_t size_fcs, bool reverse, uint8_t tcp_flags) {
    size_fcs = std::max(size_fcs, min_frame_size(f.family, f.proto));
    const uint16_t len = static_cast<uint16_t>(size_fcs - kFcs);
    rte_pktmbuf_reset(m);
    auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, len));
    auto* eth = reinterpret_cast<rte_ether_hdr*>(p);
    const auto& smac = reverse ? f.dst_mac : f.src_mac;
    const auto& dmac = reverse ? f.src_mac : f.dst_mac;
    std::memcpy(eth->src_addr.addr_bytes, smac.data(), 6);
    std::memcpy(eth->dst_addr.addr_bytes, dmac.data(), 6);
    const auto& sa = reverse ? f.dst : f.src;
    const auto& da = reverse ? f.src : f.dst;
    const uint16_t sp = reverse ? f.dport : f.sport, dp = reverse ? f.sport : f.dport;

    uint8_t* l4;
    unsigned l3len;
    if (f.family == 4) {
        eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
        auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
        l3len = sizeof(*ip);
        std::memset(ip, 0, sizeof(*ip));
        ip->version_ihl = RTE_IPV4_VHL_DEF;
        ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(len - sizeof(*eth)));
        ip->time_to_live = 64;
        ip->next_proto_id = f.proto;
        std::memcpy(&ip->src_addr, sa.data(), 4);
        std::memcpy(&ip->dst_addr, da.data(), 4);
        ip->hdr_checksum = rte_ipv4_cksum(ip);
        l4 = reinterpret_cast<uint8_t*>(ip + 1);
    } else {
        eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
        auto* ip = reinterpret_cast<rte_ipv6_hdr*>(eth + 1);
        l3len = sizeof(*ip);
        std::memset(ip, 0, sizeof(*ip));
        ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
        ip->payload_len = rte_cpu_to_be_16(static_cast<uint16_t>(len - sizeof(*eth) - sizeof(*ip)));
        ip->proto = f.proto;
        ip->hop_limits = 64;
        std::memcpy(ip->src_addr, sa.data(), 16);
        std::memcpy(ip->dst_addr, da.data(), 16);
        l4 = reinterpret_cast<uint8_t*>(ip + 1);
    }
    if (f.proto == 6) {
        auto* t = reinterpret_cast<rte_tcp_hdr*>(l4);
        std::memset(t, 0, sizeof(*t));
        t->src_port = rte_cpu_to_be_16(sp);
        t->dst_port = rte_cpu_to_be_16(dp);
        t->sent_seq = rte_cpu_to_be_32(reverse ? 0x20000000u : 0x10000000u);
        t->recv_ack =
            (tcp_flags & kTcpAck) ? rte_cpu_to_be_32(reverse ? 0x10000001u : 0x20000001u) : 0;
        t->data_off = 5 << 4;
        t->tcp_flags = tcp_flags;
        t->rx_win = rte_cpu_to_be_16(65535);
    } else {
        auto* u = reinterpret_cast<rte_udp_hdr*>(l4);
        u->src_port = rte_cpu_to_be_16(sp);
        u->dst_port = rte_cpu_to_be_16(dp);
        u->dgram_len = rte_cpu_to_be_16(static_cast<uint16_t>(len - sizeof(rte_ether_hdr) - l3len));
        u->dgram_cksum = 0;
    }
    // Correct transport checksums: frame admission verifies them (in
    // software here: net_null/mbufs carry no RX checksum flags).
    if (f.family == 4) {
        const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(l4 - l3len);
        if (f.proto == 6) reinterpret_cast<rte_tcp_hdr*>(l4)->cksum = rte_ipv4_udptcp_cksum(ip, l4);
    } else {
        const auto* ip = reinterpret_cast<const rte_ipv6_hdr*>(l4 - l3len);
        const uint16_t c = rte_ipv6_udptcp_cksum(ip, l4);
        if (f.proto == 6)
            reinterpret_cast<rte_tcp_hdr*>(l4)->cksum = c;
        else
            reinterpret_cast<rte_udp_hdr*>(l4)->dgram_cksum = c;
    }
    m->l2_len = sizeof(rte_ether_hdr);
    m->l3_len = static_cast<uint16_t>(l3len);
    return size_fcs;
}

}  // namespace wg::bench
