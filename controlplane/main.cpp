// wardgate-controlplane: connects to the dataplane's socket, polls its stats
// every second and serves them on /metrics. Its absence never affects
// forwarding: the dataplane runs on its own and keeps its last policy.
#include <csignal>
#include <iostream>
#include <memory>
#include <string>

#include <utility>  // Boost 1.74 Asio uses std::exchange without including it (C++20)
#include <boost/asio.hpp>
#include <prometheus/exposer.h>

#include "dp_client.hpp"
#include "dp_metrics.hpp"
#include "mgmt/messages.hpp"

namespace {

struct Options {
    std::string dataplane_socket = "/run/wardgate/dataplane.sock";
    std::string metrics_addr = "127.0.0.1:9470";
    unsigned poll_ms = 1000;
};

const char* kUsage =
    "usage: wardgate-controlplane [--dataplane SOCKET] [--metrics ADDR:PORT] [--poll-ms N]\n"
    "  --dataplane SOCKET  dataplane management socket (default /run/wardgate/dataplane.sock)\n"
    "  --metrics ADDR:PORT Prometheus listener (default 127.0.0.1:9470, loopback only)\n"
    "  --poll-ms N         stats poll interval (default 1000)\n";

bool parse(int argc, char** argv, Options& o) {
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto val = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
        const char* v = nullptr;
        if (a == "--dataplane" && (v = val())) o.dataplane_socket = v;
        else if (a == "--metrics" && (v = val())) o.metrics_addr = v;
        else if (a == "--poll-ms" && (v = val())) o.poll_ms = static_cast<unsigned>(std::stoul(v));
        else if (a == "--help" || a == "-h") {
            std::cout << kUsage;
            std::exit(0);
        } else {
            std::cerr << "wardgate-controlplane: bad or incomplete option '" << a << "'\n" << kUsage;
            return false;
        }
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    Options opt;
    if (!parse(argc, argv, opt)) return 2;
    namespace asio = boost::asio;
    asio::io_context io;

    auto collector = std::make_shared<wg::cp::DataplaneCollector>();
    std::unique_ptr<prometheus::Exposer> exposer;
    try {
        exposer = std::make_unique<prometheus::Exposer>(opt.metrics_addr, 1);
    } catch (const std::exception& e) {
        std::cerr << "wardgate-controlplane: cannot listen on " << opt.metrics_addr << ": " << e.what()
                  << "\n";
        return 1;
    }
    exposer->RegisterCollectable(collector);
    std::cout << "wardgate-controlplane: metrics on http://" << opt.metrics_addr << "/metrics\n"
              << std::flush;

    wg::cp::DpClient client(io, opt.dataplane_socket);
    client.on_disconnect = [&] { collector->set_down(); };

    asio::steady_timer poll(io);
    std::function<void()> tick = [&] {
        if (client.connected()) {
            client.request(wg::mgmt::MsgType::StatusRequest, {}, [&](bool ok, const wg::mgmt::Frame& st, const std::string&) {
                if (!ok || st.type != wg::mgmt::MsgType::StatusResponse) return collector->set_down();
                client.request(wg::mgmt::MsgType::StatsRequest, {},
                               [&, st](bool ok2, const wg::mgmt::Frame& f, const std::string&) {
                                   if (!ok2 || f.type != wg::mgmt::MsgType::StatsResponse)
                                       return collector->set_down();
                                   try {
                                       collector->update(wg::mgmt::decode_status(st.payload),
                                                         wg::mgmt::decode_stats(f.payload));
                                   } catch (const std::exception& e) {
                                       std::cerr << "wardgate-controlplane: bad stats: " << e.what() << "\n";
                                       collector->set_down();
                                   }
                               });
            });
        }
        poll.expires_after(std::chrono::milliseconds(opt.poll_ms));
        poll.async_wait([&](boost::system::error_code ec) {
            if (!ec) tick();
        });
    };

    asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
    std::function<void()> wait_signal = [&] {
        signals.async_wait([&](boost::system::error_code ec, int sig) {
            if (ec) return;
            if (sig == SIGHUP) {
                // Reserved for policy reload.
                std::cerr << "wardgate-controlplane: SIGHUP (policy reload not configured)\n";
                wait_signal();
                return;
            }
            std::cerr << "wardgate-controlplane: stopping on signal " << sig << "\n";
            poll.cancel();
            client.stop();
            io.stop();
        });
    };
    wait_signal();
    client.start();
    tick();
    io.run();
    return 0;
}
