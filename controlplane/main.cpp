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

#include "audit_drainer.hpp"
#include "audit_log.hpp"
#include "dp_client.hpp"
#include "dp_metrics.hpp"
#include "flow_record.hpp"
#include "git_follow.hpp"
#include "image_store.hpp"
#include "log/log.hpp"
#include "metrics_server.hpp"
#include "mgmt/messages.hpp"
#include "options.hpp"
#include "policy/git.hpp"
#include "policy_book.hpp"
#include "policy_source.hpp"
#include "policy_watcher.hpp"
#include "reload_metrics.hpp"
#include "reloader.hpp"
#include "resync.hpp"
#include "staged_metrics.hpp"
#include "staged_reloader.hpp"
#include "state_file.hpp"
#include "stats_poller.hpp"

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
    // A policy to manage: a directory, or a git remote followed (fleet).
    const bool manage = !opt.policy_dir.empty() || !opt.policy_git.empty();
    std::unique_ptr<cp::PidFile> pidfile;
    if (manage) {
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
    auto staged_book = std::make_shared<cp::PolicyBook>();
    auto audit = std::make_shared<cp::AuditLog>(acfg, book.get());
    audit->set_staged_book(staged_book.get());
    if (auto err = audit->open()) {
        wg::log::Line(wg::log::Level::Err, "controlplane") << *err;
        return 1;
    }

    if (!cp::is_loopback_listen(opt.metrics_addr))
        wg::log::Line(wg::log::Level::Warning, "controlplane.metrics")
            << "note: metrics listener " << opt.metrics_addr
            << " is not loopback (configured explicitly)";
    std::unique_ptr<cp::MetricsServer> exposer;
    try {
        exposer = cp::make_metrics_server(opt.metrics_addr);
    } catch (const std::exception& e) {
        wg::log::Line(wg::log::Level::Err, "controlplane.metrics")
            << "cannot listen on " << opt.metrics_addr << ": " << e.what();
        return 1;
    }
    exposer->RegisterCollectable(dp_collector);
    exposer->RegisterCollectable(audit);
    if (manage) exposer->RegisterCollectable(reload_metrics);
    if (!opt.gateway_name.empty()) reload_metrics->set_gateway(opt.gateway_name);
    wg::log::Line(wg::log::Level::Notice, "controlplane.metrics")
        << "metrics on http://" << opt.metrics_addr << "/metrics";

    cp::DpClient client(io, opt.dataplane_socket);
    cp::ImageStore store(opt.image_store);
    std::unique_ptr<cp::Reloader> reloader;
    std::unique_ptr<cp::PolicyWatcher> watcher;
    std::unique_ptr<cp::GitFollower> follower;
    asio::steady_timer startup(io);

    if (!opt.policy_git.empty()) {
        cp::GitFollowConfig gc;
        gc.url = opt.policy_git;
        gc.branch = opt.policy_branch;
        gc.gateway = opt.gateway;
        gc.dir = std::filesystem::path(opt.state_dir) / "policy-git";
        gc.require_signed = opt.require_signed;
        gc.signers.allowed_signers = opt.allowed_signers;
        gc.signers.gpg_home = opt.gpg_home;
        gc.audit_file = opt.audit_file;
        gc.interval = std::chrono::seconds(opt.policy_fetch_s);
        follower = std::make_unique<cp::GitFollower>(gc, reload_metrics.get());
        if (auto err = follower->init()) {
            wg::log::Line(wg::log::Level::Err, "controlplane") << *err;
            return 1;
        }
        cp::ReloaderConfig rc;
        rc.policy_dir = gc.dir;
        rc.state_dir = opt.state_dir;
        rc.push_timeout = std::chrono::milliseconds(opt.push_timeout_ms);
        auto* f = follower.get();
        reloader = std::make_unique<cp::Reloader>(
            io, client, rc, [f](const std::filesystem::path&) { return f->compile(); },
            cp::decode_policy_image, &store, reload_metrics.get(), book.get());
        follower->start([&io, &reloader](const std::string& why) {
            asio::post(io, [&reloader, why] {
                if (reloader) reloader->request(why);
            });
        });
        wg::log::Line(wg::log::Level::Notice, "controlplane.git")
            << "following " << opt.policy_git << " branch " << opt.policy_branch << " as gateway "
            << opt.gateway << (opt.require_signed ? " (signed revisions only)" : "");
    }

    if (!opt.policy_dir.empty()) {
        cp::ReloaderConfig rc;
        rc.policy_dir = opt.policy_dir;
        rc.state_dir = opt.state_dir;
        rc.require_committed = opt.require_committed;
        rc.push_timeout = std::chrono::milliseconds(opt.push_timeout_ms);
        cp::CompileFn compile = cp::compile_policy_dir;
        if (!opt.gateway.empty())  // a local checkout of a fleet repository
            compile = [gw = opt.gateway](const std::filesystem::path& d) {
                return cp::compile_gateway_view(d, gw);
            };
        reloader = std::make_unique<cp::Reloader>(io, client, rc, compile, cp::decode_policy_image,
                                                  &store, reload_metrics.get(), book.get());
        watcher = std::make_unique<cp::PolicyWatcher>(io, opt.policy_dir,
                                                      std::chrono::milliseconds(opt.debounce_ms));
        if (opt.require_committed)
            if (auto gd = policy::git::git_dir(opt.policy_dir)) watcher->watch_git_dir(*gd);
        watcher->on_change = [&](const std::string& why) {
            reloader->request("policy changed: " + why);
        };
        if (auto err = watcher->start()) {
            wg::log::Line(wg::log::Level::Err, "controlplane") << *err;
            return 1;
        }
        wg::log::Line(wg::log::Level::Notice, "controlplane.watch")
            << "watching " << opt.policy_dir;
    }

    // The staged policy (issue 13 part 3): its own watcher and reloader; a bad
    // staged policy is reported and never reaches the enforced pipeline.
    std::unique_ptr<cp::StagedReloader> staged;
    std::unique_ptr<cp::PolicyWatcher> staged_watcher, staged_refs_watcher;
    auto staged_metrics = std::make_shared<cp::StagedLoadMetrics>();
    if (!opt.staged_policy_dir.empty() || !opt.staged_policy_branch.empty()) {
        cp::StagedConfig sc;
        sc.dir = opt.staged_policy_branch.empty() ? opt.staged_policy_dir : opt.policy_dir;
        sc.branch = opt.staged_policy_branch;
        sc.view = std::filesystem::path(opt.state_dir) / "staged-view";
        cp::CompileFn compile = cp::compile_policy_dir;
        if (!opt.gateway.empty())
            compile = [gw = opt.gateway](const std::filesystem::path& d) {
                return cp::compile_gateway_view(d, gw);
            };
        staged = std::make_unique<cp::StagedReloader>(io, client, sc, compile, staged_book.get());
        staged->on_done = [&](const cp::StagedState& st) { staged_metrics->update(st); };
        exposer->RegisterCollectable(staged_metrics);
        staged_watcher = std::make_unique<cp::PolicyWatcher>(
            io, sc.dir, std::chrono::milliseconds(opt.debounce_ms));
        if (!sc.branch.empty())  // a checkout, merge or reset moves HEAD/index
            if (auto gd = policy::git::git_dir(sc.dir)) {
                staged_watcher->watch_git_dir(*gd);
                // A commit to the staged branch (not checked out) only moves
                // refs/heads/BRANCH: watch the refs too (packed refs: above).
                staged_refs_watcher = std::make_unique<cp::PolicyWatcher>(
                    io, *gd / "refs" / "heads", std::chrono::milliseconds(opt.debounce_ms));
                staged_refs_watcher->on_change = [&](const std::string& why) {
                    staged->request("staged branch moved: " + why);
                };
                if (auto err = staged_refs_watcher->start()) {
                    wg::log::Line(wg::log::Level::Err, "controlplane") << *err;
                    return 1;
                }
            }
        staged_watcher->on_change = [&](const std::string& why) {
            staged->request("staged policy changed: " + why);
        };
        if (auto err = staged_watcher->start()) {
            wg::log::Line(wg::log::Level::Err, "controlplane") << *err;
            return 1;
        }
        wg::log::Line(wg::log::Level::Notice, "controlplane.staged")
            << "staging "
            << (sc.branch.empty() ? sc.dir.string()
                                  : "branch " + sc.branch + " of " + sc.dir.string());
    }

    // Who reacts to what, in one place: each event has one handler chain.
    cp::Resync resync(reloader.get());
    cp::StatsPoller stats(io, client, *dp_collector, std::chrono::milliseconds(opt.poll_ms));
    cp::FlowRecord flow_record(opt.state_dir);  // wardgate learn --live; outlives the drainer
    if (!flow_record.load_error().empty())
        wg::log::Line(wg::log::Level::Warning, "controlplane.learn") << flow_record.load_error();
    cp::AuditDrainer drainer(io, client, *audit, std::chrono::milliseconds(opt.audit_poll_ms));
    drainer.on_batch = [&](const mgmt::AuditBatch& b) { flow_record.ingest(b); };
    if (reloader)
        reloader->on_done = [&](const cp::ReloadState& st) {
            if (follower) follower->on_reload_done(st);
            resync.on_reload_done();
        };
    stats.on_status = [&](const mgmt::Status& st) { resync.on_status(st); };
    client.on_connect = [&] {
        drainer.on_connect();
        resync.on_connect();
        if (staged) staged->on_connect();  // a restarted dataplane has no staged policy
    };
    client.on_disconnect = [&] { dp_collector->set_down(); };
    if (reloader) {
        // The first attempt normally runs on connect (so it can compare with
        // what the dataplane runs); if the dataplane is not there, still
        // compile and report within a few seconds.
        startup.expires_after(std::chrono::seconds(3));
        startup.async_wait([&](boost::system::error_code ec) {
            if (!ec) resync.on_startup_timeout();
        });
    }

    asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
    signals.add(SIGUSR1);
    std::function<void()> wait_signal = [&] {
        signals.async_wait([&](boost::system::error_code ec, int sig) {
            if (ec) return;
            if (sig == SIGHUP) {
                if (staged) staged->request("SIGHUP");
                if (follower)
                    follower->poke();  // fetch now, then reload
                else if (reloader)
                    reloader->request("SIGHUP");
                else if (!staged)
                    wg::log::Line(wg::log::Level::Warning, "controlplane")
                        << "SIGHUP ignored (no --policy)";
                wait_signal();
                return;
            }
            if (sig == SIGUSR1) {
                if (auto err = audit->reopen())
                    wg::log::Line(wg::log::Level::Err, "controlplane") << *err;
                wait_signal();
                return;
            }
            wg::log::Line(wg::log::Level::Notice, "controlplane") << "stopping on signal " << sig;
            stats.stop();
            drainer.stop();
            startup.cancel();
            if (watcher) watcher->stop();
            if (staged_watcher) staged_watcher->stop();
            if (staged_refs_watcher) staged_refs_watcher->stop();
            if (follower) follower->stop();
            audit->tick(std::chrono::steady_clock::now(), true);  // flush pending summaries
            client.stop();
            io.stop();
        });
    };
    wait_signal();
    client.start();
    stats.start();
    drainer.start();
    io.run();
    return 0;
}
