// Image layout (all little-endian, wire::Writer):
//   header  u32 magic "WGPI" | u32 schema version | u32 body length | u32 crc32c(body)
//   body    str name | str commit | str content_hash | content
// `content` is the whole CompiledPolicy in a fixed field order, with source
// locations. The content hash is SHA-256 over the same encoding *without*
// locations and metadata, so a reload that only moves lines or edits
// comments is recognised as "unchanged".
#include "policy/image.hpp"

#include <openssl/evp.h>

#include <cstdio>

#include "policy/limits.hpp"
#include "wire/bytes.hpp"

namespace wg::policy {

namespace {

constexpr uint32_t kMagic = 0x49504757;  // "WGPI" little-endian
constexpr size_t kHeader = 16;

using wire::Reader;
using wire::Writer;

// ---- encoding -------------------------------------------------------------

struct Enc {
    Writer& w;
    bool locs;

    void loc(const SourceLoc& l) {
        if (!locs) return;
        w.put_str(l.file);
        w.put<uint32_t>(l.line);
        w.put<uint32_t>(l.column);
    }
    void prefix(const IpPrefix& p) {
        w.put<uint8_t>(p.family);
        w.put<uint8_t>(p.len);
        w.put_bytes(p.addr);
    }
    void prefixes(const std::vector<IpPrefix>& v) {
        w.put<uint32_t>(uint32_t(v.size()));
        for (auto& p : v) prefix(p);
    }
    void ports(const std::vector<PortRange>& v) {
        w.put<uint32_t>(uint32_t(v.size()));
        for (auto& r : v) {
            w.put<uint16_t>(r.lo);
            w.put<uint16_t>(r.hi);
        }
    }
    void strings(const std::vector<std::string>& v) {
        w.put<uint32_t>(uint32_t(v.size()));
        for (auto& s : v) w.put_str(s);
    }
    void endpoint(const Endpoint& e) {
        w.put<uint16_t>(e.class_id);
        w.put<uint16_t>(e.zone_id);
        prefixes(e.prefixes);
    }
    void content(const CompiledPolicy& p) {
        w.put<uint32_t>(uint32_t(p.classes.size()));
        for (auto& c : p.classes) {
            w.put<uint16_t>(c.id);
            w.put_str(c.name);
            w.put(c.mode);
            w.put(c.default_action);
            w.put(c.on_failure);
            w.put(c.on_violation);
            w.put<uint32_t>(uint32_t(c.labels.size()));
            for (auto& [k, v] : c.labels) {
                w.put_str(k);
                w.put_str(v);
            }
            w.put<uint32_t>(c.new_flows_per_sec);
            w.put<uint32_t>(c.new_flows_burst);
            loc(c.loc);
        }
        strings(p.zones);
        w.put<uint32_t>(uint32_t(p.hosts.size()));
        for (auto& h : p.hosts) {
            w.put<uint16_t>(h.class_id);
            w.put<uint16_t>(h.zone_id);
            w.put<uint16_t>(h.vlan);
            w.put_bool(h.has_mac);
            w.put_bytes(h.mac);
            w.put_bool(h.has_ip);
            prefix(h.ip);
            w.put_bool(h.bind_mac_ip);
            w.put_str(h.asset_id);
            loc(h.loc);
        }
        prefixes(p.clinical_space);
        prefixes(p.core_space);
        w.put<uint32_t>(uint32_t(p.rules.size()));
        for (auto& r : p.rules) {
            w.put<uint32_t>(r.id);
            w.put_str(r.name);
            w.put(r.tier);
            w.put(r.action);
            w.put(r.mode);
            w.put<uint16_t>(r.owner_class);
            endpoint(r.initiator);
            endpoint(r.responder);
            w.put(r.proto);
            ports(r.sports);
            ports(r.dports);
            w.put<uint16_t>(r.vlan);
            const auto& c = r.constraints;
            strings(c.dicom_calling_ae);
            strings(c.dicom_called_ae);
            strings(c.hl7_sending_application);
            strings(c.hl7_sending_facility);
            strings(c.hl7_message_types);
            w.put_bool(c.smb_deny_v1);
            w.put<uint32_t>(uint32_t(c.ntp_modes.size()));
            for (auto m : c.ntp_modes) w.put<uint8_t>(m);
            // 0: not set, else ViolationAction + 1.
            w.put<uint8_t>(c.on_violation ? uint8_t(uint8_t(*c.on_violation) + 1) : 0);
            loc(r.loc);
        }
        w.put<uint32_t>(uint32_t(p.bypass.size()));
        for (auto& b : p.bypass) {
            w.put<uint32_t>(b.id);
            w.put_str(b.name);
            prefixes(b.src);
            prefixes(b.dst);
            w.put<uint16_t>(b.src_class);
            w.put<uint16_t>(b.dst_class);
            w.put<uint16_t>(b.dports.lo);
            w.put<uint16_t>(b.dports.hi);
            w.put<uint16_t>(b.vlan);
            w.put<uint32_t>(uint32_t(b.src_mac.size()));
            for (auto& m : b.src_mac) w.put_bytes(m);
            w.put<uint8_t>(b.side);
            loc(b.loc);
        }
        const auto& e = p.essentials;
        for (auto a : {e.arp, e.ipv6_nd, e.dhcp, e.igmp, e.mld, e.stp, e.lldp, e.eapol,
                       e.other_non_ip, e.untagged, e.other_vlan})
            w.put(a);
        w.put<uint32_t>(uint32_t(e.vlans.size()));
        for (auto v : e.vlans) w.put<uint16_t>(v);
        const auto& s = p.settings;
        w.put(s.default_on_failure);
        w.put<uint16_t>(s.spoofed_class);
        for (auto v :
             {s.flow_timeout_tcp_syn_s, s.flow_timeout_tcp_est_s, s.flow_timeout_tcp_closed_s,
              s.flow_timeout_udp_s, s.flow_timeout_other_s, s.new_flows_per_sec, s.new_flows_burst})
            w.put<uint32_t>(v);
        w.put_bool(s.quarantine_scanners);
        w.put<uint32_t>(s.quarantine_s);
        w.put<uint32_t>(s.audit_per_source_per_sec);
        w.put<uint32_t>(p.admission.enforced);
        w.put<uint16_t>(p.admission.mtu);
        w.put(p.admission.checksum);
        w.put_str(p.name);
        exceptions(p);
        sources(p);
    }
    // Anti-spoofing by port (schema 4): the never-valid ranges and port
    // exceptions, built-in defaults included.
    void sources(const CompiledPolicy& p) {
        w.put<uint32_t>(uint32_t(p.sources.size()));
        for (auto& s : p.sources) {
            prefix(s.prefix);
            w.put<uint8_t>(s.ports);
            w.put_bool(s.allow);
            w.put_bool(s.builtin);
            loc(s.loc);
        }
    }
    // Guardrail exceptions (schema 2): after everything else, only for the
    // rules that have some: (rule id, count, exceptions).
    void exceptions(const CompiledPolicy& p) {
        uint32_t n = 0;
        for (auto& r : p.rules) n += r.exceptions.empty() ? 0 : 1;
        w.put<uint32_t>(n);
        for (auto& r : p.rules) {
            if (r.exceptions.empty()) continue;
            w.put<uint32_t>(r.id);
            w.put<uint32_t>(uint32_t(r.exceptions.size()));
            for (auto& x : r.exceptions) {
                w.put_str(x.name);
                endpoint(x.initiator);
                endpoint(x.responder);
                w.put(x.proto);
                ports(x.sports);
                ports(x.dports);
                w.put<uint16_t>(x.vlan);
                loc(x.loc);
            }
        }
    }
};

std::string sha256_hex(std::span<const uint8_t> data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1)
        throw ImageError("SHA-256 unavailable (OpenSSL EVP_Digest failed)");
    std::string hex;
    char buf[3];
    for (unsigned i = 0; i < len; ++i) {
        std::snprintf(buf, sizeof buf, "%02x", md[i]);
        hex += buf;
    }
    return hex;
}

std::string content_hash(const CompiledPolicy& p) {
    Writer w;
    Enc{w, false}.content(p);
    return sha256_hex(w.data());
}

// ---- decoding -------------------------------------------------------------

template <typename E>
E get_enum(Reader& r, const char* what, uint8_t max) {
    auto v = r.get<uint8_t>(what);
    if (v > max) throw wire::DecodeError(std::string("invalid value for ") + what);
    return static_cast<E>(v);
}

Proto get_proto(Reader& r) {
    auto v = r.get<uint8_t>("protocol");
    switch (v) {
        case 0:
        case 1:
        case 6:
        case 17:
        case 58:
            return static_cast<Proto>(v);
        default:
            throw wire::DecodeError("invalid protocol number " + std::to_string(v));
    }
}

struct Dec {
    Reader& r;

    SourceLoc loc() {
        SourceLoc l;
        l.file = r.get_str("source file", limits::kMaxStringBytes);
        l.line = r.get<uint32_t>("source line");
        l.column = r.get<uint32_t>("source column");
        return l;
    }
    IpPrefix prefix() {
        IpPrefix p;
        p.family = r.get<uint8_t>("address family");
        if (p.family != 4 && p.family != 6) throw wire::DecodeError("invalid address family");
        p.len = r.get<uint8_t>("prefix length");
        if (p.len > (p.family == 4 ? 32 : 128)) throw wire::DecodeError("invalid prefix length");
        auto b = r.get_bytes(16, "address");
        std::copy(b.begin(), b.end(), p.addr.begin());
        return p;
    }
    std::vector<IpPrefix> prefixes() {
        std::vector<IpPrefix> v(r.get_count(18, "prefixes"));
        for (auto& p : v) p = prefix();
        return v;
    }
    std::vector<PortRange> ports() {
        std::vector<PortRange> v(r.get_count(4, "port ranges"));
        for (auto& p : v) {
            p.lo = r.get<uint16_t>("port");
            p.hi = r.get<uint16_t>("port");
            if (p.lo > p.hi) throw wire::DecodeError("reversed port range");
        }
        return v;
    }
    std::vector<std::string> strings(const char* what) {
        std::vector<std::string> v(r.get_count(4, what));
        for (auto& s : v) s = r.get_str(what, limits::kMaxStringBytes);
        return v;
    }
    Endpoint endpoint() {
        Endpoint e;
        e.class_id = r.get<uint16_t>("endpoint class");
        e.zone_id = r.get<uint16_t>("endpoint zone");
        e.prefixes = prefixes();
        return e;
    }
    void content(CompiledPolicy& p) {
        p.classes.resize(r.get_count(20, "classes"));
        for (auto& c : p.classes) {
            c.id = r.get<uint16_t>("class id");
            c.name = r.get_str("class name", limits::kMaxStringBytes);
            c.mode = get_enum<Mode>(r, "class mode", 1);
            c.default_action = get_enum<Action>(r, "class default action", 1);
            c.on_failure = get_enum<FailMode>(r, "class on_failure", 1);
            c.on_violation = get_enum<ViolationAction>(r, "class on_violation", 1);
            c.labels.resize(r.get_count(8, "labels"));
            for (auto& [k, v] : c.labels) {
                k = r.get_str("label", limits::kMaxStringBytes);
                v = r.get_str("label value", limits::kMaxStringBytes);
            }
            c.new_flows_per_sec = r.get<uint32_t>("rate");
            c.new_flows_burst = r.get<uint32_t>("burst");
            c.loc = loc();
        }
        p.zones = strings("zones");
        p.hosts.resize(r.get_count(30, "hosts"));
        for (auto& h : p.hosts) {
            h.class_id = r.get<uint16_t>("host class");
            h.zone_id = r.get<uint16_t>("host zone");
            h.vlan = r.get<uint16_t>("host vlan");
            h.has_mac = r.get_bool("has_mac");
            auto m = r.get_bytes(6, "mac");
            std::copy(m.begin(), m.end(), h.mac.begin());
            h.has_ip = r.get_bool("has_ip");
            h.ip = prefix();
            h.bind_mac_ip = r.get_bool("bind_mac_ip");
            h.asset_id = r.get_str("asset id", limits::kMaxStringBytes);
            h.loc = loc();
        }
        p.clinical_space = prefixes();
        p.core_space = prefixes();
        p.rules.resize(r.get_count(40, "rules"));
        for (auto& x : p.rules) {
            x.id = r.get<uint32_t>("rule id");
            x.name = r.get_str("rule name", limits::kMaxStringBytes);
            x.tier = get_enum<Tier>(r, "rule tier", 4);
            x.action = get_enum<Action>(r, "rule action", 1);
            x.mode = get_enum<Mode>(r, "rule mode", 1);
            x.owner_class = r.get<uint16_t>("rule owner");
            x.initiator = endpoint();
            x.responder = endpoint();
            x.proto = get_proto(r);
            x.sports = ports();
            x.dports = ports();
            x.vlan = r.get<uint16_t>("rule vlan");
            auto& c = x.constraints;
            c.dicom_calling_ae = strings("AE titles");
            c.dicom_called_ae = strings("AE titles");
            c.hl7_sending_application = strings("HL7 applications");
            c.hl7_sending_facility = strings("HL7 facilities");
            c.hl7_message_types = strings("HL7 message types");
            c.smb_deny_v1 = r.get_bool("smb_deny_v1");
            c.ntp_modes.resize(r.get_count(1, "NTP modes"));
            for (auto& m : c.ntp_modes) m = r.get<uint8_t>("NTP mode");
            if (uint8_t v = get_enum<uint8_t>(r, "rule on_violation", 2))
                c.on_violation = ViolationAction(v - 1);
            x.loc = loc();
        }
        p.bypass.resize(r.get_count(30, "bypass entries"));
        for (auto& b : p.bypass) {
            b.id = r.get<uint32_t>("bypass id");
            b.name = r.get_str("bypass name", limits::kMaxStringBytes);
            b.src = prefixes();
            b.dst = prefixes();
            b.src_class = r.get<uint16_t>("bypass class");
            b.dst_class = r.get<uint16_t>("bypass class");
            b.dports.lo = r.get<uint16_t>("port");
            b.dports.hi = r.get<uint16_t>("port");
            b.vlan = r.get<uint16_t>("bypass vlan");
            b.src_mac.resize(r.get_count(6, "bypass source MACs"));
            for (auto& m : b.src_mac) {
                auto x = r.get_bytes(6, "bypass source MAC");
                std::copy(x.begin(), x.end(), m.begin());
            }
            if (!b.src_mac.empty() && b.src_mac.size() != b.src.size())
                throw wire::DecodeError("bypass source MACs do not match its sources");
            b.side = r.get<uint8_t>("bypass side");
            if (b.side > 1) throw wire::DecodeError("invalid bypass side");
            b.loc = loc();
        }
        auto& e = p.essentials;
        for (auto* a : {&e.arp, &e.ipv6_nd, &e.dhcp, &e.igmp, &e.mld, &e.stp, &e.lldp, &e.eapol,
                        &e.other_non_ip, &e.untagged, &e.other_vlan})
            *a = get_enum<L2Action>(r, "essentials action", 2);
        e.vlans.resize(r.get_count(2, "vlans"));
        for (auto& v : e.vlans) v = r.get<uint16_t>("vlan");
        auto& s = p.settings;
        s.default_on_failure = get_enum<FailMode>(r, "on_failure", 1);
        s.spoofed_class = r.get<uint16_t>("spoofed class");
        for (auto* v : {&s.flow_timeout_tcp_syn_s, &s.flow_timeout_tcp_est_s,
                        &s.flow_timeout_tcp_closed_s, &s.flow_timeout_udp_s,
                        &s.flow_timeout_other_s, &s.new_flows_per_sec, &s.new_flows_burst})
            *v = r.get<uint32_t>("setting");
        s.quarantine_scanners = r.get_bool("quarantine_scanners");
        s.quarantine_s = r.get<uint32_t>("quarantine seconds");
        s.audit_per_source_per_sec = r.get<uint32_t>("audit rate");
        p.admission.enforced = r.get<uint32_t>("admission checks");
        if (p.admission.enforced & ~kAllAdmissionChecks)
            throw wire::DecodeError("unknown admission check bits");
        p.admission.mtu = r.get<uint16_t>("admission mtu");
        p.admission.checksum = get_enum<ChecksumMode>(r, "checksum mode", 1);
        p.name = r.get_str("policy name", limits::kMaxStringBytes);
        exceptions(p);
        sources(p);
    }
    void sources(CompiledPolicy& p) {
        p.sources.resize(r.get_count(21, "source rules"));
        for (auto& s : p.sources) {
            s.prefix = prefix();
            s.ports = r.get<uint8_t>("source rule ports");
            if (s.ports < 1 || s.ports > 3) throw wire::DecodeError("invalid source rule ports");
            s.allow = r.get_bool("source rule allow");
            s.builtin = r.get_bool("source rule builtin");
            s.loc = loc();
        }
    }
    void exceptions(CompiledPolicy& p) {
        const uint32_t n = r.get_count(8, "guardrails with exceptions");
        for (uint32_t i = 0; i < n; ++i) {
            const uint32_t id = r.get<uint32_t>("rule id");
            if (id >= p.rules.size() || !p.rules[id].exceptions.empty())
                throw wire::DecodeError("guardrail exceptions for a bad or repeated rule id");
            auto& xs = p.rules[id].exceptions;
            xs.resize(r.get_count(20, "guardrail exceptions"));
            for (auto& x : xs) {
                x.name = r.get_str("exception name", limits::kMaxStringBytes);
                x.initiator = endpoint();
                x.responder = endpoint();
                x.proto = get_proto(r);
                x.sports = ports();
                x.dports = ports();
                x.vlan = r.get<uint16_t>("exception vlan");
                x.loc = loc();
            }
        }
    }
};

// Referential integrity: the dataplane indexes arrays with these ids, so an
// image that passes the checksum but references out of range is refused.
void check_refs(const CompiledPolicy& p) {
    auto bad = [](const std::string& m) { throw ImageError("inconsistent image: " + m); };
    if (p.classes.empty() || p.classes[0].name != "unknown") bad("class 0 is not 'unknown'");
    if (p.zones.empty() || !p.zones[0].empty()) bad("zone 0 is not the empty zone");
    for (size_t i = 0; i < p.classes.size(); ++i)
        if (p.classes[i].id != i) bad("class ids are not sequential");
    auto cls = [&](uint16_t c, bool any_ok) {
        if (!(any_ok && c == kAnyClass) && c >= p.classes.size()) bad("class id out of range");
    };
    auto zone = [&](uint16_t z, bool any_ok) {
        if (!(any_ok && z == kAnyZone) && z >= p.zones.size()) bad("zone id out of range");
    };
    for (auto& h : p.hosts) {
        cls(h.class_id, false);
        zone(h.zone_id, false);
    }
    for (size_t i = 0; i < p.rules.size(); ++i) {
        auto& r = p.rules[i];
        if (r.id != i) bad("rule ids are not sequential");
        if (r.tier != Tier::Guardrail && r.tier != Tier::ClassAllow) bad("rule with invalid tier");
        cls(r.owner_class, true);
        cls(r.initiator.class_id, true);
        cls(r.responder.class_id, true);
        zone(r.initiator.zone_id, true);
        zone(r.responder.zone_id, true);
        if (!r.exceptions.empty() && r.tier != Tier::Guardrail) bad("exceptions on an allow rule");
        for (auto& x : r.exceptions) {
            cls(x.initiator.class_id, true);
            cls(x.responder.class_id, true);
            zone(x.initiator.zone_id, true);
            zone(x.responder.zone_id, true);
        }
    }
    for (size_t i = 0; i < p.bypass.size(); ++i) {
        if (p.bypass[i].id != i) bad("bypass ids are not sequential");
        cls(p.bypass[i].src_class, true);
        cls(p.bypass[i].dst_class, true);
    }
    cls(p.settings.spoofed_class, false);
}

}  // namespace

std::vector<uint8_t> encode_image(CompiledPolicy& p) {
    p.content_hash = content_hash(p);
    Writer w;
    w.put<uint32_t>(kMagic);
    w.put<uint32_t>(kImageSchemaVersion);
    w.put<uint32_t>(0);  // body length, patched below
    w.put<uint32_t>(0);  // crc32c of the body, patched below
    w.put_str(p.name);
    w.put_str(p.commit);
    w.put_str(p.content_hash);
    Enc{w, true}.content(p);
    auto bytes = w.take();
    std::span<const uint8_t> body(bytes.data() + kHeader, bytes.size() - kHeader);
    uint32_t len = static_cast<uint32_t>(body.size());
    uint32_t crc = wire::crc32c(body);
    for (int i = 0; i < 4; ++i) {
        bytes[8 + i] = static_cast<uint8_t>(len >> (8 * i));
        bytes[12 + i] = static_cast<uint8_t>(crc >> (8 * i));
    }
    return bytes;
}

CompiledPolicy decode_image(std::span<const uint8_t> image) {
    if (image.size() < kHeader)
        throw ImageError("truncated policy image: " + std::to_string(image.size()) +
                         " bytes, the header alone is 16");
    Reader h(image.first(kHeader));
    uint32_t magic = h.get<uint32_t>(), version = h.get<uint32_t>();
    uint32_t len = h.get<uint32_t>(), crc = h.get<uint32_t>();
    if (magic != kMagic) throw ImageError("not a wardgate policy image (bad magic)");
    if (version != kImageSchemaVersion)
        throw ImageError("policy image schema version " + std::to_string(version) +
                         " is not supported (this build reads version " +
                         std::to_string(kImageSchemaVersion) +
                         "); recompile the policy with a matching wardgate");
    auto body = image.subspan(kHeader);
    if (body.size() < len)
        throw ImageError("truncated policy image: header announces " + std::to_string(len) +
                         " body bytes, only " + std::to_string(body.size()) + " present");
    if (body.size() > len)
        throw ImageError("corrupted policy image: " + std::to_string(body.size() - len) +
                         " trailing bytes after the announced body");
    if (wire::crc32c(body) != crc) throw ImageError("corrupted policy image: checksum mismatch");
    CompiledPolicy p;
    try {
        Reader r(body);
        std::string name = r.get_str("policy name", limits::kMaxStringBytes);
        p.commit = r.get_str("commit", limits::kMaxStringBytes);
        p.content_hash = r.get_str("content hash", limits::kMaxStringBytes);
        Dec{r}.content(p);
        r.expect_done("policy content");
        if (p.name != name) throw wire::DecodeError("policy name mismatch");
    } catch (const wire::DecodeError& e) {
        throw ImageError(std::string("malformed policy image: ") + e.what());
    }
    check_refs(p);
    if (content_hash(p) != p.content_hash)
        throw ImageError("corrupted policy image: content hash mismatch");
    return p;
}

}  // namespace wg::policy
