// Watches the policy directory with inotify and calls `on_change` once per
// burst of changes (see debounce.hpp). Subdirectories are watched too (added
// as they appear); `.git` and dot/backup files are ignored, except that the
// repository's HEAD/index can be watched so a `git commit` of an already
// edited tree triggers a reload (--require-committed).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>

// Boost 1.74 Asio uses std::exchange without including <utility> (C++20); a
// separate include block keeps clang-format from sorting it after Asio.
#include <utility>

#include <boost/asio.hpp>

#include "debounce.hpp"

namespace wg::cp {

class PolicyWatcher {
  public:
    PolicyWatcher(boost::asio::io_context& io, std::filesystem::path dir,
                  std::chrono::milliseconds quiet = std::chrono::milliseconds(300),
                  std::chrono::milliseconds max_delay = std::chrono::milliseconds(3000));
    ~PolicyWatcher();
    // Also watch this git directory (HEAD, index, refs moves).
    void watch_git_dir(const std::filesystem::path& git_dir);
    // Returns an error message if inotify cannot be set up.
    std::optional<std::string> start();
    void stop();
    std::function<void(const std::string& why)> on_change;
    // Filter exposed for tests: does a change to `name` matter?
    static bool relevant_name(const std::string& name);
    // Number of debounced notifications so far.
    uint64_t fired() const { return fired_; }

  private:
    void add_tree(const std::filesystem::path& dir);
    void add_watch(const std::filesystem::path& dir, uint32_t mask, bool git);
    void read();
    void handle(const char* buf, size_t n);
    void poke(const std::string& why);
    void arm();

    boost::asio::io_context& io_;
    std::filesystem::path dir_;
    boost::asio::posix::stream_descriptor fd_;
    boost::asio::steady_timer timer_;
    Debounce debounce_;
    struct Watch {
        std::filesystem::path path;
        bool git = false;
    };
    std::map<int, Watch> watches_;
    std::string last_why_;
    alignas(8) char buf_[16384];
    uint64_t fired_ = 0;
    bool stopped_ = false;
};

}  // namespace wg::cp
