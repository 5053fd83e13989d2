// Inventory identity: (class, zone) of one end of a packet, with the
// precedence of compiled.hpp:
//   MAC+IP binding > bound IP seen with another MAC (spoofed) > MAC >
//   exact IP > longest subnet > unknown; ties go to the lowest host index;
//   entries with a VLAN only match frames of that VLAN.
// MAC identity (and so the binding check) only applies to clinical-side
// ends: the caller passes mac == nullptr for core-side ends.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "policy/compiled.hpp"
#include "policy/flat_hash.hpp"
#include "policy/range_table.hpp"
#include "policy/tables.hpp"

namespace wg::dp {

struct V6Key {
    uint64_t hi, lo;  // raw network-order bytes; only compared for equality
    friend bool operator==(const V6Key&, const V6Key&) = default;
};

class IdentityTable {
  public:
    explicit IdentityTable(int socket);
    // Throws std::invalid_argument naming the offending inventory entry.
    void build(const policy::CompiledPolicy& p);

    // addr: 16 bytes, network order (IPv4 in [0..3]); mac: 6 bytes or nullptr.
    // host_index (optional) receives the deciding inventory entry, -1 if none.
    Ident lookup(const uint8_t* addr, uint8_t family, const uint8_t* mac, uint16_t vlan,
                 int* host_index = nullptr) const;

    size_t memory() const;

  private:
    struct HostRec {
        uint16_t class_id;
        uint16_t zone_id;
        uint16_t vlan;  // kAnyVlan or the one VLAN it is scoped to
        uint8_t bind;   // bind_mac_ip
        uint8_t len;    // prefix length of its IP (subnet tie-break)
        uint64_t mac;   // packed, kNoMac when it has none
    };
    struct Span {
        uint32_t first, count;  // into list_
    };
    // A bound entry with a subnet IP: rare, so a linear list instead of
    // another pair of range tables.
    struct BoundSubnet {
        uint32_t host;
        uint8_t family;
        u128 start, end;
    };
    using Table4 = RangeTable<uint32_t>;
    using Table6 = RangeTable<u128>;

    static constexpr uint64_t kNoMac = ~0ull;
    static constexpr uint32_t kNone = kNoValue;

    bool vlan_ok(uint32_t h, uint16_t vlan) const {
        const uint16_t v = hosts_[h].vlan;
        return v == policy::kAnyVlan || v == vlan;
    }
    Span exact_span(const uint8_t* addr, uint8_t family) const;
    uint32_t subnet(const uint8_t* addr, uint8_t family, uint16_t vlan) const;
    uint32_t better_subnet(uint32_t a, uint32_t b) const;
    Ident from(uint32_t h) const { return Ident{hosts_[h].class_id, hosts_[h].zone_id, false}; }

    int socket_;
    uint16_t spoofed_class_ = policy::kUnknownClass;
    SVec<HostRec> hosts_;
    SVec<uint32_t> list_;  // host indices, ascending within each span
    SVec<Span> spans_;
    FlatTable<uint64_t> mac_;  // packed MAC -> span of non-bound entries with that MAC
    FlatTable<uint32_t> ip4_;  // exact IPv4 -> span of entries with that /32
    FlatTable<V6Key> ip6_;     // exact IPv6 -> span of entries with that /128
    // Subnets of non-bound entries: one table for VLAN-agnostic entries and
    // one per VLAN that has scoped entries (vlan_slot_ maps VLAN -> table+1).
    std::vector<Table4> sub4_;
    std::vector<Table6> sub6_;
    SVec<uint16_t> vlan_slot_;  // 4096 entries, 0 = no scoped table; empty if none
    std::vector<BoundSubnet> bound_subnets_;
};

}  // namespace wg::dp
