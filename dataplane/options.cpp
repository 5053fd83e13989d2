#include "options.hpp"

#include <charconv>
#include <cstring>

namespace wg::dp {
namespace {
bool to_u32(const char* s, uint32_t& v) {
    auto end = s + std::strlen(s);
    auto [p, ec] = std::from_chars(s, end, v);
    return ec == std::errc() && p == end;
}
}  // namespace

std::string usage(const char* prog) {
    return std::string("usage: ") + prog +
           " [EAL options] -- --clinical PORT --core PORT [options]\n"
           "  --clinical PORT       device-side port: port id or device name\n"
           "  --core PORT           switch-side port: port id or device name\n"
           "  --socket PATH         management socket (default /run/wardgate/dataplane.sock)\n"
           "  --socket-group GROUP  group allowed to use the socket besides root\n"
           "  --user NAME           after start, run as NAME with only the capabilities\n"
           "                        the ports need, no_new_privs and a seccomp filter\n"
           "  --policy-image FILE   compiled policy to enforce at start\n"
           "  --burst N             rx/tx burst size (default 32)\n"
           "  --mbufs N             mbufs per pool (default 8191)\n"
           "  --mtu N               port MTU (default 1500)\n"
           "  --rx-desc N --tx-desc N  descriptor ring sizes (default 1024)\n"
           "  --flows N             flow-table entries per worker (default 65536)\n"
           "  --idle-exit-ms N      exit after N ms without traffic (tests only)\n"
           "  --test-hooks          accept test latches on the socket (tests only)\n"
           "  --replay-order SEQ    take recorded input frames from the ports in this order,\n"
           "                        one letter per frame: c clinical, k core (pcap tests)\n"
           "  --pause-after N       with --test-hooks: stop after N frames until the\n"
           "                        rx-resume hook (tests only)\n" +
           safety::safety_usage();
}

std::optional<std::string> parse_options(int argc, char** argv, Options& o) {
    for (int i = 1; i < argc; ++i) {
        {
            std::optional<std::string> serr;
            if (safety::parse_safety_option(argc, argv, i, o.safety, serr)) {
                if (serr) return serr;
                continue;
            }
        }
        std::string a = argv[i];
        auto need = [&](const char* name) -> const char* {
            if (i + 1 >= argc) return nullptr;
            (void)name;
            return argv[++i];
        };
        auto num = [&](uint32_t& dst) -> std::optional<std::string> {
            const char* v = need(a.c_str());
            if (!v) return "option " + a + " needs a value";
            if (!to_u32(v, dst)) return "option " + a + ": '" + v + "' is not a number";
            return std::nullopt;
        };
        auto str = [&](std::string& dst) -> std::optional<std::string> {
            const char* v = need(a.c_str());
            if (!v) return "option " + a + " needs a value";
            dst = v;
            return std::nullopt;
        };
        std::optional<std::string> err;
        if (a == "--clinical")
            err = str(o.clinical_port);
        else if (a == "--core")
            err = str(o.core_port);
        else if (a == "--socket")
            err = str(o.socket_path);
        else if (a == "--socket-group")
            err = str(o.socket_group);
        else if (a == "--user")
            err = str(o.user);
        else if (a == "--policy-image")
            err = str(o.policy_image);
        else if (a == "--burst")
            err = num(o.burst);
        else if (a == "--mbufs")
            err = num(o.mbufs);
        else if (a == "--mtu")
            err = num(o.mtu);
        else if (a == "--rx-desc")
            err = num(o.rx_desc);
        else if (a == "--tx-desc")
            err = num(o.tx_desc);
        else if (a == "--flows")
            err = num(o.flows);
        else if (a == "--idle-exit-ms")
            err = num(o.idle_exit_ms);
        else if (a == "--replay-order")
            err = str(o.replay_order);
        else if (a == "--pause-after") {
            uint32_t v = 0;
            err = num(v);
            o.pause_after = v;
        } else if (a == "--test-hooks")
            o.test_hooks = true;
        else if (a == "--help" || a == "-h")
            o.help = true;
        else
            err = "unknown option '" + a + "'";
        if (err) return err;
    }
    if (o.help) return std::nullopt;
    if (auto e = safety::check_safety_options(o.safety)) return e;
    if (o.clinical_port.empty()) return std::string("missing --clinical PORT");
    if (o.core_port.empty()) return std::string("missing --core PORT");
    if (o.burst == 0 || o.burst > 256) return std::string("--burst must be 1..256");
    if (o.replay_order.find_first_not_of("ck") != std::string::npos)
        return std::string("--replay-order takes only the letters c and k");
    if (o.pause_after != UINT64_MAX && !o.test_hooks)
        return std::string("--pause-after needs --test-hooks");
    if (o.flows < 16 || o.flows > (1u << 26)) return std::string("--flows must be 16..67108864");
    if (o.mtu < 68 || o.mtu > 9600) return std::string("--mtu must be 68..9600");
    return std::nullopt;
}

}  // namespace wg::dp
