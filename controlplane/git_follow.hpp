// Following a policy git remote (--policy-git URL --gateway NAME): a bare
// mirror under STATE_DIR/policy-git, fetched on a timer and on SIGHUP, and
// the Reloader's compile step for the fetched revision:
//   - fast-forward only: a tip that does not descend from the applied
//     revision (force-push, rewritten history, a reset to an older commit)
//     is refused, never applied;
//   - --require-signed: the tip must verify (git verify-commit) against the
//     allowed-signers file / GnuPG keyring named by wardgate's options;
//   - then gateway NAME's view of that revision is compiled as usual, and a
//     bad revision keeps the last good policy (the Reloader's rule).
// Refusals are logged, counted (wardgate_policy_revision_refused_total) and
// written to the audit log. See docs/fleet.md.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "policy/git.hpp"
#include "policy_source.hpp"
#include "reload_metrics.hpp"
#include "state_file.hpp"

namespace wg::cp {

struct GitFollowConfig {
    std::string url, branch = "main", gateway;
    std::filesystem::path dir;  // STATE_DIR/policy-git: mirror/, view/, applied
    bool require_signed = false;
    policy::git::SignerConfig signers;
    std::string audit_file;  // refusals are appended here too ("" = log and metrics only)
    std::chrono::seconds interval{60};
};

class GitFollower {
  public:
    GitFollower(GitFollowConfig cfg, ReloadMetrics* metrics);
    ~GitFollower();
    GitFollower(const GitFollower&) = delete;
    GitFollower& operator=(const GitFollower&) = delete;

    // Creates the mirror and reads the applied revision. An error message on failure.
    std::optional<std::string> init();

    // Fetches now; true if the fetched tip differs from the one fetched before.
    bool fetch();

    // The fetch thread: fetches every interval and when poked; calls
    // `on_change(why)` (from that thread) when the tip moved or after a poke.
    void start(std::function<void(const std::string&)> on_change);
    void poke();
    void stop();

    // The Reloader's CompileFn (its worker thread): judge and compile the
    // fetched tip. The path argument is ignored.
    CompiledBundle compile();

    // After each reload attempt (io thread): an accepted result makes the
    // compiled candidate the applied revision (persisted).
    void on_reload_done(const ReloadState& st);

    std::string applied() const;

  private:
    CompiledBundle refuse(const std::string& reason, const std::string& commit,
                          const std::string& detail);
    void audit(const std::string& event, const std::string& commit, const std::string& reason,
               const std::string& detail);
    std::filesystem::path mirror() const { return cfg_.dir / "mirror"; }

    GitFollowConfig cfg_;
    ReloadMetrics* metrics_;
    std::mutex git_mu_;  // one git operation on the mirror at a time
    mutable std::mutex mu_;
    std::string applied_, last_fetched_;
    struct Candidate {
        std::string commit, signer, key;
        double time = 0;
    };
    std::optional<Candidate> candidate_, applied_info_;
    // fetch thread
    std::thread thread_;
    std::condition_variable cv_;
    bool poked_ = false, stopping_ = false;
};

}  // namespace wg::cp
