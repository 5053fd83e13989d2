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
        // With two tags (a QinQ trunk, admitted only when the profile allows
        // it) both VIDs must be in scope: the inner one is what a switch
        // behind us acts on.
        if (scoped_ && (!in_scope(m.vlan) || (m.vlan_depth == 2 && !in_scope(m.inner_vlan)))) {
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
    bool in_scope(uint16_t vid) const { return vlan_bits_[vid >> 6] >> (vid & 63) & 1; }

    bool ip_control(const PacketMeta& m, policy::L2Action& a) const {
        if (m.proto == 17) {
            // Client->server and server->client only (RFC 2131: 68->67 and
            // 67->68; RFC 8415: 546->547 and 547->546). Other pairs (67->67,
            // 68->68) are not DHCP between a client and its server: policy.
            const uint32_t pair = uint32_t(m.sport) << 16 | m.dport;
            if (pair == (68u << 16 | 67) || pair == (67u << 16 | 68) ||
                pair == (546u << 16 | 547) || pair == (547u << 16 | 546)) {
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
                a = mld_;
                return true;
            }
        }
        return false;
    }

    using A = policy::L2Action;
    A arp_ = A::Forward, ipv6_nd_ = A::Forward, dhcp_ = A::Forward, igmp_ = A::Forward;
    A mld_ = A::Forward;
    A stp_ = A::Forward, lldp_ = A::Forward, eapol_ = A::Forward, other_non_ip_ = A::Drop;
    A untagged_ = A::Forward, other_vlan_ = A::Drop;
    bool scoped_ = false;
    uint64_t vlan_bits_[4096 / 64] = {};
};

}  // namespace wg::dp
