// Essentials: the VLAN scope and the L2 / IP control protocols the policy
// forwards or drops without classification (compiled.hpp "Essentials").
#pragma once

#include <cstdint>

#include "packet_meta.hpp"
#include "policy/compiled.hpp"

namespace wg::dp {

class EssentialsTable {
  public:
    void build(const policy::Essentials& e);

    // True if `m` is decided here; then `forward` and `reason` are set
    // (reason OtherVlan for VLAN-scope drops, EssentialDrop for the others).
    bool decide(const PacketMeta& m, bool& forward, Reason& reason) const {
        if (m.kind == L2Kind::Malformed) return false;  // the parser's verdict stands
        if (scoped_ && !(vlan_bits_[m.vlan >> 6] >> (m.vlan & 63) & 1)) {
            const policy::L2Action a = m.vlan == 0 ? untagged_ : other_vlan_;
            if (a != policy::L2Action::Inspect) {
                forward = a == policy::L2Action::Forward;
                reason = forward ? Reason::None : Reason::OtherVlan;
                return true;
            }
        }
        policy::L2Action a;
        switch (m.kind) {
            case L2Kind::Ip:
                if (!ip_control(m, a)) return false;
                break;
            case L2Kind::Arp:
                a = arp_;
                break;
            case L2Kind::Stp:
                a = stp_;
                break;
            case L2Kind::Lldp:
                a = lldp_;
                break;
            case L2Kind::Eapol:
                a = eapol_;
                break;
            default:
                a = other_non_ip_;
                break;
        }
        forward = a != policy::L2Action::Drop;
        reason = forward ? Reason::None : Reason::EssentialDrop;
        return true;
    }

  private:
    bool ip_control(const PacketMeta& m, policy::L2Action& a) const {
        if (m.proto == 17) {
            // Both ports in {67,68} (DHCPv4) or both in {546,547} (DHCPv6).
            const auto in = [](uint16_t p, uint16_t x, uint16_t y) { return p == x || p == y; };
            if ((in(m.sport, 67, 68) && in(m.dport, 67, 68)) ||
                (in(m.sport, 546, 547) && in(m.dport, 546, 547))) {
                a = dhcp_;
                return true;
            }
            return false;
        }
        if (m.proto == 2) {  // IGMP
            a = igmp_;
            return true;
        }
        if (m.proto == 58) {
            const uint8_t t = m.icmp_type;
            if (t >= 133 && t <= 137) {  // RS, RA, NS, NA, redirect
                a = ipv6_nd_;
                return true;
            }
            if ((t >= 130 && t <= 132) || t == 143) {  // MLD query/report/done, MLDv2 report
                a = igmp_;
                return true;
            }
        }
        return false;
    }

    using A = policy::L2Action;
    A arp_ = A::Forward, ipv6_nd_ = A::Forward, dhcp_ = A::Forward, igmp_ = A::Forward;
    A stp_ = A::Forward, lldp_ = A::Forward, eapol_ = A::Forward, other_non_ip_ = A::Drop;
    A untagged_ = A::Forward, other_vlan_ = A::Drop;
    bool scoped_ = false;
    uint64_t vlan_bits_[4096 / 64] = {};
};

}  // namespace wg::dp
