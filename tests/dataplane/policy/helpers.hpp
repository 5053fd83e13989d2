// Builders shared by the policy-table tests: compiled policies written in
// code (no YAML), packets as the parser would describe them, and the
// conversion from the evaluator's Tuple to a PacketMeta.
#pragma once

#include <arpa/inet.h>

#include <array>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "packet_meta.hpp"
#include "policy/compiled.hpp"
#include "policy/evaluate.hpp"
#include "policy/tables.hpp"

namespace wg::test {

using policy::IpPrefix;
using Mac = std::array<uint8_t, 6>;
using Addr = std::array<uint8_t, 16>;

inline Addr addr(const std::string& s, uint8_t* family = nullptr) {
    Addr a{};
    if (inet_pton(AF_INET, s.c_str(), a.data()) == 1) {
        if (family) *family = 4;
        return a;
    }
    if (inet_pton(AF_INET6, s.c_str(), a.data()) == 1) {
        if (family) *family = 6;
        return a;
    }
    throw std::invalid_argument("bad address " + s);
}

// "198.18.0.0/24", "2001:db8::/64", or a bare host address.
inline IpPrefix pfx(const std::string& s) {
    IpPrefix p;
    const auto slash = s.find('/');
    p.addr = addr(s.substr(0, slash), &p.family);
    p.len = slash == std::string::npos ? (p.family == 4 ? 32 : 128)
                                       : static_cast<uint8_t>(std::stoi(s.substr(slash + 1)));
    return p;
}

inline Mac mac(uint8_t last) {
    return Mac{0x02, 0x00, 0x5e, 0x10, 0x00, last};
}

// A policy with `n` classes named c0 (unknown), c1, ...; default deny, enforce.
inline policy::CompiledPolicy base_policy(unsigned nclasses, unsigned nzones = 1) {
    policy::CompiledPolicy p;
    p.name = "test";
    for (unsigned i = 0; i < nclasses; ++i) {
        policy::ClassDef c;
        c.id = static_cast<uint16_t>(i);
        c.name = i == 0 ? "unknown" : "c" + std::to_string(i);
        p.classes.push_back(c);
    }
    p.zones.push_back("");
    for (unsigned z = 1; z < nzones; ++z) p.zones.push_back("z" + std::to_string(z));
    return p;
}

inline policy::HostEntry host(uint16_t cls, std::optional<Mac> m, std::optional<std::string> ip,
                              bool bind = false, uint16_t vlan = policy::kAnyVlan,
                              uint16_t zone = policy::kNoZone) {
    policy::HostEntry h;
    h.class_id = cls;
    h.zone_id = zone;
    h.vlan = vlan;
    if (m) {
        h.has_mac = true;
        h.mac = *m;
    }
    if (ip) {
        h.has_ip = true;
        h.ip = pfx(*ip);
    }
    h.bind_mac_ip = bind;
    return h;
}

// The packet the parser produces for a tuple (the initiator's packet).
inline dp::PacketMeta meta_of(const policy::Tuple& t) {
    dp::PacketMeta m;
    m.kind = dp::L2Kind::Ip;
    m.family = t.family;
    m.proto = t.proto;
    m.vlan = t.vlan;
    m.vlan_depth = t.vlan ? 1 : 0;
    std::memcpy(m.src, t.src.data(), 16);
    std::memcpy(m.dst, t.dst.data(), 16);
    if (t.proto == 1 || t.proto == 58) {
        // As the parser does: ICMP has no ports; dport carries type<<8|code.
        m.icmp_type = static_cast<uint8_t>(t.icmp_type < 0 ? 0 : t.icmp_type);
        m.sport = t.sport;
        m.dport = static_cast<uint16_t>(m.icmp_type << 8);
    } else {
        m.sport = t.sport;
        m.dport = t.dport;
    }
    if (t.src_mac) std::memcpy(m.src_mac, t.src_mac->data(), 6);
    m.arrival = static_cast<uint8_t>(t.arrival);  // the pipeline sets it per burst
    if (t.dst_mac) std::memcpy(m.dst_mac, t.dst_mac->data(), 6);
    return m;
}

inline policy::Tuple tuple(const std::string& src, const std::string& dst, uint8_t proto,
                           uint16_t sport, uint16_t dport, uint16_t vlan = 0,
                           policy::Side arrival = policy::Side::Clinical) {
    policy::Tuple t;
    t.src = addr(src, &t.family);
    t.dst = addr(dst);
    t.proto = proto;
    t.sport = sport;
    t.dport = dport;
    t.vlan = vlan;
    t.arrival = arrival;
    return t;
}

inline std::unique_ptr<dp::PolicyTables> build_or_fail(const policy::CompiledPolicy& p,
                                                       uint64_t gen = 1) {
    std::string err;
    auto t = dp::PolicyTables::build(p, gen, -1 /* SOCKET_ID_ANY */, err);
    if (!t) throw std::runtime_error("build failed: " + err);
    return t;
}

}  // namespace wg::test
