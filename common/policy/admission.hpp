// Frame admission: checks on frames that a correct host never sends. Each is
// one bit; the parser sets a bit when a frame fails the check and the
// dataplane drops the frame, before essentials, the telemetry bypass and the
// flow table, if the policy's admission profile enforces that check. The
// strict profile (every check on) is the default; gateway.yaml's
// `admission:` section relaxes checks by name where a site needs it (for
// example a QinQ trunk). docs/dataplane.md "Frame admission" gives the RFC
// of each check.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "contract/reasons.hpp"

namespace wg::policy {

// Bit positions, in `Admission::enforced` and the parser's anomaly set.
// Append only (the image stores the bit set).
enum class AdmissionCheck : uint8_t {
    StackedVlan = 0,    // two 802.1Q/802.1ad tags (VLAN hopping unless a QinQ trunk)
    Ipv4Checksum,       // RFC 791 header checksum wrong
    TcpFlags,           // RFC 9293: impossible flag combinations
    PortZero,           // TCP/UDP source or destination port 0 (reserved, RFC 6335)
    UdpLength,          // RFC 768: UDP length shorter than the IP payload
    Ipv6Rh0,            // RFC 5095: IPv6 routing header type 0 (deprecated)
    ArpFormat,          // RFC 826: not Ethernet/IPv4 (htype 1, ptype 0x0800, 6/4)
    NdHopLimit,         // RFC 4861: ND messages must arrive with hop limit 255
    SourceMac,          // IEEE 802: source MAC with the group bit set, or all zero
    Mtu,                // IP packet longer than the configured MTU
    TransportChecksum,  // RFC 793/768/8200: TCP/UDP checksum wrong
    kCount
};

inline constexpr unsigned kAdmissionChecks = static_cast<unsigned>(AdmissionCheck::kCount);
inline constexpr uint32_t kAllAdmissionChecks = (1u << kAdmissionChecks) - 1;

constexpr uint32_t admission_bit(AdmissionCheck c) {
    return 1u << static_cast<unsigned>(c);
}

// The names used in gateway.yaml `admission: {relax: [...]}`.
inline constexpr std::array<std::string_view, kAdmissionChecks> kAdmissionCheckNames = {
    "stacked_vlan", "ipv4_checksum", "tcp_flags",  "port_zero", "udp_length",        "ipv6_rh0",
    "arp_format",   "nd_hop_limit",  "source_mac", "mtu",       "transport_checksum"};

// The drop reason of each check, in bit order.
inline constexpr std::array<contract::Reason, kAdmissionChecks> kAdmissionReasons = {
    contract::Reason::StackedVlan,    contract::Reason::BadIpv4Checksum,
    contract::Reason::BadTcpFlags,    contract::Reason::PortZero,
    contract::Reason::UdpLengthShort, contract::Reason::Ipv6RoutingHeader0,
    contract::Reason::BadArp,         contract::Reason::NdHopLimit,
    contract::Reason::BadSourceMac,   contract::Reason::OversizeFrame,
    contract::Reason::BadL4Checksum};

// How TCP/UDP checksums are verified when the check is enforced.
enum class ChecksumMode : uint8_t {
    Verify = 0,  // the NIC's RX flags where the port reports them, software otherwise
    Nic = 1,     // only the NIC's RX flags (no software cost; unverified where not reported)
};

struct Admission {
    uint32_t enforced = kAllAdmissionChecks;  // AdmissionCheck bits
    uint16_t mtu = 1500;                      // largest IP packet accepted (bytes of L3)
    ChecksumMode checksum = ChecksumMode::Verify;
    bool enforces(AdmissionCheck c) const { return enforced & admission_bit(c); }
    friend bool operator==(const Admission&, const Admission&) = default;
};

}  // namespace wg::policy
