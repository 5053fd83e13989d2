// Address parsing, formatting and prefix arithmetic shared by the compiler,
// the reference evaluator and the CLI. Parsers return nullopt and set `err`
// to a sentence a policy author can act on.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "policy/compiled.hpp"

namespace wg::policy::net {

using Mac = std::array<uint8_t, 6>;
using Addr = std::array<uint8_t, 16>;

// "198.18.0.1" or "2001:db8::1" -> a /32 or /128 prefix.
std::optional<IpPrefix> parse_ip(std::string_view s, std::string& err);
// "198.18.0.0/24"; a bare address is taken as a host prefix. Host bits set
// past the prefix length are an error (it is almost always a typo).
std::optional<IpPrefix> parse_cidr(std::string_view s, std::string& err);
// "00:09:fb:aa:bb:cc", "00-09-FB-AA-BB-CC" or Cisco "0009.fbaa.bbcc".
std::optional<Mac> parse_mac(std::string_view s, std::string& err);

std::string format(const IpPrefix& p);  // "198.18.0.0/24", hosts without "/32"
std::string format_addr(const Addr& a, uint8_t family);
std::string format_mac(const Mac& m);

bool contains(const IpPrefix& outer, const IpPrefix& inner);  // inner within outer
bool contains(const IpPrefix& p, const Addr& a, uint8_t family);
bool overlaps(const IpPrefix& a, const IpPrefix& b);
bool is_host(const IpPrefix& p);       // /32 or /128
bool is_multicast(const IpPrefix& p);  // wholly inside 224.0.0.0/4 or ff00::/8
inline uint8_t max_len(uint8_t family) {
    return family == 4 ? 32 : 128;
}

}  // namespace wg::policy::net
