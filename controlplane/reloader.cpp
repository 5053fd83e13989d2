#include "reloader.hpp"

#include <unistd.h>

#include <chrono>
#include <iostream>
#include <sstream>

#include "log/log.hpp"
#include "policy/git.hpp"
#include "sys/process_identity.hpp"

namespace wg::cp {

namespace {
double now_unix() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}
std::string short_hash(const std::string& h) {
    return h.substr(0, 12);
}
}  // namespace

Reloader::Reloader(boost::asio::io_context& io, DpClient& dp, ReloaderConfig cfg, CompileFn compile,
                   DecodeFn decode, ImageStore* store, ReloadMetrics* metrics, PolicyBook* book)
    : io_(io),
      dp_(dp),
      cfg_(std::move(cfg)),
      compile_(std::move(compile)),
      decode_(std::move(decode)),
      store_(store),
      metrics_(metrics),
      book_(book) {
    state_.pid = static_cast<uint32_t>(::getpid());
    if (auto id = sys::process_identity(::getpid())) {
        state_.start_time = id->start_time;
        state_.exe = id->exe;
    }
}

Reloader::~Reloader() {
    *alive_ = false;
    if (worker_.joinable()) worker_.join();
}

void Reloader::request(const std::string& why) {
    if (busy_) {
        // Coalesce: whatever changed meanwhile is picked up by one more pass.
        queued_ = queued_ ? *queued_ + ", " + why : why;
        return;
    }
    start(why);
}

void Reloader::start(std::string why) {
    busy_ = true;
    auto a = std::make_shared<Attempt>();
    a->why = std::move(why);
    if (!dp_.connected()) {
        compile_and_decide(a);
        return;
    }
    dp_.request(mgmt::MsgType::StatusRequest, {},
                [this, a](bool ok, const mgmt::Frame& f, const std::string&) {
                    if (ok && f.type == mgmt::MsgType::StatusResponse) {
                        try {
                            a->dp_status = mgmt::decode_status(f.payload);
                            adopt_running(*a->dp_status);
                        } catch (const std::exception& e) {
                            wg::log::Line(wg::log::Level::Warning, "controlplane.reload")
                                << "bad status from dataplane: " << e.what() << "\n";
                        }
                    }
                    compile_and_decide(a);
                });
}

// Learn what the dataplane runs, so its audit events can be named even if it
// loaded the policy from disk before we started.
void Reloader::adopt_running(const mgmt::Status& st) {
    state_.generation = st.policy_generation;
    state_.hash = st.policy_hash;
    state_.commit = st.policy_commit;
    if (metrics_) metrics_->set_running(st.policy_generation, st.policy_commit, st.policy_hash);
    if (!book_ || st.policy_generation == 0 || book_->find(st.policy_generation)) return;
    if (good_ && good_->hash == st.policy_hash) {
        book_->add(st.policy_generation, good_->policy);
        return;
    }
    if (store_ && decode_) {
        if (auto img = store_->load())
            if (auto p = decode_(*img); p && p->content_hash == st.policy_hash)
                book_->add(st.policy_generation, p);
    }
}

void Reloader::compile_and_decide(std::shared_ptr<Attempt> a) {
    // The previous worker has posted its result (one attempt at a time), so
    // this join returns at once.
    if (worker_.joinable()) worker_.join();
    worker_ = std::thread([this, a, alive = alive_, compile = compile_, dir = cfg_.policy_dir,
                           require_committed = cfg_.require_committed] {
        // The compiler asks git for HEAD once; the committed check compares
        // the work tree with that same commit (not with a second, possibly
        // newer, answer).
        try {
            a->bundle = compile(dir);
            if (require_committed) a->dirty = policy::git::uncommitted(dir, a->bundle.commit);
        } catch (const std::exception& e) {
            a->bundle = CompiledBundle{};
            a->bundle.errors.push_back(dir.string() + ": internal error: " + e.what());
        }
        // `alive` is only read on the io thread, where the destructor runs too.
        boost::asio::post(io_, [this, a, alive] {
            if (*alive) decide(a);
        });
    });
}

void Reloader::decide(std::shared_ptr<Attempt> a) {
    if (cfg_.require_committed) {
        const auto& dirty = a->dirty;
        if (!dirty) {
            a->errors.push_back(cfg_.policy_dir.string() +
                                ": error[not-committed]: --require-committed is set but the "
                                "policy directory is not in a git work tree (or git refused "
                                "it: see WARDGATE_GIT_SAFE_DIRECTORY)");
            reject(a);
            return;
        }
        if (!dirty->empty()) {
            for (const auto& line : *dirty)
                a->errors.push_back((line.size() > 3 ? line.substr(3) : line) +
                                    ": error[not-committed]: uncommitted change (git status '" +
                                    line.substr(0, 2) +
                                    "'); commit it (or revert it) before it can be enforced");
            reject(a);
            return;
        }
        if (a->bundle.ok && a->bundle.commit.empty()) {
            a->errors.push_back(cfg_.policy_dir.string() +
                                ": error[not-committed]: --require-committed is set but the "
                                "repository has no commit");
            reject(a);
            return;
        }
    }
    if (!a->bundle.ok) {
        a->errors = a->bundle.errors;
        reject(a);
        return;
    }
    good_ = a->bundle;
    if (a->dp_status && a->dp_status->policy_hash == a->bundle.hash) {
        // Identical content already enforced: no push (and no generation bump).
        if (book_ && a->dp_status->policy_generation)
            book_->add(a->dp_status->policy_generation, a->bundle.policy);
        persist(a->bundle.image);
        finish(a, ReloadResult::Unchanged);
        return;
    }
    if (!dp_.connected()) {
        a->errors.push_back(
            "dataplane not connected: the policy compiled and will be pushed "
            "when the dataplane connects");
        finish(a, ReloadResult::PushFailed);
        return;
    }
    push(a, ReloadResult::Ok);
}

void Reloader::reject(std::shared_ptr<Attempt> a) {
    // The edit never reaches the dataplane. But if the dataplane runs
    // something other than our last good policy (it restarted without the
    // image store, or was fed by someone else), restore the last good one.
    if (good_ && a->dp_status && a->dp_status->policy_hash != good_->hash && dp_.connected()) {
        wg::log::Line(wg::log::Level::Warning, "controlplane.reload")
            << "dataplane runs hash " << short_hash(a->dp_status->policy_hash)
            << ", restoring last good " << short_hash(good_->hash) << "\n";
        a->bundle = *good_;
        push(a, ReloadResult::Rejected);
        return;
    }
    finish(a, ReloadResult::Rejected);
}

void Reloader::push(std::shared_ptr<Attempt> a, ReloadResult on_success) {
    mgmt::LoadPolicyRequest req{a->bundle.image};
    dp_.request(
        mgmt::MsgType::LoadPolicyRequest, mgmt::encode(req),
        [this, a, on_success](bool ok, const mgmt::Frame& f, const std::string& err) {
            if (!ok) {
                a->errors.push_back("push to dataplane failed: " + err);
                finish(a, ReloadResult::PushFailed);
                return;
            }
            try {
                if (f.type == mgmt::MsgType::Error) {
                    auto e = mgmt::decode_error(f.payload);
                    a->errors.push_back("dataplane refused the policy: " + e.message);
                    finish(a, ReloadResult::PushFailed);
                    return;
                }
                if (f.type != mgmt::MsgType::LoadPolicyResponse) {
                    a->errors.push_back("dataplane answered the push with message type " +
                                        std::to_string(static_cast<unsigned>(f.type)));
                    finish(a, ReloadResult::PushFailed);
                    return;
                }
                auto resp = mgmt::decode_load_policy_response(f.payload);
                if (!resp.ok) {
                    a->errors.push_back("dataplane refused the policy: " + resp.error);
                    finish(a, ReloadResult::PushFailed);
                    return;
                }
                state_.generation = resp.generation;
                state_.hash = a->bundle.hash;
                state_.commit = a->bundle.commit;
                if (book_) book_->add(resp.generation, a->bundle.policy);
                if (metrics_)
                    metrics_->set_running(resp.generation, a->bundle.commit, a->bundle.hash);
                persist(a->bundle.image);
                finish(a, on_success);
            } catch (const std::exception& e) {
                a->errors.push_back(std::string("bad answer from dataplane: ") + e.what());
                finish(a, ReloadResult::PushFailed);
            }
        },
        cfg_.push_timeout);
}

void Reloader::persist(const std::vector<uint8_t>& image) {
    if (!store_) return;
    auto err = store_->save(image);
    if (err)
        wg::log::Line(wg::log::Level::Err, "controlplane.reload")
            << "cannot persist the policy image: " << *err << "\n";
    if (metrics_) metrics_->set_persist_failed(err.has_value());
}

void Reloader::write_state_file() {
    auto err = write_state(cfg_.state_dir, state_);
    if (err) {
        // The old file would keep claiming a generation the dataplane may no
        // longer run (the push just succeeded). Removing needs no space, so
        // it works on a full disk: no file beats a wrong one.
        auto path = cfg_.state_dir / "controlplane.json";
        std::error_code ec;
        std::filesystem::remove(path, ec);
        wg::log::Line(wg::log::Level::Err, "controlplane.reload")
            << "cannot write state file: " << *err << "; "
            << (ec ? "could not remove the stale " + path.string() + ": " + ec.message()
                   : "removed the stale " + path.string());
    }
    if (metrics_) metrics_->set_state_file_failed(err.has_value());
}

void Reloader::finish(std::shared_ptr<Attempt> a, ReloadResult r) {
    double t = now_unix();
    ++state_.reloads;
    state_.last_result = result_name(r);
    state_.errors = a->errors;
    state_.time_unix = static_cast<int64_t>(t);
    if (metrics_) metrics_->record(r, t, a->errors.size());

    std::ostringstream msg;
    msg << "reload #" << state_.reloads << " (" << a->why << "): " << state_.last_result;
    if (r == ReloadResult::Ok || r == ReloadResult::Unchanged)
        msg << ", generation " << state_.generation << ", hash " << short_hash(state_.hash)
            << ", commit " << (state_.commit.empty() ? "(none)" : state_.commit);
    else
        msg << "; the running policy (generation " << state_.generation << ") stays";
    wg::log::Line(r == ReloadResult::Ok || r == ReloadResult::Unchanged ? wg::log::Level::Notice
                                                                        : wg::log::Level::Err,
                  "controlplane.reload")
        << msg.str();
    for (const auto& w : a->bundle.warnings)
        wg::log::Line(wg::log::Level::Warning, "controlplane.reload") << "  " << w;
    for (const auto& e : a->errors)
        wg::log::Line(wg::log::Level::Err, "controlplane.reload") << "  " << e;

    if (!cfg_.state_dir.empty()) write_state_file();
    busy_ = false;
    if (on_done) on_done(state_);
    if (queued_) {
        auto why = std::move(*queued_);
        queued_.reset();
        // Posted, not called: keeps the stack flat and lets pending I/O run.
        boost::asio::post(io_, [this, why] { request(why); });
    }
}

}  // namespace wg::cp
