#include "lifecycle/learn.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "l7/dicom.hpp"
#include "l7/hl7.hpp"
#include "l7/ntp.hpp"
#include "l7/smb.hpp"
#include "lifecycle/yaml_patch.hpp"
#include "parse/parser.hpp"
#include "policy/net.hpp"

namespace fs = std::filesystem;

namespace wg::lifecycle {

using policy::kUnknownClass;

std::string format_utc(uint64_t ts_ns) {
    const time_t t = time_t(ts_ns / 1000000000ull);
    struct tm tm = {};
    char buf[32];
    if (!gmtime_r(&t, &tm) || !strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm))
        return std::to_string(ts_ns) + "ns";  // beyond what a calendar prints
    return buf;
}

std::string oui_vendor(const std::array<uint8_t, 6>& m) {
    // A small built-in table: vendors common on clinical VLANs. Locally
    // administered (randomised) MACs have no vendor.
    static const struct {
        uint8_t oui[3];
        const char* vendor;
    } kOui[] = {
        {{0x00, 0x09, 0xfb}, "Philips Medical Systems"},
        {{0x00, 0x1b, 0xa3}, "Philips Medical Systems"},
        {{0x00, 0x0d, 0x8b}, "GE Healthcare"},
        {{0x00, 0x40, 0x9d}, "GE Healthcare"},
        {{0x00, 0x60, 0xd3}, "Draeger"},
        {{0x00, 0x30, 0x5c}, "Draeger"},
        {{0x00, 0x1e, 0x9a}, "B. Braun"},
        {{0x00, 0x0e, 0x61}, "Baxter"},
        {{0x00, 0x17, 0x23}, "Mindray"},
        {{0xa4, 0xc1, 0x38}, "Mindray"},
        {{0x00, 0x80, 0x25}, "Siemens Healthineers"},
        {{0x00, 0x1a, 0x6b}, "BD (CareFusion/Alaris)"},
        {{0x00, 0x50, 0x56}, "VMware"},
        {{0x00, 0x15, 0x5d}, "Microsoft Hyper-V"},
        {{0x00, 0x1b, 0x21}, "Intel"},
        {{0x3c, 0xfd, 0xfe}, "Intel"},
        {{0x00, 0x25, 0x90}, "Supermicro"},
        {{0x18, 0x66, 0xda}, "Dell"},
        {{0x3c, 0xd9, 0x2b}, "HP"},
    };
    if (m[0] & 0x02) return {};
    for (auto& e : kOui)
        if (std::memcmp(e.oui, m.data(), 3) == 0) return e.vendor;
    return {};
}

namespace {

const char* proto_word(uint8_t p) {
    switch (p) {
        case 1:
            return "icmp";
        case 6:
            return "tcp";
        case 17:
            return "udp";
        case 58:
            return "icmpv6";
    }
    return nullptr;
}

std::string sanitize(const std::string& s) {
    std::string o;
    for (char c : s) {
        if (std::isalnum(static_cast<unsigned char>(c)))
            o += char(std::tolower(static_cast<unsigned char>(c)));
        else if (!o.empty() && o.back() != '-')
            o += '-';
    }
    while (!o.empty() && o.back() == '-') o.pop_back();
    return o;
}

std::string yaml_quote(const std::string& s) {
    std::string o = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') o += '\\';
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) {
            o += '?';
            continue;
        }
        o += c;
    }
    return o + "\"";
}

std::string join(const std::set<std::string>& s, size_t more) {
    std::string o;
    for (auto& x : s) o += (o.empty() ? "" : ", ") + x;
    if (more) o += " and " + std::to_string(more) + " more";
    return o;
}

std::string duration(uint64_t ns) {
    uint64_t s = ns / 1000000000ull;
    char buf[48];
    if (s >= 86400)
        snprintf(buf, sizeof buf, "%llud %02lluh", (unsigned long long)(s / 86400),
                 (unsigned long long)(s % 86400 / 3600));
    else
        snprintf(buf, sizeof buf, "%02llu:%02llu:%02llu", (unsigned long long)(s / 3600),
                 (unsigned long long)(s % 3600 / 60), (unsigned long long)(s % 60));
    return buf;
}

template <typename Set, typename V>
void capped_insert(Set& s, const V& v, uint64_t& more, size_t cap) {
    if (s.count(v)) return;
    if (s.size() >= cap) {
        ++more;
        return;
    }
    s.insert(v);
}

}  // namespace

Learner::Learner(const policy::CompiledPolicy& p, const policy::src::Source& s) : p_(p), s_(s) {}

std::string Learner::peer_of(const std::array<uint8_t, 16>& a, uint8_t family, uint16_t cls,
                             uint8_t& kind) const {
    if (cls != kUnknownClass && cls < p_.classes.size()) {
        kind = 0;
        return p_.classes[cls].name;
    }
    // The most specific address group holding it; ties to the first name.
    const policy::src::GroupSrc* best = nullptr;
    int best_len = -1;
    for (const auto& g : s_.groups)
        for (const auto& c : g.cidrs)
            if (policy::net::contains(c, a, family) && int(c.len) > best_len) {
                best = &g;
                best_len = c.len;
            }
    if (best) {
        kind = 1;
        return best->name;
    }
    kind = 2;
    return policy::net::format_addr(a, family);
}

void Learner::note_unknown(const std::string& ip, const std::string& partner, uint64_t ts) {
    auto it = unknown_.find(ip);
    if (it == unknown_.end()) {
        if (unknown_.size() >= kMaxUnknownHosts) {
            ++stats_.unknown_overflow;
            return;
        }
        it = unknown_.emplace(ip, Unknown{}).first;
        it->second.first = ts;
    }
    auto& u = it->second;
    ++u.flows;
    u.first = std::min(u.first, ts);
    u.last = std::max(u.last, ts);
    uint64_t more = 0;
    if (!partner.empty()) capped_insert(u.partners, partner, more, 16);
}

static bool clinical_addr(const policy::CompiledPolicy& p, const std::array<uint8_t, 16>& a,
                          uint8_t family) {
    int best = -1;
    bool clinical = false;
    for (auto [space, c] : {std::pair{&p.clinical_space, true}, std::pair{&p.core_space, false}})
        for (auto& pre : *space)
            if (policy::net::contains(pre, a, family) && int(pre.len) > best) {
                best = pre.len;
                clinical = c;
            }
    return clinical;
}

int64_t Learner::on_flow(const FlowReport& f, const policy::Decision* d) {
    ++stats_.flows;
    if (!d || f.verdict == policy::Verdict::Bypass ||
        f.reason == contract::Reason::ReplyWithoutFlow) {
        ++stats_.other;
        return -1;
    }
    const std::string src = policy::net::format_addr(f.src, f.family);
    const std::string dst = policy::net::format_addr(f.dst, f.family);
    const uint16_t sc = d->src.class_id, dc = d->dst.class_id;
    const char* pw = proto_word(f.proto);
    const uint16_t port = (f.proto == 6 || f.proto == 17) ? f.dport : 0;
    const std::string partner =
        dst + " " + (pw ? pw : "any") + (port ? "/" + std::to_string(port) : "");
    if (sc != kUnknownClass && !d->src.spoofed) {
        auto& m = members_[sc];
        if (m.size() < kMaxMembersPerClass) m.insert(src);
        auto& t = class_talk_[sc];
        if (t.size() < 256) t.insert(partner);
    }
    if (f.verdict == policy::Verdict::Allow) {
        ++stats_.already_allowed;
        return -1;
    }
    if (d->tier == policy::Tier::Essentials || d->src.spoofed || d->dst.spoofed) {
        ++stats_.other;
        return -1;
    }
    if (sc == kUnknownClass && clinical_addr(p_, f.src, f.family))
        note_unknown(src, partner, f.first_ns);
    if (d->tier == policy::Tier::Guardrail) {
        ++stats_.guardrail;
        std::string what = f.rule + (f.rule_loc.empty() ? "" : " (" + f.rule_loc + ")");
        const uint16_t own = sc != kUnknownClass ? sc : dc;
        if (own != kUnknownClass && guardrail_hits_.size() < kMaxAggregates)
            guardrail_hits_[std::to_string(own) + "|" + (pw ? pw : "any") + " " + src + " -> " +
                            dst + (port ? ":" + std::to_string(port) : "") + "|" + what]++;
        return -1;
    }
    if (!pw) {
        ++stats_.other;  // a protocol the language cannot name: not proposed
        return -1;
    }
    Key k;
    k.proto = f.proto;
    k.port = port;
    std::string own_host, peer_host;
    if (sc != kUnknownClass) {
        k.own_class = sc;
        k.egress = true;
        k.peer = peer_of(f.dst, f.family, dc, k.peer_kind);
        own_host = src;
        peer_host = dst;
    } else if (dc != kUnknownClass && !clinical_addr(p_, f.src, f.family)) {
        // A core host (server, management station) reaching a device: an
        // ingress rule. An unknown clinical host gets no permission, only
        // an inventory proposal (never assigned automatically).
        k.own_class = dc;
        k.egress = false;
        k.peer = peer_of(f.src, f.family, sc, k.peer_kind);
        own_host = dst;
        peer_host = src;
    } else {
        ++stats_.other;  // no known device end: inventory proposals only
        return -1;
    }
    ++stats_.candidates;
    auto it = aggs_.find(k);
    if (it == aggs_.end()) {
        if (aggs_.size() >= kMaxAggregates) {
            ++stats_.overflow;
            return -1;
        }
        it = aggs_.emplace(k, Agg{}).first;
        it->second.first = f.first_ns;
        it->second.tag = int64_t(by_tag_.size());
        by_tag_.push_back(&it->second);
    }
    Agg& a = it->second;
    ++a.flows;
    a.first = std::min(a.first, f.first_ns);
    a.last = std::max(a.last, f.first_ns);
    capped_insert(a.own_hosts, own_host, a.own_more, kMaxHostsPerAggregate);
    capped_insert(a.peer_hosts, peer_host, a.peer_more, kMaxHostsPerAggregate);
    return a.tag;
}

void Learner::on_packet(int64_t tag, uint64_t ts_ns) {
    if (tag < 0 || size_t(tag) >= by_tag_.size()) return;
    Agg& a = *by_tag_[size_t(tag)];
    ++a.packets;
    a.last = std::max(a.last, ts_ns);
}

void Learner::add_flows(int64_t tag, uint64_t n) {
    if (tag < 0 || size_t(tag) >= by_tag_.size()) return;
    by_tag_[size_t(tag)]->flows += n;
    stats_.candidates += n;
    stats_.flows += n;
}

Learner::Agg* Learner::agg_for(const dp::PacketMeta& m) {
    // The aggregate a payload belongs to: the same key on_flow() builds.
    std::array<uint8_t, 16> s, d;
    std::memcpy(s.data(), m.src, 16);
    std::memcpy(d.data(), m.dst, 16);
    auto si = policy::identify(p_, s, m.family, std::nullopt, m.vlan);
    auto di = policy::identify(p_, d, m.family, std::nullopt, m.vlan);
    Key k;
    k.proto = m.proto;
    k.port = m.dport;
    if (si.class_id != kUnknownClass) {
        k.own_class = si.class_id;
        k.egress = true;
        k.peer = peer_of(d, m.family, di.class_id, k.peer_kind);
    } else if (di.class_id != kUnknownClass && !clinical_addr(p_, s, m.family)) {
        k.own_class = di.class_id;
        k.egress = false;
        k.peer = peer_of(s, m.family, si.class_id, k.peer_kind);
    } else {
        return nullptr;
    }
    auto it = aggs_.find(k);
    return it == aggs_.end() ? nullptr : &it->second;
}

void Learner::observe_frame(const uint8_t* data, uint32_t len, policy::Side side) {
    dp::PacketMeta m;
    dp::parse_frame(data, len, len, m);
    if (m.kind != dp::L2Kind::Ip || m.reason != contract::Reason::None || m.frag == 2) return;
    const uint32_t l4 = m.l4_offset;
    if (m.proto == 17 && m.sport == 68 && m.dport == 67 && m.family == 4) {
        // DHCP from a client (RFC 2131): chaddr, options 12 (host name),
        // 60 (vendor class) and 50 (requested address).
        const uint32_t b = l4 + 8;
        if (len < b + 240 || data[b] != 1) return;
        if (std::memcmp(data + b + 236, "\x63\x82\x53\x63", 4) != 0) return;
        std::array<uint8_t, 16> ip{};
        std::memcpy(ip.data(), data + b + 12, 4);  // ciaddr
        std::string host, vendor;
        for (uint32_t o = b + 240; o < len;) {
            const uint8_t code = data[o];
            if (code == 255) break;
            if (code == 0) {
                ++o;
                continue;
            }
            if (o + 2 > len || o + 2 + data[o + 1] > len) break;
            const uint8_t n = data[o + 1];
            const char* v = reinterpret_cast<const char*>(data + o + 2);
            if (code == 12) host.assign(v, n);
            if (code == 60) vendor.assign(v, n);
            if (code == 50 && n == 4) std::memcpy(ip.data(), data + o + 2, 4);
            o += 2u + n;
        }
        if (ip[0] == 0 && ip[1] == 0 && ip[2] == 0 && ip[3] == 0) return;
        std::array<uint8_t, 6> mac;
        std::memcpy(mac.data(), data + b + 28, 6);
        auto id = policy::identify(p_, ip, 4, mac, m.vlan);
        if (id.class_id != kUnknownClass) return;
        const std::string a = policy::net::format_addr(ip, 4);
        note_unknown(a, "", 0);
        auto it = unknown_.find(a);
        if (it == unknown_.end()) return;
        --it->second.flows;  // DHCP is evidence, not a flow
        it->second.mac = policy::net::format_mac(mac);
        uint64_t more = 0;
        if (!host.empty()) capped_insert(it->second.dhcp_hostname, host, more, 4);
        if (!vendor.empty()) capped_insert(it->second.dhcp_vendor, vendor, more, 4);
        return;
    }
    if (side == policy::Side::Clinical && !unknown_.empty()) {
        std::array<uint8_t, 16> s;
        std::memcpy(s.data(), m.src, 16);
        auto it = unknown_.find(policy::net::format_addr(s, m.family));
        if (it != unknown_.end() && it->second.mac.empty()) {
            std::array<uint8_t, 6> mac;
            std::memcpy(mac.data(), m.src_mac, 6);
            it->second.mac = policy::net::format_mac(mac);
        }
    }
    // First payloads towards the protocol-aware ports: constraint evidence.
    if (m.proto != 6 && m.proto != 17) return;
    if (l4 + (m.proto == 17 ? 8u : 20u) > len) return;
    const uint32_t pay = l4 + (m.proto == 17 ? 8u : uint32_t(data[l4 + 12] >> 4) * 4u);
    if (pay >= len) return;
    l7::Bytes b(data + pay, len - pay);
    Agg* a = nullptr;
    auto agg = [&]() {
        if (!a) a = agg_for(m);
        return a;
    };
    if (m.proto == 17 && m.dport == 123) {
        auto r = l7::parse_ntp(b);
        if (r.status == l7::Status::Ok && agg()) a->ntp_modes.insert(r.fields.mode);
        return;
    }
    if (m.proto != 6) return;
    // An unknown host's own words are evidence of what it is.
    Unknown* u = nullptr;
    {
        std::array<uint8_t, 16> s;
        std::memcpy(s.data(), m.src, 16);
        auto it = unknown_.find(policy::net::format_addr(s, m.family));
        if (it != unknown_.end()) u = &it->second;
    }
    auto evidence = [&](std::string what) {
        uint64_t more = 0;
        if (u) capped_insert(u->evidence, std::move(what), more, 8);
    };
    uint64_t more = 0;
    if (m.dport == 104 || m.dport == 11112) {
        auto r = l7::parse_dicom(b);
        if (r.status != l7::Status::Ok) return;
        const std::string calling(r.fields.calling.view()), called(r.fields.called.view());
        evidence("DICOM calling AE " + calling + " to " + called);
        if (!agg()) return;
        capped_insert(a->calling_ae, calling, more, 16);
        capped_insert(a->called_ae, called, more, 16);
    } else if (b[0] == 0x0b) {
        auto r = l7::parse_hl7(b);
        if (r.status != l7::Status::Ok) return;
        const std::string app(r.fields.sending_application.view());
        evidence("HL7 MSH-3 " + app + " (" + std::string(r.fields.message_type.view()) + ")");
        if (agg()) capped_insert(a->msh3, app, more, 16);
    } else if (m.dport == 445 || m.dport == 139) {
        auto r = l7::parse_smb(b);
        if (r.status != l7::Status::Ok) return;
        const bool v1 = r.fields.kind == l7::SmbKind::Smb1 && !r.fields.offers_smb2;
        evidence(v1 ? "SMB1 only (dialects " +
                          std::string(r.fields.dialects.text, r.fields.dialects.len) + ")"
                    : "SMB2+");
        if (agg()) capped_insert(a->smb_dialects, std::string(v1 ? "smb1" : "smb2"), more, 4);
    }
}

std::vector<Learner::Proposed> Learner::proposals(std::vector<std::string>& notes) const {
    std::vector<Proposed> out;
    std::map<std::string, std::set<std::string>> used;  // class -> rule names
    for (const auto& c : s_.classes)
        for (const auto& r : c.rules) used[c.name].insert(r.name);
    auto rule_name = [&](const std::string& cls, const std::string& base) {
        std::string n = base.substr(0, 56);
        while (!n.empty() && n.back() == '-') n.pop_back();
        std::string cand = n;
        for (int i = 2; used[cls].count(cand); ++i) cand = n + "-" + std::to_string(i);
        used[cls].insert(cand);
        return cand;
    };
    for (const auto& [k, a] : aggs_) {
        const std::string cls = p_.classes[k.own_class].name;
        const auto mit = members_.find(k.own_class);
        const size_t members = mit == members_.end() ? 0 : mit->second.size();
        const bool all = a.own_more > 0 || a.own_hosts.size() >= members;
        std::vector<std::pair<std::string, std::string>> peers;  // (peer yaml, name part)
        if (k.peer_kind == 2) {
            peers.push_back({"{cidr: " + k.peer + "}", k.peer});
        } else if (all || a.peer_more) {
            peers.push_back(
                {std::string(k.peer_kind == 0 ? "{class: " : "{group: ") + k.peer + "}", k.peer});
        } else {
            for (const auto& h : a.peer_hosts) peers.push_back({"{cidr: " + h + "}", h});
        }
        for (const auto& [peer, part] : peers) {
            Proposed pr;
            pr.cls = cls;
            pr.egress = k.egress;
            pr.peer = peer;
            pr.proto = k.proto;
            pr.port = k.port;
            const char* pw = proto_word(k.proto);
            pr.name = rule_name(cls, "learned-" + std::string(pw) +
                                         (k.port ? "-" + std::to_string(k.port) : "") + "-" +
                                         (k.egress ? "to-" : "from-") + sanitize(part));
            std::ostringstream ev;
            ev << "learned: " << a.flows << " flow" << (a.flows == 1 ? "" : "s") << ", "
               << a.packets << " packet" << (a.packets == 1 ? "" : "s") << ", "
               << format_utc(a.first) << " .. " << format_utc(a.last);
            pr.comments.push_back(ev.str());
            pr.comments.push_back(std::string(k.egress ? "from " : "to ") + cls + " hosts " +
                                  join(a.own_hosts, a.own_more) + " (" +
                                  std::to_string(a.own_hosts.size() + a.own_more) + " of " +
                                  std::to_string(members) + " seen)");
            pr.comments.push_back(std::string(k.egress ? "to " : "from ") +
                                  join(a.peer_hosts, a.peer_more));
            if (k.peer_kind != 2 && !all)
                pr.comments.push_back("per host: not every " + cls + " host talked to " + k.peer);
            std::string thin;
            if (a.own_hosts.size() + a.own_more <= 1) thin = "one host";
            if (a.last - a.first < 86400ull * 1000000000ull)
                thin += std::string(thin.empty() ? "" : ", ") + "observed over " +
                        duration(a.last - a.first) + " (less than a day)";
            if (!thin.empty()) pr.comments.push_back("confidence: thin evidence: " + thin);
            std::vector<std::string> cons;
            auto list = [](const std::set<std::string>& s) {
                std::string o = "[";
                for (auto& x : s) o += (o.size() > 1 ? ", " : "") + yaml_quote(x);
                return o + "]";
            };
            if (k.proto == 6 && (!a.calling_ae.empty() || !a.called_ae.empty())) {
                std::string d = "dicom: {";
                if (!a.calling_ae.empty()) d += "calling_ae_titles: " + list(a.calling_ae);
                if (!a.called_ae.empty())
                    d += std::string(a.calling_ae.empty() ? "" : ", ") +
                         "called_ae_titles: " + list(a.called_ae);
                cons.push_back(d + "}");
            }
            if (k.proto == 6 && !a.msh3.empty())
                cons.push_back("hl7: {sending_applications: " + list(a.msh3) + "}");
            if (k.proto == 6 && !a.smb_dialects.empty() && !a.smb_dialects.count("smb1"))
                cons.push_back("smb: {deny_smbv1: true}");
            if (k.proto == 17 && !a.ntp_modes.empty()) {
                std::string d = "ntp: {modes: [";
                bool first = true;
                for (auto m : a.ntp_modes) {
                    d += (first ? "" : ", ") + std::to_string(m);
                    first = false;
                }
                cons.push_back(d + "]}");
            }
            if (!cons.empty()) {
                std::string c = "{";
                for (size_t i = 0; i < cons.size(); ++i) c += (i ? ", " : "") + cons[i];
                pr.constraints = c + "}";
                pr.comments.push_back("constraints: what was observed on the wire");
            }
            out.push_back(std::move(pr));
        }
    }
    for (const auto& [k, n] : guardrail_hits_) {
        const auto a = k.find('|'), b = k.find('|', a + 1);
        const auto cls = uint16_t(std::stoul(k.substr(0, a)));
        notes.push_back(p_.classes[cls].name + "|not proposed: " + k.substr(a + 1, b - a - 1) +
                        " (" + std::to_string(n) + " flow" + (n == 1 ? "" : "s") +
                        "): " + k.substr(b + 1) + " forbids it");
    }
    return out;
}

std::string Learner::write(const fs::path& policy_dir, const fs::path& out,
                           std::string& summary) const {
    std::error_code ec;
    if (fs::exists(out, ec) && !fs::is_empty(out, ec))
        return out.string() + " exists and is not empty";
    fs::create_directories(out, ec);
    if (ec) return "cannot create " + out.string() + ": " + ec.message();
    // A copy of the policy directory without its git metadata.
    for (auto it = fs::recursive_directory_iterator(policy_dir, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const auto rel = fs::relative(it->path(), policy_dir);
        if (rel.begin()->string() == ".git") {
            if (it->is_directory()) it.disable_recursion_pending();
            continue;
        }
        if (it->is_directory())
            fs::create_directories(out / rel);
        else if (it->is_regular_file())
            fs::copy_file(it->path(), out / rel, fs::copy_options::overwrite_existing);
    }
    if (ec) return "cannot copy " + policy_dir.string() + ": " + ec.message();

    std::vector<std::string> notes;
    auto props = proposals(notes);
    std::ostringstream sum;
    // Per class: the items to insert in its egress and ingress blocks.
    std::map<std::string, std::pair<std::vector<std::string>, std::vector<std::string>>> items;
    for (const auto& pr : props) {
        std::string t;
        for (auto& c : pr.comments) t += "# " + c + "\n";
        t += "- name: " + pr.name + "\n";
        t += std::string("  ") + (pr.egress ? "to: " : "from: ") + pr.peer + "\n";
        t += std::string("  proto: ") + proto_word(pr.proto) + "\n";
        if (pr.port) t += "  ports: [" + std::to_string(pr.port) + "]\n";
        if (!pr.constraints.empty()) t += "  constraints: " + pr.constraints + "\n";
        (pr.egress ? items[pr.cls].first : items[pr.cls].second).push_back(t);
        sum << "  " << pr.cls << (pr.egress ? " egress " : " ingress ") << pr.name << ": "
            << proto_word(pr.proto) << (pr.port ? "/" + std::to_string(pr.port) : "") << " "
            << (pr.egress ? "to " : "from ") << pr.peer << "\n";
    }
    for (const auto& n : notes) {
        const auto bar = n.find('|');
        items[n.substr(0, bar)].first.push_back("# " + n.substr(bar + 1) + "\n");
        sum << "  " << n.substr(0, bar) << ": " << n.substr(bar + 1) << "\n";
    }
    for (const auto& [cls, it] : items) {
        const auto c = std::find_if(s_.classes.begin(), s_.classes.end(),
                                    [&](const auto& x) { return x.name == cls; });
        if (c == s_.classes.end()) continue;
        const fs::path file = out / c->loc.file;
        std::ifstream in(file, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        std::string text = ss.str(), err;
        for (auto [key, list] :
             {std::pair{"egress", &it.first}, std::pair{"ingress", &it.second}}) {
            if (list->empty()) continue;
            if (!insert_into_block(text, c->loc.line, key, *list, err))
                return c->loc.file + ": " + err;
        }
        std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
    }

    // Unknown hosts: proposals only, as comments, grouped by likely class.
    std::map<std::string, std::vector<std::string>> by_class;
    for (const auto& [ip, u] : unknown_) {
        std::string ev;
        std::array<uint8_t, 6> mac{};
        std::string e;
        if (!u.mac.empty())
            if (auto m = policy::net::parse_mac(u.mac, e)) {
                auto v = oui_vendor(*m);
                if (!v.empty()) ev += "MAC vendor " + v + "; ";
                mac = *m;
            }
        if (!u.dhcp_vendor.empty()) ev += "DHCP vendor class " + join(u.dhcp_vendor, 0) + "; ";
        if (!u.dhcp_hostname.empty()) ev += "DHCP host name " + join(u.dhcp_hostname, 0) + "; ";
        if (!u.evidence.empty()) ev += join(u.evidence, 0) + "; ";
        if (!u.partners.empty()) ev += "talks to " + join(u.partners, 0) + "; ";
        // Likely class: the known class whose members talk to the most of
        // the same peers and ports; ties to the first name.
        std::string likely;
        size_t best = 0;
        for (const auto& [cid, peers] : class_talk_) {
            size_t n = 0;
            for (const auto& x : u.partners) n += peers.count(x);
            if (n > best) {
                best = n;
                likely = p_.classes[cid].name;
            }
        }
        std::string entry = "#   - {ip: " + ip + (u.mac.empty() ? "" : ", mac: \"" + u.mac + "\"") +
                            ", class: " + (likely.empty() ? "CHOOSE" : likely) + "}\n";
        entry = "#   # " + std::to_string(u.flows) + " flow(s)" +
                (u.flows ? ", " + format_utc(u.first) + " .. " + format_utc(u.last) : "") +
                (ev.empty() ? "" : "; " + ev.substr(0, ev.size() - 2)) + "\n" + entry;
        by_class[likely.empty() ? "(no likely class)" : likely].push_back(entry);
    }
    if (!unknown_.empty()) {
        std::ofstream f(out / "learned-unknown-hosts.yaml", std::ios::binary);
        f << "# Hosts the inventory does not know, seen during the learning window.\n"
             "# Proposals only, never assigned: check each device, then move its entry\n"
             "# (uncommented, with the right class) into an inventory file.\n"
             "kind: Inventory\nhosts: []\n";
        for (const auto& [cls, es] : by_class) {
            f << "\n# likely " << cls << ":\n";
            for (const auto& e : es) f << e;
        }
        if (stats_.unknown_overflow)
            f << "\n# " << stats_.unknown_overflow << " more unknown hosts not listed (limit "
              << kMaxUnknownHosts << ")\n";
        sum << "  " << unknown_.size() << " unknown host(s): learned-unknown-hosts.yaml\n";
    }
    std::ostringstream head;
    head << "learned " << props.size() << " rule(s) from " << stats_.flows << " flows ("
         << stats_.candidates << " would be denied, " << stats_.already_allowed
         << " already allowed, " << stats_.guardrail << " forbidden by a guardrail, "
         << stats_.other << " other)";
    if (stats_.overflow)
        head << "; " << stats_.overflow << " flows not aggregated (limit " << kMaxAggregates
             << " aggregates)";
    summary = head.str() + "\n" + sum.str();
    return {};
}

}  // namespace wg::lifecycle
