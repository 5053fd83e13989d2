// The staged policy (issue 13 part 3): a second policy directory, or a
// branch of the enforced policy's git repository, compiled off the io thread
// like the enforced one and pushed to the dataplane as its staged generation
// (StagedPolicyRequest). The dataplane judges new flows with it too and
// counts where the two disagree; nothing here ever touches the enforced
// policy: a staged policy that does not compile, or that the dataplane
// refuses, is logged and counted and the previous staged policy stays.
//
// Promotion is a git merge of the staged branch into the enforced one: the
// enforced policy reloads with the staged content, the two agree, and the
// differences stop growing. The staged policy is kept (and evaluated) after
// that: nothing is cleared behind the operator's back; the status and the
// wardgate_staged_policy_identical gauge say that it equals the enforced one.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

// Boost 1.74 Asio uses std::exchange without including <utility> (C++20); a
// separate include block keeps clang-format from sorting it after Asio.
#include <utility>

#include <boost/asio.hpp>

#include "dp_client.hpp"
#include "policy_book.hpp"
#include "policy_source.hpp"

namespace wg::cp {

struct StagedConfig {
    std::filesystem::path dir;   // the staged policy directory, or the repository of `branch`
    std::string branch;          // "" = compile `dir` as it is; else that branch's tree
    std::filesystem::path view;  // where a branch's tree is exported (STATE/staged-view)
};

// Compiles the staged source: `dir` itself, or the tree of `branch` in the
// repository holding `dir`, exported with the safe git runner into `view`
// (the commit is recorded as the policy's commit).
CompiledBundle compile_staged(const StagedConfig& cfg, const CompileFn& compile);

struct StagedState {
    uint64_t attempts = 0, failures = 0;
    bool ok = false;           // the last attempt installed (or kept) a staged policy
    uint64_t generation = 0;   // staged generation in the dataplane, 0 = none
    std::string hash, commit;  // of the staged policy the dataplane has
    std::string error;         // why the last attempt failed
};

class StagedReloader {
  public:
    StagedReloader(boost::asio::io_context& io, DpClient& dp, StagedConfig cfg, CompileFn compile,
                   PolicyBook* book);
    ~StagedReloader();
    StagedReloader(const StagedReloader&) = delete;
    StagedReloader& operator=(const StagedReloader&) = delete;

    // Compile and push (coalesced while one attempt runs). On reconnect the
    // last good staged image is pushed again (a restarted dataplane has none).
    void request(const std::string& why);
    void on_connect();
    const StagedState& state() const { return state_; }
    std::function<void(const StagedState&)> on_done;

  private:
    void start(std::string why);
    void decide(std::shared_ptr<CompiledBundle> b, std::string why);
    void push(const CompiledBundle& b, std::string why);
    void finish();

    boost::asio::io_context& io_;
    DpClient& dp_;
    StagedConfig cfg_;
    CompileFn compile_;
    PolicyBook* book_;
    bool busy_ = false;
    std::optional<std::string> queued_;
    std::optional<CompiledBundle> good_;  // last staged policy that compiled
    StagedState state_;
    std::thread worker_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace wg::cp
