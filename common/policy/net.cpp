#include "policy/net.hpp"

#include <arpa/inet.h>

#include <cstdio>

namespace wg::policy::net {

namespace {

bool bit(const Addr& a, unsigned i) {
    return (a[i / 8] >> (7 - i % 8)) & 1;
}

bool prefix_equal(const Addr& a, const Addr& b, unsigned len) {
    unsigned full = len / 8;
    for (unsigned i = 0; i < full; ++i)
        if (a[i] != b[i]) return false;
    if (len % 8) {
        uint8_t mask = static_cast<uint8_t>(0xff << (8 - len % 8));
        if ((a[full] & mask) != (b[full] & mask)) return false;
    }
    return true;
}

int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::optional<IpPrefix> parse_ip(std::string_view s, std::string& err) {
    std::string str(s);
    IpPrefix p;
    if (str.find(':') != std::string::npos) {
        if (inet_pton(AF_INET6, str.c_str(), p.addr.data()) != 1) {
            err = "'" + str + "' is not a valid IPv6 address";
            return std::nullopt;
        }
        p.family = 6;
        p.len = 128;
        return p;
    }
    // inet_pton(AF_INET) is strict dotted-quad: it rejects "10.1" and octal
    // forms that inet_aton would silently reinterpret.
    if (inet_pton(AF_INET, str.c_str(), p.addr.data()) != 1) {
        err = "'" + str + "' is not a valid IPv4 address (expected a.b.c.d)";
        return std::nullopt;
    }
    p.family = 4;
    p.len = 32;
    return p;
}

std::optional<IpPrefix> parse_cidr(std::string_view s, std::string& err) {
    auto slash = s.find('/');
    auto p = parse_ip(s.substr(0, slash), err);
    if (!p) return std::nullopt;
    if (slash == std::string_view::npos) return p;
    auto lenstr = s.substr(slash + 1);
    unsigned len = 0;
    if (lenstr.empty() || lenstr.size() > 3) {
        err = "'" + std::string(s) + "' has an invalid prefix length";
        return std::nullopt;
    }
    for (char c : lenstr) {
        if (c < '0' || c > '9') {
            err = "'" + std::string(s) + "' has an invalid prefix length";
            return std::nullopt;
        }
        len = len * 10 + unsigned(c - '0');
    }
    if (len > max_len(p->family)) {
        err = "'" + std::string(s) + "': prefix length " + std::to_string(len) +
              " is longer than " + std::to_string(max_len(p->family));
        return std::nullopt;
    }
    p->len = static_cast<uint8_t>(len);
    for (unsigned i = len; i < max_len(p->family); ++i) {
        if (bit(p->addr, i)) {
            IpPrefix fixed = *p;
            for (unsigned j = len; j < max_len(p->family); ++j)
                fixed.addr[j / 8] &= static_cast<uint8_t>(~(0x80 >> (j % 8)));
            err = "'" + std::string(s) + "' has host bits set after /" + std::to_string(len) +
                  "; write the network address " + format(fixed) +
                  " or the host address without a prefix";
            return std::nullopt;
        }
    }
    return p;
}

std::optional<Mac> parse_mac(std::string_view s, std::string& err) {
    std::string hex;
    for (char c : s) {
        if (c == ':' || c == '-' || c == '.') continue;
        if (hexval(c) < 0) {
            hex.clear();
            break;
        }
        hex.push_back(c);
    }
    // Separators must be consistent with one of the three accepted layouts.
    bool layout_ok = (s.size() == 17 && (s[2] == ':' || s[2] == '-')) ||
                     (s.size() == 14 && s[4] == '.' && s[9] == '.') || s.size() == 12;
    if (hex.size() != 12 || !layout_ok) {
        err = "'" + std::string(s) +
              "' is not a MAC address (expected aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff or "
              "aabb.ccdd.eeff)";
        return std::nullopt;
    }
    Mac m{};
    for (int i = 0; i < 6; ++i)
        m[i] = static_cast<uint8_t>(hexval(hex[2 * i]) * 16 + hexval(hex[2 * i + 1]));
    if (m[0] & 1) {
        err = "'" + std::string(s) + "' is a multicast/broadcast MAC, not a device address";
        return std::nullopt;
    }
    return m;
}

std::string format_addr(const Addr& a, uint8_t family) {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(family == 4 ? AF_INET : AF_INET6, a.data(), buf, sizeof buf);
    return buf;
}

std::string format(const IpPrefix& p) {
    std::string s = format_addr(p.addr, p.family);
    if (!is_host(p)) s += "/" + std::to_string(p.len);
    return s;
}

std::string format_mac(const Mac& m) {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
                  m[5]);
    return buf;
}

bool contains(const IpPrefix& outer, const IpPrefix& inner) {
    return outer.family == inner.family && outer.len <= inner.len &&
           prefix_equal(outer.addr, inner.addr, outer.len);
}

bool contains(const IpPrefix& p, const Addr& a, uint8_t family) {
    return p.family == family && prefix_equal(p.addr, a, p.len);
}

bool overlaps(const IpPrefix& a, const IpPrefix& b) {
    return contains(a, b) || contains(b, a);
}

bool is_host(const IpPrefix& p) {
    return p.len == max_len(p.family);
}

bool is_multicast(const IpPrefix& p) {
    if (p.family == 4) return p.len >= 4 && (p.addr[0] & 0xf0) == 0xe0;
    return p.len >= 8 && p.addr[0] == 0xff;
}

}  // namespace wg::policy::net
