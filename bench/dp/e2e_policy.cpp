// wg-bench-e2e-policy OUT: writes the compiled policy image wardgate enforces
// in the end-to-end comparison. It expresses the same allow list as the
// netns-peers nftables variants: 1,000 filler allow rules that never match
// (198.19.x.y -> 198.18.0.2 tcp 10000+i), then ICMP echo and TCP/UDP 5201
// from the clinical host 198.18.0.1 to the core host 198.18.0.2; replies are
// implied by flow state (nftables needs explicit reverse rules for them).
#include <cstdio>
#include <fstream>
#include <string>

#include "policy/compiled.hpp"
#include "policy/image.hpp"

namespace {
using namespace wg::policy;

IpPrefix v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t len) {
    IpPrefix p;
    p.family = 4;
    p.len = len;
    p.addr[0] = a;
    p.addr[1] = b;
    p.addr[2] = c;
    p.addr[3] = d;
    return p;
}

Rule allow(CompiledPolicy& p, uint16_t cls, const std::string& name, Endpoint ini, Endpoint rsp,
           Proto proto, uint16_t port) {
    Rule r;
    r.id = static_cast<uint32_t>(p.rules.size());
    r.name = p.classes[cls].name + "/" + name;
    r.tier = Tier::ClassAllow;
    r.action = Action::Allow;
    r.owner_class = cls;
    r.initiator = std::move(ini);
    r.responder = std::move(rsp);
    r.proto = proto;
    if (port) r.dports = {{port, port}};
    return r;
}
}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: wg-bench-e2e-policy OUT\n");
        return 2;
    }
    CompiledPolicy p;
    p.name = "bench-e2e";
    ClassDef unknown;
    unknown.name = "unknown";
    ClassDef icu;
    icu.id = 1;
    icu.name = "icu-host";
    ClassDef filler;
    filler.id = 2;
    filler.name = "filler";
    p.classes = {unknown, icu, filler};
    p.zones = {""};
    HostEntry h;
    h.class_id = 1;
    h.has_ip = true;
    h.ip = v4(198, 18, 0, 1, 32);
    h.asset_id = "e2e-icu";
    p.hosts.push_back(h);
    HostEntry f = h;
    f.class_id = 2;
    f.ip = v4(198, 19, 0, 0, 16);
    f.asset_id = "e2e-filler";
    p.hosts.push_back(f);
    p.clinical_space = {v4(198, 18, 0, 1, 32), v4(198, 19, 0, 0, 16)};
    p.core_space = {v4(198, 18, 0, 2, 32)};

    Endpoint core;
    core.prefixes = {v4(198, 18, 0, 2, 32)};
    for (unsigned i = 0; i < 1000; ++i) {
        Endpoint src;
        src.class_id = 2;
        src.prefixes = {v4(198, 19, uint8_t(i / 250), uint8_t(i % 250 + 1), 32)};
        p.rules.push_back(allow(p, 2, "filler-" + std::to_string(i), src, core, Proto::Tcp,
                                static_cast<uint16_t>(10000 + i)));
    }
    Endpoint icu_ep;
    icu_ep.class_id = 1;
    p.rules.push_back(allow(p, 1, "ping", icu_ep, core, Proto::Icmp, 0));
    p.rules.push_back(allow(p, 1, "iperf-tcp", icu_ep, core, Proto::Tcp, 5201));
    p.rules.push_back(allow(p, 1, "iperf-udp", icu_ep, core, Proto::Udp, 5201));

    const auto img = encode_image(p);
    std::ofstream out(argv[1], std::ios::binary);
    out.write(reinterpret_cast<const char*>(img.data()), static_cast<std::streamsize>(img.size()));
    if (!out) {
        std::fprintf(stderr, "wg-bench-e2e-policy: cannot write %s\n", argv[1]);
        return 1;
    }
    std::printf("%s: %zu rules, %zu bytes, hash %s\n", argv[1], p.rules.size(), img.size(),
                p.content_hash.c_str());
    return 0;
}
