// FLOWSPEC: the acknowledgement syntax of `wardgate replay --ack`:
//   SRC->DST[:PORT][/PROTO]
// SRC and DST are a class name, an address or prefix, or `*`; PORT is a
// number or `*`; PROTO is tcp, udp, icmp, icmpv6 or any. IPv6 with a port is
// written [2001:2::1]:443. Examples: `ultrasound-cart->*:445/tcp`,
// `198.18.0.10->pacs:104`.
#pragma once

#include <optional>
#include <string>

#include "lifecycle/replay.hpp"
#include "policy/compiled.hpp"

namespace wg::lifecycle {

struct FlowSpec {
    struct End {
        bool any = true;
        std::string class_name;                  // set: match by class
        std::optional<policy::IpPrefix> prefix;  // set: match by address
    };
    End src, dst;
    int port = -1;   // -1 = any
    int proto = -1;  // -1 = any

    static std::optional<FlowSpec> parse(const std::string& s, std::string& err);
    // Classes are named by `p`, the policy that judged the flow.
    bool matches(const FlowReport& f, const policy::CompiledPolicy& p) const;
};

}  // namespace wg::lifecycle
