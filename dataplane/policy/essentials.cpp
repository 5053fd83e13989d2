#include "policy/essentials.hpp"

#include <stdexcept>
#include <string>

namespace wg::dp {

void EssentialsTable::build(const policy::Essentials& e) {
    // Inspect is only meaningful for the VLAN scope; elsewhere it is a
    // compiler bug, and forwarding unclassified would be the unsafe reading.
    for (A a : {e.arp, e.ipv6_nd, e.dhcp, e.igmp, e.mld, e.stp, e.lldp, e.eapol, e.other_non_ip})
        if (a == A::Inspect)
            throw std::invalid_argument(
                "essentials: 'inspect' is only valid for untagged/other_vlan");
    arp_ = e.arp;
    ipv6_nd_ = e.ipv6_nd;
    dhcp_ = e.dhcp;
    igmp_ = e.igmp;
    mld_ = e.mld;
    stp_ = e.stp;
    lldp_ = e.lldp;
    eapol_ = e.eapol;
    other_non_ip_ = e.other_non_ip;
    untagged_ = e.untagged;
    other_vlan_ = e.other_vlan;
    scoped_ = !e.vlans.empty();
    for (auto& w : vlan_bits_) w = 0;
    for (uint16_t v : e.vlans) {
        if (v > 4095)
            throw std::invalid_argument("essentials: vlan " + std::to_string(v) + " out of range");
        vlan_bits_[v >> 6] |= 1ull << (v & 63);
    }
}

}  // namespace wg::dp
