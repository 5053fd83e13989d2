#include "staged_reloader.hpp"

#include <system_error>

#include "log/log.hpp"
#include "mgmt/messages.hpp"
#include "policy/git.hpp"

namespace wg::cp {

CompiledBundle compile_staged(const StagedConfig& cfg, const CompileFn& compile) {
    if (cfg.branch.empty()) return compile(cfg.dir);
    CompiledBundle b;
    const auto commit = policy::git::resolve_commit(cfg.dir, cfg.branch);
    if (!commit) {
        b.errors.push_back(cfg.dir.string() + ": staged branch '" + cfg.branch +
                           "' does not resolve to a commit");
        return b;
    }
    std::error_code ec;
    std::filesystem::remove_all(cfg.view, ec);
    if (auto err = policy::git::export_tree(cfg.dir, *commit, cfg.view)) {
        b.errors.push_back(cfg.dir.string() + ": cannot export staged branch '" + cfg.branch +
                           "': " + *err);
        return b;
    }
    b = compile(cfg.view);
    if (b.ok && b.policy) {
        // The export has no .git: the branch's commit is the policy's.
        auto p = std::make_shared<policy::CompiledPolicy>(*b.policy);
        p->commit = *commit;
        b.commit = *commit;
        b.policy = std::move(p);
    }
    return b;
}

StagedReloader::StagedReloader(boost::asio::io_context& io, DpClient& dp, StagedConfig cfg,
                               CompileFn compile, PolicyBook* book)
    : io_(io), dp_(dp), cfg_(std::move(cfg)), compile_(std::move(compile)), book_(book) {}

StagedReloader::~StagedReloader() {
    *alive_ = false;
    if (worker_.joinable()) worker_.join();
}

void StagedReloader::request(const std::string& why) {
    if (busy_) {
        queued_ = queued_ ? *queued_ + ", " + why : why;
        return;
    }
    start(why);
}

void StagedReloader::on_connect() {
    request("dataplane connected");
}

void StagedReloader::start(std::string why) {
    busy_ = true;
    ++state_.attempts;
    if (worker_.joinable()) worker_.join();
    worker_ =
        std::thread([this, why = std::move(why), alive = alive_, cfg = cfg_, compile = compile_] {
            auto b = std::make_shared<CompiledBundle>();
            try {
                *b = compile_staged(cfg, compile);
            } catch (const std::exception& e) {
                *b = CompiledBundle{};
                b->errors.push_back(cfg.dir.string() + ": internal error: " + e.what());
            }
            boost::asio::post(io_, [this, b, why, alive] {
                if (*alive) decide(b, why);
            });
        });
}

void StagedReloader::decide(std::shared_ptr<CompiledBundle> b, std::string why) {
    if (!b->ok) {
        ++state_.failures;
        state_.ok = false;
        state_.error = b->errors.empty() ? "staged policy did not compile" : b->errors.front();
        wg::log::Line l(wg::log::Level::Err, "controlplane.staged");
        l << "staged policy rejected (" << why << "), the previous staged policy stays";
        if (state_.generation == 0) l << " (none)";
        l << "; the enforced policy is not affected:";
        for (const auto& e : b->errors) l << "\n  " << e;
        finish();
        return;
    }
    good_ = *b;
    push(*b, std::move(why));
}

void StagedReloader::push(const CompiledBundle& b, std::string why) {
    if (!dp_.connected()) {
        state_.error = "dataplane not connected";
        finish();
        return;
    }
    mgmt::StagedPolicyRequest req;
    req.image = b.image;
    auto policy = b.policy;
    const std::string hash = b.hash, commit = b.commit;
    dp_.request(
        mgmt::MsgType::StagedPolicyRequest, mgmt::encode(req),
        [this, policy, hash, commit, why](bool ok, const mgmt::Frame& f, const std::string& err) {
            std::string error;
            if (!ok) {
                error = err;
            } else if (f.type == mgmt::MsgType::Error) {
                try {
                    error = "dataplane: " + mgmt::decode_error(f.payload).message;
                } catch (const std::exception& e) {
                    error = std::string("dataplane: malformed error: ") + e.what();
                }
            } else if (f.type != mgmt::MsgType::StagedPolicyResponse) {
                error = "unexpected response type";
            } else {
                try {
                    auto r = mgmt::decode_load_policy_response(f.payload);
                    if (r.ok) {
                        state_.generation = r.generation;
                        state_.hash = hash;
                        state_.commit = commit;
                        if (book_ && policy) book_->add(r.generation, policy);
                    } else {
                        error = "dataplane refused the staged policy: " + r.error;
                    }
                } catch (const std::exception& e) {
                    error = std::string("malformed staged response: ") + e.what();
                }
            }
            state_.ok = error.empty();
            state_.error = error;
            if (!error.empty()) {
                ++state_.failures;
                wg::log::Line(wg::log::Level::Err, "controlplane.staged")
                    << "staged policy not installed (" << why << "): " << error;
            } else {
                wg::log::Line(wg::log::Level::Notice, "controlplane.staged")
                    << "staged policy " << hash.substr(0, 12)
                    << (commit.empty() ? "" : " commit " + commit.substr(0, 12))
                    << " installed as staged generation " << state_.generation << " (" << why
                    << ")";
            }
            finish();
        });
}

void StagedReloader::finish() {
    busy_ = false;
    if (on_done) on_done(state_);
    if (queued_) {
        std::string why = std::move(*queued_);
        queued_.reset();
        start(std::move(why));
    }
}

}  // namespace wg::cp
