// The af_packet checksum-offload check: which interface a vdev names.
// (The ethtool read itself is exercised by the e2e tests' dataplane start.)
#include <catch2/catch.hpp>

#include "offload_check.hpp"

using wg::dp::af_packet_iface;

TEST_CASE("offload check: the iface of an af_packet vdev, nothing for other drivers") {
    CHECK(af_packet_iface("net_af_packet", "iface=gwc0,qpairs=1") == "gwc0");
    CHECK(af_packet_iface("net_af_packet", "qpairs=2,iface=eth1") == "eth1");
    CHECK_FALSE(af_packet_iface("net_af_packet", "qpairs=2"));
    CHECK_FALSE(af_packet_iface("net_af_packet", "iface="));
    CHECK_FALSE(af_packet_iface("net_pcap", "iface=eth0"));
}
