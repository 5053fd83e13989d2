// Helper for the pcap golden tests (and the e2e enforce test):
//   pcap-tool compile POLICY_DIR OUT_IMAGE     compile + encode a policy directory
//   pcap-tool ctl SOCKET status|stats|audit    query a running dataplane (JSON on stdout)
//   pcap-tool ctl SOCKET load IMAGE            load a policy image
//   pcap-tool ctl SOCKET hook NAME ARG         test hook (needs --test-hooks)
// Exit status 0 on success; errors on stderr.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "mgmt/frame.hpp"
#include "mgmt/messages.hpp"
#include "policy/compiler.hpp"
#include "policy/image.hpp"

using namespace wg;
using nlohmann::json;

namespace {

int compile(const char* dir, const char* out) {
    auto r = policy::compile_directory(dir);
    for (const auto& d : r.diagnostics) std::fprintf(stderr, "%s\n", policy::format(d).c_str());
    if (!r.ok()) return 1;
    auto img = policy::encode_image(*r.policy);
    std::ofstream f(out, std::ios::binary);
    f.write(reinterpret_cast<const char*>(img.data()), std::streamsize(img.size()));
    return f ? 0 : 1;
}

mgmt::Frame request(const char* sock, mgmt::MsgType t, const std::vector<uint8_t>& payload) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0)
        throw std::runtime_error(std::string("cannot connect to ") + sock + ": " + strerror(errno));
    auto bytes = mgmt::encode_frame(t, 7, payload);
    for (size_t off = 0; off < bytes.size();) {
        ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
        if (n <= 0) throw std::runtime_error("write failed");
        off += size_t(n);
    }
    mgmt::FrameDecoder dec;
    uint8_t buf[65536];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof(buf));
        if (n <= 0) throw std::runtime_error("connection closed before a response");
        dec.feed({buf, size_t(n)});
        if (auto f = dec.next()) {
            ::close(fd);
            if (f->type == mgmt::MsgType::Error) {
                auto e = mgmt::decode_error(f->payload);
                throw std::runtime_error("dataplane error " + std::to_string(e.code) + ": " +
                                         e.message);
            }
            return *f;
        }
    }
}

json stats_json(const stats::Snapshot& s) {
    json j;
    for (const auto& p : s.ports)
        j["ports"][p.role] = {
            {"rx", p.rx_packets}, {"tx", p.tx_packets}, {"tx_dropped", p.tx_dropped}};
    j["drops"] = json::object();
    for (const auto& d : s.drops)
        if (d.value) j["drops"][d.name] = d.value;
    j["counters"] = json::object();
    for (const auto& c : s.counters)
        if (c.value) j["counters"][c.name] = c.value;
    for (const auto& g : s.gauges) j["gauges"][g.name] = g.value;
    j["classes"] = json::object();
    for (const auto& c : s.classes) {
        json v = json::object();
        for (unsigned i = 0; i < stats::kVerdicts; ++i)
            if (c.packets[i]) v[stats::verdict_name(stats::Verdict(i))] = c.packets[i];
        if (!v.empty()) j["classes"][c.cls] = v;
    }
    j["rules"] = json::object();
    for (const auto& r : s.rules)
        if (r.packets) j["rules"][r.rule] = r.packets;
    j["histograms"] = json::object();
    for (const auto& h : s.histograms) {
        uint64_t n = 0;
        for (const auto& b : h.buckets) n += b.count;
        j["histograms"][h.path + (h.cls.empty() ? "" : "/" + h.cls)] = n;
    }
    // Per worker, in worker-index order (tests/e2e/multiworker).
    j["workers"] = json::array();
    for (const auto& w : s.workers)
        j["workers"].push_back({{"lcore", w.lcore},
                                {"heartbeat", w.heartbeat},
                                {"packets", w.packets},
                                {"flows_created", w.flows_created},
                                {"flow_entries", w.flow_entries}});
    return j;
}

int ctl(int argc, char** argv) {
    const char* sock = argv[2];
    std::string cmd = argv[3];
    if (cmd == "status") {
        auto st = mgmt::decode_status(request(sock, mgmt::MsgType::StatusRequest, {}).payload);
        std::cout << json{{"generation", st.policy_generation},
                          {"hash", st.policy_hash},
                          {"mode", st.mode},
                          {"workers", st.workers},
                          {"image_state", st.image_state},
                          {"image_error", st.image_error}}
                  << "\n";
    } else if (cmd == "stats") {
        auto s = mgmt::decode_stats(request(sock, mgmt::MsgType::StatsRequest, {}).payload);
        std::cout << stats_json(s).dump(1) << "\n";
    } else if (cmd == "audit") {
        auto b =
            mgmt::decode_audit_batch(request(sock, mgmt::MsgType::AuditDrainRequest, {}).payload);
        json ev = json::array();
        for (const auto& e : b.events)
            ev.push_back({{"proto", e.proto},
                          {"sport", e.sport},
                          {"dport", e.dport},
                          {"src_class", e.src_class},
                          {"dst_class", e.dst_class},
                          {"rule", e.rule},
                          {"verdict", e.verdict},
                          {"reason", e.reason},
                          {"generation", e.generation},
                          {"suppressed", e.suppressed}});
        std::cout << json{{"events", ev}, {"lost", b.lost}}.dump() << "\n";
    } else if (cmd == "load" && argc >= 5) {
        std::ifstream f(argv[4], std::ios::binary);
        mgmt::LoadPolicyRequest req;
        req.image.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
        auto r = mgmt::decode_load_policy_response(
            request(sock, mgmt::MsgType::LoadPolicyRequest, mgmt::encode(req)).payload);
        std::cout << json{{"ok", r.ok}, {"generation", r.generation}, {"error", r.error}} << "\n";
        return r.ok ? 0 : 3;
    } else if (cmd == "hook" && argc >= 6) {
        mgmt::TestHook h{argv[4], std::stoull(argv[5])};
        auto r = mgmt::decode_test_hook(
            request(sock, mgmt::MsgType::TestHookRequest, mgmt::encode(h)).payload);
        std::cout << r.arg << "\n";
    } else {
        std::fprintf(stderr, "unknown ctl command\n");
        return 2;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        if (argc == 4 && std::string(argv[1]) == "compile") return compile(argv[2], argv[3]);
        if (argc >= 4 && std::string(argv[1]) == "ctl") return ctl(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "pcap-tool: %s\n", e.what());
        return 1;
    }
    std::fprintf(stderr,
                 "usage: pcap-tool compile DIR OUT | ctl SOCKET status|stats|audit|load IMG|hook "
                 "NAME ARG\n");
    return 2;
}
