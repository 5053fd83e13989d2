// wardgate-controlplane: compiles the policy directory and keeps the
// dataplane enforcing its last good version (inotify, SIGHUP, `wardgate
// reload`), persists that image for dataplane restarts, exports the
// dataplane's counters and latency histograms on /metrics and writes the
// audit log. Its absence never affects forwarding: the dataplane runs on its
// own and keeps its last policy; on restart this process resynchronises from
// the dataplane's status without re-pushing an identical policy.
#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include <prometheus/exposer.h>
// Boost 1.74 Asio uses std::exchange without including <utility> (C++20); a
// separate include block keeps clang-format from sorting it after Asio.
#include <utility>

#include <boost/asio.hpp>

#include "audit_log.hpp"
#include "dp_client.hpp"
#include "dp_metrics.hpp"
#include "git_info.hpp"
#include "image_store.hpp"
#include "log/log.hpp"
#include "mgmt/messages.hpp"
#include "options.hpp"
#include "policy_book.hpp"
#include "policy_source.hpp"
#include "policy_watcher.hpp"
#include "reload_metrics.hpp"
#include "reloader.hpp"
#include "state_file.hpp"

namespace asio = boost::asio;
using namespace wg;

int main(int argc, char** argv) {
    cp::Options opt;
    if (auto err = cp::parse_options(argc, argv, opt)) {
        wg::log::Line(wg::log::Level::Err, "controlplane") << *err;
        std::cerr << cp::usage();
        return 2;
    }
    if (opt.help) {
        std::cout << cp::usage();
        return 0;
    }
    if (opt.log_syslog) wg::log::use_stderr_and_syslog("wardgate-controlplane");
    std::signal(SIGPIPE, SIG_IGN);
    asio::io_context io;

    // Claim the pid file first: a second control plane must not fight the
    // first over the same dataplane and state file.
    std::unique_ptr<cp::PidFile> pidfile;
    if (!opt.policy_dir.empty()) {
        pidfile = std::make_unique<cp::PidFile>(opt.state_dir);
        if (auto err = pidfile->acquire()) {
            wg::log::Line(wg::log::Level::Err, "controlplane") << *err;
            return 1;
        }
    }

    auto book = std::make_shared<cp::PolicyBook>();
    auto dp_collector = std::make_shared<cp::DataplaneCollector>();
    auto reload_metrics = std::make_shared<cp::ReloadMetrics>();
    cp::AuditConfig acfg;
    acfg.file = opt.audit_file;
    acfg.syslog = opt.audit_syslog;
    acfg.per_source_per_sec = opt.audit_rate;
    acfg.burst = opt.audit_burst;
    acfg.summary_interval = std::chrono::seconds(opt.audit_summary_s);
    acfg.gateway = opt.gateway_name;
    auto audit = std::make_shared<cp::AuditLog>(acfg, book.get());
    if (auto err = audit->open()) {
        wg::log::Line(wg::log::Level::Err, "controlplane") << *err;
        return 1;
    }

    if (!cp::is_loopback_listen(opt.metrics_addr))
        wg::log::Line(wg::log::Level::Warning, "controlplane.metrics")
            << "note: metrics listener " << opt.metrics_addr
            << " is not loopback (configured explicitly)\n";
    std::unique_ptr<prometheus::Exposer> exposer;
    try {
        exposer = std::make_unique<prometheus::Exposer>(opt.metrics_addr, 1);
    } catch (const std::exception& e) {
        wg::log::Line(wg::log::Level::Err, "controlplane.metrics")
            << "cannot listen on " << opt.metrics_addr << ": " << e.what() << "\n";
        return 1;
    }
    exposer->RegisterCollectable(dp_collector);
    exposer->RegisterCollectable(audit);
    if (!opt.policy_dir.empty()) exposer->RegisterCollectable(reload_metrics);
    wg::log::Line(wg::log::Level::Notice, "controlplane.metrics")
        << "metrics on http://" << opt.metrics_addr << "/metrics";

    cp::DpClient client(io, opt.dataplane_socket);
    cp::ImageStore store(opt.image_store);
    std::unique_ptr<cp::Reloader> reloader;
    std::unique_ptr<cp::PolicyWatcher> watcher;
    bool first_attempt_done = false;
    asio::steady_timer startup(io);

    if (!opt.policy_dir.empty()) {
        cp::ReloaderConfig rc;
        rc.policy_dir = opt.policy_dir;
        rc.state_dir = opt.state_dir;
        rc.require_committed = opt.require_committed;
        rc.push_timeout = std::chrono::milliseconds(opt.push_timeout_ms);
        reloader = std::make_unique<cp::Reloader>(io, client, rc, cp::compile_policy_dir,
                                                  cp::decode_policy_image, &store,
                                                  reload_metrics.get(), book.get());
        reloader->on_done = [&](const cp::ReloadState&) { first_attempt_done = true; };

        watcher = std::make_unique<cp::PolicyWatcher>(io, opt.policy_dir,
                                                      std::chrono::milliseconds(opt.debounce_ms));
        if (opt.require_committed)
            if (auto gd = cp::git_dir(opt.policy_dir)) watcher->watch_git_dir(*gd);
        watcher->on_change = [&](const std::string& why) {
            reloader->request("policy changed: " + why);
        };
        if (auto err = watcher->start()) {
            wg::log::Line(wg::log::Level::Err, "controlplane") << *err;
            return 1;
        }
        wg::log::Line(wg::log::Level::Notice, "controlplane.watch")
            << "watching " << opt.policy_dir;
        // The first attempt normally runs on connect (so it can compare with
        // what the dataplane runs); if the dataplane is not there, still
        // compile and report within a few seconds.
        startup.expires_after(std::chrono::seconds(3));
        startup.async_wait([&](boost::system::error_code ec) {
            if (!ec && !first_attempt_done && !reloader->busy())
                reloader->request("startup (dataplane not reachable yet)");
        });
    }

    client.on_connect = [&] {
        if (reloader) reloader->request("dataplane connected");
    };
    client.on_disconnect = [&] { dp_collector->set_down(); };

    asio::steady_timer poll(io);
    std::function<void()> tick = [&] {
        if (client.connected()) {
            client.request(
                mgmt::MsgType::StatusRequest, {},
                [&](bool ok, const mgmt::Frame& st, const std::string&) {
                    if (!ok || st.type != mgmt::MsgType::StatusResponse)
                        return dp_collector->set_down();
                    client.request(
                        mgmt::MsgType::StatsRequest, {},
                        [&, st](bool ok2, const mgmt::Frame& f, const std::string&) {
                            if (!ok2 || f.type != mgmt::MsgType::StatsResponse)
                                return dp_collector->set_down();
                            try {
                                auto status = mgmt::decode_status(st.payload);
                                dp_collector->update(status, mgmt::decode_stats(f.payload));
                                // A policy change we did not make (another tool, a
                                // dataplane restart between polls): resynchronise.
                                if (reloader && !reloader->busy() && first_attempt_done &&
                                    (status.policy_generation != reloader->state().generation ||
                                     status.policy_hash != reloader->state().hash))
                                    reloader->request(
                                        "dataplane policy changed under us (generation " +
                                        std::to_string(status.policy_generation) + ")");
                            } catch (const std::exception& e) {
                                wg::log::Line(wg::log::Level::Warning, "controlplane.dataplane")
                                    << "bad stats: " << e.what() << "\n";
                                dp_collector->set_down();
                            }
                        });
                });
        }
        poll.expires_after(std::chrono::milliseconds(opt.poll_ms));
        poll.async_wait([&](boost::system::error_code ec) {
            if (!ec) tick();
        });
    };

    // Audit drain: frequent, so the dataplane's ring rarely overflows.
    asio::steady_timer audit_timer(io);
    bool audit_supported = true;
    std::function<void()> audit_tick =
        [&] {
            if (client.connected() && audit_supported) {
                client.request(
                    mgmt::MsgType::AuditDrainRequest, {},
                    [&](bool ok, const mgmt::Frame& f, const std::string&) {
                        if (!ok) return;
                        if (f.type == mgmt::MsgType::Error) {
                            // An older dataplane without audit support: stop asking.
                            std::cerr
                                << "wardgate-controlplane: dataplane does not serve audit events\n";
                            audit_supported = false;
                            return;
                        }
                        if (f.type != mgmt::MsgType::AuditDrainResponse) return;
                        try {
                            audit->ingest(mgmt::decode_audit_batch(f.payload));
                        } catch (const std::exception& e) {
                            std::cerr << "wardgate-controlplane: bad audit batch: " << e.what()
                                      << "\n";
                        }
                    });
            }
            audit->tick();
            audit_timer.expires_after(std::chrono::milliseconds(opt.audit_poll_ms));
            audit_timer.async_wait([&](boost::system::error_code ec) {
                if (!ec) audit_tick();
            });
        };
    client.on_connect = [&, prev = client.on_connect] {
        audit_supported = true;  // a new dataplane may support it
        prev();
    };

    asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
    signals.add(SIGUSR1);
    std::function<void()> wait_signal = [&] {
        signals.async_wait([&](boost::system::error_code ec, int sig) {
            if (ec) return;
            if (sig == SIGHUP) {
                if (reloader)
                    reloader->request("SIGHUP");
                else
                    wg::log::Line(wg::log::Level::Warning, "controlplane")
                        << "SIGHUP ignored (no --policy)";
                wait_signal();
                return;
            }
            if (sig == SIGUSR1) {
                if (auto err = audit->reopen())
                    wg::log::Line(wg::log::Level::Err, "controlplane.reload") << *err;
                wait_signal();
                return;
            }
            wg::log::Line(wg::log::Level::Notice, "controlplane") << "stopping on signal " << sig;
            poll.cancel();
            audit_timer.cancel();
            startup.cancel();
            if (watcher) watcher->stop();
            audit->tick(std::chrono::steady_clock::now(), true);  // flush pending summaries
            client.stop();
            io.stop();
        });
    };
    wait_signal();
    client.start();
    tick();
    audit_tick();
    io.run();
    return 0;
}
