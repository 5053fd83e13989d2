#include "options.hpp"

namespace wg::dp {

void add_options(opt::Table& t, Options& o) {
    t.str({"--clinical"}, "PORT", o.clinical_port, "device-side port: port id or device name");
    t.str({"--core"}, "PORT", o.core_port, "switch-side port: port id or device name");
    t.str({"--socket"}, "PATH", o.socket_path, "management socket (default " + o.socket_path + ")");
    t.str({"--socket-group"}, "GROUP", o.socket_group,
          "group allowed to use the socket besides root");
    t.str({"--user"}, "NAME", o.user,
          "after start, run as NAME with only the capabilities\n"
          "the ports need, no_new_privs and a seccomp filter");
    t.str({"--policy-image"}, "FILE", o.policy_image, "compiled policy to enforce at start");
    t.num({"--burst"}, "N", o.burst, "rx/tx burst size (default 32)");
    t.num({"--mbufs"}, "N", o.mbufs, "mbufs per pool (default 8191)");
    t.num({"--mtu"}, "N", o.mtu, "port MTU (default 1500)");
    t.num({"--rx-desc"}, "N", o.rx_desc, "RX descriptor ring size (default 1024)");
    t.num({"--tx-desc"}, "N", o.tx_desc, "TX descriptor ring size (default 1024)");
    t.num({"--flows"}, "N", o.flows, "flow-table entries per worker (default 65536)");
    t.num({"--idle-exit-ms"}, "N", o.idle_exit_ms, "exit after N ms without traffic (tests only)");
    t.flag({"--test-hooks"}, o.test_hooks, "accept test latches on the socket (tests only)");
    t.str({"--replay-order"}, "SEQ", o.replay_order,
          "take recorded input frames from the ports in this order,\n"
          "one letter per frame: c clinical, k core (pcap tests)");
    t.add({{"--pause-after"},
           "N",
           "with --test-hooks: stop after N frames until the\nrx-resume hook (tests only)",
           [&o](const std::string& v) -> std::optional<std::string> {
               uint32_t n = 0;  // a 32-bit count, like the old parser
               if (!opt::Table::parse_number(v, n))
                   return "option --pause-after: '" + v + "' is not a number";
               o.pause_after = n;
               return std::nullopt;
           }});
    t.flag({"--help", "-h"}, o.help, "this text");
    safety::add_safety_options(t, o.safety);
}

std::string usage(const char* prog) {
    Options scratch;
    opt::Table t(std::string("usage: ") + prog +
                 " [EAL options] -- --clinical PORT --core PORT [options]");
    add_options(t, scratch);
    return t.help();
}

std::optional<std::string> parse_options(int argc, char** argv, Options& o) {
    opt::Table t("");
    add_options(t, o);
    if (auto e = t.parse(argc, argv)) return e;
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
