// The reload pipeline: (optionally) refuse an uncommitted tree, compile,
// compare with what the dataplane runs, push, wait for the acknowledgement,
// persist the image, publish the outcome (state file, metrics, log).
//
// One attempt at a time; triggers arriving meanwhile (inotify, SIGHUP,
// reconnect) are coalesced into one follow-up attempt. Every attempt starts
// by asking the dataplane which policy it runs, so a restarted control plane
// (or a restarted dataplane that loaded the persisted image) is resynchronised
// without a re-push when the hashes agree.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dp_client.hpp"
#include "image_store.hpp"
#include "mgmt/messages.hpp"
#include "policy_book.hpp"
#include "policy_source.hpp"
#include "reload_metrics.hpp"
#include "state_file.hpp"

namespace wg::cp {

struct ReloaderConfig {
    std::filesystem::path policy_dir;
    std::filesystem::path state_dir;  // empty: no state file
    bool require_committed = false;
    std::chrono::milliseconds push_timeout{30000};
};

class Reloader {
  public:
    Reloader(boost::asio::io_context& io, DpClient& dp, ReloaderConfig cfg, CompileFn compile,
             DecodeFn decode, ImageStore* store, ReloadMetrics* metrics, PolicyBook* book);
    // Waits for a compile in progress; its result is dropped.
    ~Reloader();
    Reloader(const Reloader&) = delete;
    Reloader& operator=(const Reloader&) = delete;

    // Asks for a reload; `why` is logged.
    void request(const std::string& why);
    bool busy() const { return busy_; }
    const ReloadState& state() const { return state_; }
    // Called after each finished attempt (tests, main's logging).
    std::function<void(const ReloadState&)> on_done;

  private:
    struct Attempt {
        std::string why;
        std::optional<mgmt::Status> dp_status;
        CompiledBundle bundle;
        // --require-committed: work-tree files differing from bundle.commit
        // (nullopt: not a git work tree).
        std::optional<std::vector<std::string>> dirty;
        std::vector<std::string> errors;
    };
    void start(std::string why);
    void with_status(std::shared_ptr<Attempt> a);
    void compile_and_decide(std::shared_ptr<Attempt> a);
    void decide(std::shared_ptr<Attempt> a);
    void push(std::shared_ptr<Attempt> a, ReloadResult on_success);
    void reject(std::shared_ptr<Attempt> a);
    void adopt_running(const mgmt::Status& st);
    void finish(std::shared_ptr<Attempt> a, ReloadResult r);
    void persist(const std::vector<uint8_t>& image);
    void write_state_file();

    boost::asio::io_context& io_;
    DpClient& dp_;
    ReloaderConfig cfg_;
    CompileFn compile_;
    DecodeFn decode_;
    ImageStore* store_;
    ReloadMetrics* metrics_;
    PolicyBook* book_;
    bool busy_ = false;
    std::optional<std::string> queued_;
    ReloadState state_;
    // The newest policy that compiled cleanly: pushed on reconnect if the
    // dataplane runs something else.
    std::optional<CompiledBundle> good_;
    // Compiling (and asking git) takes from milliseconds to seconds: it runs
    // on this thread, one attempt at a time, so the io_context keeps serving
    // /metrics polls, the audit drain and the dataplane connection. Only
    // the Attempt it fills crosses threads, handed back by a post().
    std::thread worker_;
    // False once destroyed: a result posted by the worker is then dropped.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace wg::cp
