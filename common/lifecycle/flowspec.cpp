#include "lifecycle/flowspec.hpp"

#include <cctype>

#include "policy/net.hpp"

namespace wg::lifecycle {

namespace {

bool parse_end(std::string s, FlowSpec::End& e, std::string& err) {
    if (s == "*") return true;
    if (s.empty()) {
        err = "empty endpoint (use * for any)";
        return false;
    }
    e.any = false;
    const bool addr_like =
        s.find(':') != std::string::npos ||
        (!s.empty() && s[0] >= '0' && s[0] <= '9' && s.find('.') != std::string::npos);
    if (addr_like) {
        std::string e2;
        auto p = policy::net::parse_cidr(s, e2);
        if (!p) {
            err = "'" + s + "': " + e2;
            return false;
        }
        e.prefix = *p;
        return true;
    }
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
            err = "'" + s + "' is neither a class name, an address nor *";
            return false;
        }
    e.class_name = s;
    return true;
}

bool end_matches(const FlowSpec::End& e, uint16_t cls, const std::array<uint8_t, 16>& a,
                 uint8_t family, const policy::CompiledPolicy& p) {
    if (e.any) return true;
    if (e.prefix) return policy::net::contains(*e.prefix, a, family);
    return cls < p.classes.size() && p.classes[cls].name == e.class_name;
}

}  // namespace

std::optional<FlowSpec> FlowSpec::parse(const std::string& in, std::string& err) {
    FlowSpec f;
    const auto arrow = in.find("->");
    if (arrow == std::string::npos) {
        err = "'" + in + "': expected SRC->DST[:PORT][/PROTO]";
        return std::nullopt;
    }
    std::string src = in.substr(0, arrow), dst = in.substr(arrow + 2);
    if (auto sl = dst.rfind('/'); sl != std::string::npos) {
        const std::string pr = dst.substr(sl + 1);
        static const std::pair<const char*, int> kProtos[] = {
            {"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"icmpv6", 58}, {"any", -1}};
        for (auto& [name, num] : kProtos)
            if (pr == name) {
                f.proto = num;
                dst.erase(sl);
                break;
            }
    }
    std::string port;
    if (!dst.empty() && dst[0] == '[') {
        const auto close = dst.find(']');
        if (close == std::string::npos) {
            err = "'" + in + "': missing ]";
            return std::nullopt;
        }
        if (close + 1 < dst.size()) {
            if (dst[close + 1] != ':') {
                err = "'" + in + "': expected :PORT after ]";
                return std::nullopt;
            }
            port = dst.substr(close + 2);
        }
        dst = dst.substr(1, close - 1);
    } else if (auto c = dst.find(':');
               c != std::string::npos && dst.find(':', c + 1) == std::string::npos) {
        port = dst.substr(c + 1);
        dst.erase(c);
    }
    if (!port.empty() && port != "*") {
        unsigned v = 0;
        for (char ch : port) {
            if (ch < '0' || ch > '9' || v > 65535) {
                err = "'" + in + "': port must be 0-65535 or *";
                return std::nullopt;
            }
            v = v * 10 + unsigned(ch - '0');
        }
        if (v > 65535) {
            err = "'" + in + "': port must be 0-65535 or *";
            return std::nullopt;
        }
        f.port = int(v);
    }
    if (!parse_end(src, f.src, err) || !parse_end(dst, f.dst, err)) return std::nullopt;
    return f;
}

bool FlowSpec::matches(const FlowReport& r, const policy::CompiledPolicy& p) const {
    if (proto >= 0 && proto != r.proto) return false;
    if (port >= 0 && (!(r.proto == 6 || r.proto == 17) || port != r.dport)) return false;
    return end_matches(src, r.src_class, r.src, r.family, p) &&
           end_matches(dst, r.dst_class, r.dst, r.family, p);
}

}  // namespace wg::lifecycle
