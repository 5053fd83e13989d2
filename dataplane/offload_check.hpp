// Checksum-offload hazard of net_af_packet ports (docs/deployment.md): with
// transmit checksum offload on the kernel side of a veth (or a virtual NIC),
// the packets the dataplane reads carry only a partial TCP/UDP checksum.
// Forwarded unchanged, every receiver drops them; under frame admission they
// are dropped here as bad_l4_checksum. Either way allowed flows fail, so the
// dataplane checks the interface an af_packet vdev names at start and warns.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <rte_ethdev.h>

namespace wg::dp {

// The `iface=` of an af_packet device's arguments ("iface=gwc0,qpairs=1"),
// or nullopt for another driver.
std::optional<std::string> af_packet_iface(const std::string& driver, const std::string& args);

// For an af_packet port: a warning when the kernel interface it reads has
// checksum offload on (ethtool ioctl), or nullopt when it is off / the port
// is not af_packet / it cannot be read (then nothing is claimed).
// Each warning is also recorded for the management channel: the Status
// message carries it and the stats carry the `checksum_offload_hazard` gauge
// (number of ports found with the hazard), so `wardgate status`, the
// metrics and an alert show it long after the start-up log has scrolled by.
std::optional<std::string> checksum_offload_warning(uint16_t port_id);

// The warnings recorded so far, "checksum_offload_hazard: <text>" (Status).
std::vector<std::string> offload_hazards();
// How many were recorded (the gauge).
uint64_t offload_hazard_count();

}  // namespace wg::dp
