#include "git_follow.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include <nlohmann/json.hpp>

#include "atomic_file.hpp"
#include "log/log.hpp"

namespace wg::cp {

namespace fs = std::filesystem;

namespace {

double now_unix() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string short_id(const std::string& c) {
    return c.substr(0, 12);
}

}  // namespace

GitFollower::GitFollower(GitFollowConfig cfg, ReloadMetrics* metrics)
    : cfg_(std::move(cfg)), metrics_(metrics) {
    if (metrics_) metrics_->enable_git();
}

GitFollower::~GitFollower() {
    stop();
}

std::optional<std::string> GitFollower::init() {
    std::error_code ec;
    fs::create_directories(cfg_.dir, ec);
    if (ec) return "cannot create " + cfg_.dir.string() + ": " + ec.message();
    if (auto e = policy::git::init_mirror(mirror())) return e;
    // The applied revision survives restarts: a force-push while the control
    // plane was down is still a force-push.
    std::ifstream f(cfg_.dir / "applied");
    std::string line;
    if (std::getline(f, line) && !line.empty()) {
        {
            std::lock_guard lk(mu_);
            applied_ = line;
        }
        // Until the next accepted reload, the revision metrics describe
        // what was applied before the restart (the dataplane still runs it).
        std::string signer, key;
        if (cfg_.require_signed) {
            auto s = policy::git::verify_commit(mirror(), line, cfg_.signers);
            signer = s.signer;
            key = s.key;
        }
        if (metrics_)
            metrics_->set_revision(line, signer, key,
                                   static_cast<double>(policy::git::commit_time(mirror(), line)));
    }
    return std::nullopt;
}

bool GitFollower::fetch() {
    policy::git::FetchResult r;
    {
        std::lock_guard g(git_mu_);
        r = policy::git::fetch(mirror(), cfg_.url, cfg_.branch);
    }
    if (metrics_) metrics_->record_fetch(r.error.empty(), r.commit, now_unix());
    if (!r.error.empty()) {
        wg::log::Line(wg::log::Level::Warning, "controlplane.git") << r.error;
        return false;
    }
    std::lock_guard lk(mu_);
    bool changed = r.commit != last_fetched_;
    last_fetched_ = r.commit;
    return changed;
}

void GitFollower::start(std::function<void(const std::string&)> on_change) {
    thread_ = std::thread([this, on_change] {
        std::unique_lock lk(mu_);
        while (!stopping_) {
            cv_.wait_for(lk, cfg_.interval, [this] { return poked_ || stopping_; });
            if (stopping_) break;
            bool poked = poked_;
            poked_ = false;
            lk.unlock();
            bool changed = fetch();
            std::string tip;
            {
                std::lock_guard l2(mu_);
                tip = last_fetched_;
            }
            if (changed)
                on_change("policy-git: new revision " + short_id(tip) + " on " + cfg_.branch);
            else if (poked)
                on_change("SIGHUP (policy-git fetched " + short_id(tip) + ")");
            lk.lock();
        }
    });
}

void GitFollower::poke() {
    {
        std::lock_guard lk(mu_);
        poked_ = true;
    }
    cv_.notify_all();
}

void GitFollower::stop() {
    {
        std::lock_guard lk(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

std::string GitFollower::applied() const {
    std::lock_guard lk(mu_);
    return applied_;
}

void GitFollower::audit(const std::string& event, const std::string& commit,
                        const std::string& reason, const std::string& detail) {
    if (cfg_.audit_file.empty()) return;
    nlohmann::ordered_json j;
    j["time"] = rfc3339_utc(static_cast<int64_t>(now_unix()));
    j["event"] = event;
    j["gateway"] = cfg_.gateway;
    j["commit"] = commit;
    j["reason"] = reason;
    j["detail"] = detail;
    std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    // O_APPEND: one write per line, interleaves safely with the audit log's own lines.
    int fd = ::open(cfg_.audit_file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) return;
    ssize_t n = ::write(fd, line.data(), line.size());
    (void)n;
    ::close(fd);
}

CompiledBundle GitFollower::refuse(const std::string& reason, const std::string& commit,
                                   const std::string& detail) {
    wg::log::Line(wg::log::Level::Err, "controlplane.git")
        << "refusing revision " << commit << " (" << reason << "): " << detail
        << "; the running policy stays";
    if (metrics_) metrics_->record_refusal(reason, commit);
    audit("policy-revision-refused", commit, reason, detail);
    CompiledBundle b;
    b.errors.push_back("policy-git: error[" + reason + "]: refusing revision " + commit + ": " +
                       detail);
    return b;
}

CompiledBundle GitFollower::compile() {
    std::string tip, signer, key;
    double time = 0;
    fs::path view = cfg_.dir / "view";
    {
        std::string applied;
        {
            std::lock_guard lk(mu_);
            applied = applied_;
            candidate_.reset();
        }
        bool fetched = false;
        {
            std::lock_guard lk(mu_);
            fetched = !last_fetched_.empty();
        }
        if (!fetched) fetch();  // the first attempt may come before the fetch thread's
        std::lock_guard g(git_mu_);
        auto t = policy::git::mirror_commit(mirror(), "refs/wardgate/fetched");
        if (!t) {
            CompiledBundle b;
            b.errors.push_back("policy-git: error[not-fetched]: no revision of branch '" +
                               cfg_.branch + "' of " + cfg_.url +
                               " has been fetched yet; the running policy stays");
            return b;
        }
        tip = *t;
        if (!applied.empty() && tip != applied && !policy::git::is_ancestor(mirror(), applied, tip))
            return refuse("not-fast-forward", tip,
                          "it does not descend from the applied revision " + applied +
                              " (force-push, rewritten history or a reset to an older "
                              "commit); revert with a new commit instead");
        if (cfg_.require_signed) {
            auto s = policy::git::verify_commit(mirror(), tip, cfg_.signers);
            if (!s.ok)
                return refuse(s.reason, tip,
                              std::string("signature check failed (git %G? = ") + s.status +
                                  (s.signer.empty() ? "" : ", signer " + s.signer) +
                                  (s.key.empty() ? "" : ", key " + s.key) +
                                  "); only commits signed by an allowed key are applied");
            signer = s.signer;
            key = s.key;
        }
        time = static_cast<double>(policy::git::commit_time(mirror(), tip));
        std::error_code ec;
        fs::remove_all(view, ec);
        if (auto e = policy::git::export_commit(mirror(), tip, view))
            return refuse("export-failed", tip, *e);
    }
    auto b = compile_gateway_view(view, cfg_.gateway, tip);
    if (b.ok) {
        std::lock_guard lk(mu_);
        candidate_ = Candidate{tip, signer, key, time};
        if (metrics_) metrics_->clear_refused();
    } else {
        audit("policy-revision-rejected", tip, "compile", b.errors.empty() ? "" : b.errors.front());
    }
    if (b.commit.empty()) b.commit = tip;
    return b;
}

void GitFollower::on_reload_done(const ReloadState& st) {
    std::optional<Candidate> c;
    {
        std::lock_guard lk(mu_);
        c = candidate_;
        candidate_.reset();
    }
    if (!c || (st.last_result != "ok" && st.last_result != "unchanged")) return;
    bool moved = false;
    {
        std::lock_guard lk(mu_);
        moved = applied_ != c->commit;
        applied_ = c->commit;
        applied_info_ = c;
    }
    if (metrics_) metrics_->set_revision(c->commit, c->signer, c->key, c->time);
    if (!moved) return;
    if (auto e = write_file_atomic(cfg_.dir / "applied", c->commit + "\n", 0644))
        wg::log::Line(wg::log::Level::Err, "controlplane.git")
            << "cannot record the applied revision: " << *e;
    wg::log::Line(wg::log::Level::Notice, "controlplane.git")
        << "applied revision " << c->commit
        << (c->signer.empty() ? std::string() : " signed by " + c->signer);
    audit("policy-revision-applied", c->commit, "", c->signer);
}

}  // namespace wg::cp
