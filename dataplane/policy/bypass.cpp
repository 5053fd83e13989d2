#include "policy/bypass.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <stdexcept>

namespace wg::dp {
namespace {

u128 key_of(const uint8_t* a, uint8_t family) {
    return family == 4 ? u128(v4_key(a)) : v6_key(a);
}

uint64_t mac_key(const uint8_t* m) {
    uint64_t k = 0;
    std::memcpy(&k, m, 6);
    return k;
}

V6Key raw6(const uint8_t* a) {
    V6Key k;
    std::memcpy(&k.hi, a, 8);
    std::memcpy(&k.lo, a + 8, 8);
    return k;
}

// Exact-address key; IPv4 uses only bytes 0..3 whatever the padding holds.
V6Key raw_key(const uint8_t* a, uint8_t family) {
    if (family == 6) return raw6(a);
    V6Key k{0, 0};
    std::memcpy(&k.hi, a, 4);
    return k;
}

}  // namespace

BypassTable::BypassTable(int socket)
    : entries_(SocketAlloc<Entry>(socket)),
      ranges_(SocketAlloc<Range>(socket)),
      list_(SocketAlloc<uint32_t>(socket)),
      spans_(SocketAlloc<Span>(socket)),
      dst4_(socket),
      dst6_(socket),
      src_(socket),
      macs_(SocketAlloc<uint64_t>(socket)),
      wide_(SocketAlloc<uint32_t>(socket)) {}

void BypassTable::build(const policy::CompiledPolicy& p) {
    std::map<uint32_t, std::vector<uint32_t>> by4;
    std::map<std::pair<uint64_t, uint64_t>, std::vector<uint32_t>> by6;
    std::vector<std::pair<SrcKey, uint32_t>> srcs;
    for (size_t pos = 0; pos < p.bypass.size(); ++pos) {
        const auto& b = p.bypass[pos];
        const uint32_t ps = static_cast<uint32_t>(pos);
        if (b.dports.lo > b.dports.hi)
            throw std::invalid_argument("bypass/" + b.name + ": empty port range");
        for (uint32_t port = b.dports.lo; port <= b.dports.hi; ++port)
            ports_[port >> 6] |= 1ull << (port & 63);
        if (b.side > 1) throw std::invalid_argument("bypass/" + b.name + ": bad side");
        if (!b.src_mac.empty() && b.src_mac.size() != b.src.size())
            throw std::invalid_argument("bypass/" + b.name + ": source MACs do not match");
        Entry e{b.id, b.vlan, b.dports.lo, b.dports.hi, b.src.empty(), b.side, 0, 0, 0, 0};
        auto range = [&](const policy::IpPrefix& x) {
            const unsigned bits = x.family == 4 ? 32 : 128;
            if ((x.family != 4 && x.family != 6) || x.len > bits)
                throw std::invalid_argument("bypass/" + b.name + ": bad prefix");
            Range r{0, 0, x.family};
            prefix_bounds<u128>(key_of(x.addr.data(), x.family), x.len, bits, r.start, r.end);
            return r;
        };
        e.src_first = static_cast<uint32_t>(ranges_.size());
        std::vector<SrcKey> entry_srcs;
        for (size_t si = 0; si < b.src.size(); ++si) {
            const auto& s = b.src[si];
            if (s.len == (s.family == 4 ? 32 : 128)) {
                const V6Key k = raw_key(s.addr.data(), s.family);
                SrcKey sk{k.hi, k.lo, ps, s.family};
                uint32_t mac = 0;
                if (si < b.src_mac.size() && b.src_mac[si] != std::array<uint8_t, 6>{}) {
                    macs_.push_back(mac_key(b.src_mac[si].data()));
                    mac = static_cast<uint32_t>(macs_.size());
                }
                if (std::find(entry_srcs.begin(), entry_srcs.end(), sk) == entry_srcs.end()) {
                    entry_srcs.push_back(sk);
                    srcs.emplace_back(sk, mac);
                }
            } else {
                ranges_.push_back(range(s));
            }
        }
        e.src_count = static_cast<uint32_t>(ranges_.size()) - e.src_first;
        e.dst_first = static_cast<uint32_t>(ranges_.size());
        for (const auto& d : b.dst) {
            if (d.len == (d.family == 4 ? 32 : 128)) {
                if (d.family == 4) {
                    uint32_t k;
                    std::memcpy(&k, d.addr.data(), 4);
                    auto& v = by4[k];
                    if (v.empty() || v.back() != ps) v.push_back(ps);
                } else {
                    const V6Key k = raw6(d.addr.data());
                    auto& v = by6[{k.hi, k.lo}];
                    if (v.empty() || v.back() != ps) v.push_back(ps);
                }
            } else {
                ranges_.push_back(range(d));
            }
        }
        e.dst_count = static_cast<uint32_t>(ranges_.size()) - e.dst_first;
        if (e.dst_count) wide_.push_back(ps);
        entries_.push_back(e);
    }
    auto add_span = [&](const std::vector<uint32_t>& v) {
        spans_.push_back(
            Span{static_cast<uint32_t>(list_.size()), static_cast<uint32_t>(v.size())});
        list_.insert(list_.end(), v.begin(), v.end());
        return static_cast<uint32_t>(spans_.size() - 1);
    };
    std::vector<std::pair<uint32_t, uint32_t>> p4;
    for (const auto& [k, v] : by4) p4.emplace_back(k, add_span(v));
    std::vector<std::pair<V6Key, uint32_t>> p6;
    for (const auto& [k, v] : by6) p6.emplace_back(V6Key{k.first, k.second}, add_span(v));
    dst4_.build(p4);
    dst6_.build(p6);
    src_.build(srcs);
}

bool BypassTable::entry_matches(uint32_t pos, const PacketMeta& m, u128 src) const {
    const Entry& e = entries_[pos];
    if (e.side != m.arrival) return false;  // only in its direction
    if (e.vlan != policy::kAnyVlan && e.vlan != m.vlan) return false;
    if (m.dport < e.dlo || m.dport > e.dhi) return false;
    if (e.src_any) return true;
    const V6Key a = raw_key(m.src, m.family);
    const SrcKey k{a.hi, a.lo, pos, m.family};
    // A known sender address counts only from the MAC the inventory gives it.
    if (const uint32_t v = src_.find(k);
        v != kNoValue && (v == 0 || macs_[v - 1] == mac_key(m.src_mac)))
        return true;
    for (uint32_t i = 0; i < e.src_count; ++i) {
        const Range& r = ranges_[e.src_first + i];
        if (r.family == m.family && src >= r.start && src <= r.end) return true;
    }
    return false;
}

int BypassTable::match_slow(const PacketMeta& m) const {
    if (m.family != 4 && m.family != 6) return -1;
    const u128 src = key_of(m.src, m.family);
    uint32_t best = kNoValue;  // lowest matching entry position
    uint32_t s;
    if (m.family == 4) {
        uint32_t k;
        std::memcpy(&k, m.dst, 4);
        s = dst4_.find(k);
    } else {
        s = dst6_.find(raw6(m.dst));
    }
    if (s != kNoValue) {
        const Span sp = spans_[s];
        for (uint32_t i = 0; i < sp.count; ++i) {
            const uint32_t pos = list_[sp.first + i];
            if (entry_matches(pos, m, src)) {
                best = pos;
                break;
            }
        }
    }
    if (!wide_.empty()) {
        const u128 dst = key_of(m.dst, m.family);
        for (const uint32_t pos : wide_) {
            if (pos >= best) break;  // an earlier entry already matched
            const Entry& e = entries_[pos];
            bool hit = false;
            for (uint32_t i = 0; i < e.dst_count && !hit; ++i) {
                const Range& r = ranges_[e.dst_first + i];
                hit = r.family == m.family && dst >= r.start && dst <= r.end;
            }
            if (hit && entry_matches(pos, m, src)) {
                best = pos;
                break;
            }
        }
    }
    return best == kNoValue ? -1 : static_cast<int>(entries_[best].id);
}

size_t BypassTable::memory() const {
    return sizeof(ports_) + entries_.size() * sizeof(Entry) + ranges_.size() * sizeof(Range) +
           list_.size() * 4 + spans_.size() * sizeof(Span) + dst4_.memory() + dst6_.memory() +
           src_.memory() + macs_.size() * 8 + wide_.size() * 4;
}

}  // namespace wg::dp
