#include "policy_watcher.hpp"

#include <sys/inotify.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "log/log.hpp"

namespace wg::cp {

namespace asio = boost::asio;

namespace {
// Git replaces files by rename (IN_MOVED_TO); editors write in place
// (IN_CLOSE_WRITE) or via a temp file and rename; deletions matter too.
constexpr uint32_t kTreeMask =
    IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_DELETE_SELF;
// In .git only the final renames of HEAD, index and packed-refs matter.
constexpr uint32_t kGitMask = IN_MOVED_TO | IN_CLOSE_WRITE;

bool ends_with(const std::string& s, const char* suffix) {
    size_t n = std::strlen(suffix);
    return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}
}  // namespace

PolicyWatcher::PolicyWatcher(asio::io_context& io, std::filesystem::path dir,
                             std::chrono::milliseconds quiet, std::chrono::milliseconds max_delay)
    : io_(io), dir_(std::move(dir)), fd_(io), timer_(io), debounce_(quiet, max_delay) {}

PolicyWatcher::~PolicyWatcher() {
    stop();
}

bool PolicyWatcher::relevant_name(const std::string& name) {
    if (name.empty()) return true;                       // event on the watched directory itself
    if (name[0] == '.' || name[0] == '#') return false;  // .git, .swp, emacs lock files
    if (ends_with(name, "~") || ends_with(name, ".swp") || ends_with(name, ".swx") ||
        ends_with(name, ".tmp") || ends_with(name, ".lock"))
        return false;
    return true;
}

std::optional<std::string> PolicyWatcher::start() {
    int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) return std::string("inotify_init1: ") + std::strerror(errno);
    fd_.assign(fd);
    std::error_code ec;
    if (!std::filesystem::is_directory(dir_, ec))
        return "policy directory " + dir_.string() + " does not exist";
    add_tree(dir_);
    if (watches_.empty()) return "cannot watch " + dir_.string() + ": " + std::strerror(errno);
    read();
    return std::nullopt;
}

void PolicyWatcher::stop() {
    stopped_ = true;
    timer_.cancel();
    boost::system::error_code ec;
    fd_.close(ec);
}

void PolicyWatcher::watch_git_dir(const std::filesystem::path& git_dir) {
    add_watch(git_dir, kGitMask, true);
}

void PolicyWatcher::add_watch(const std::filesystem::path& dir, uint32_t mask, bool git) {
    if (!fd_.is_open()) return;
    int wd = ::inotify_add_watch(fd_.native_handle(), dir.c_str(), mask | IN_ONLYDIR);
    if (wd < 0) {
        wg::log::Line(wg::log::Level::Err, "controlplane.watch")
            << "cannot watch " << dir << ": " << std::strerror(errno) << "\n";
        return;
    }
    watches_[wd] = Watch{dir, git};
}

void PolicyWatcher::add_tree(const std::filesystem::path& dir) {
    add_watch(dir, kTreeMask, false);
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(dir, ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
        auto name = it->path().filename().string();
        if (it->is_directory(ec) && !it->is_symlink(ec) && relevant_name(name))
            add_tree(it->path());
    }
}

void PolicyWatcher::read() {
    fd_.async_read_some(asio::buffer(buf_), [this](boost::system::error_code ec, size_t n) {
        if (ec || stopped_) {
            if (!stopped_ && ec != asio::error::operation_aborted)
                wg::log::Line(wg::log::Level::Err, "controlplane.watch")
                    << "inotify read failed: " << ec.message() << "\n";
            return;
        }
        handle(buf_, n);
        read();
    });
}

void PolicyWatcher::handle(const char* buf, size_t n) {
    size_t off = 0;
    while (off + sizeof(inotify_event) <= n) {
        inotify_event ev;
        std::memcpy(&ev, buf + off, sizeof(ev));
        std::string name;
        if (ev.len)
            name.assign(buf + off + sizeof(inotify_event),
                        ::strnlen(buf + off + sizeof(inotify_event), ev.len));
        off += sizeof(inotify_event) + ev.len;

        if (ev.mask & IN_Q_OVERFLOW) {
            // Events were lost: we cannot know what changed, so reload.
            poke("inotify queue overflow");
            continue;
        }
        auto it = watches_.find(ev.wd);
        if (it == watches_.end()) continue;
        if (ev.mask & IN_IGNORED) {
            watches_.erase(it);
            continue;
        }
        const Watch& w = it->second;
        if (w.git) {
            // Commits, checkouts and resets end with one of these renames.
            if (name == "HEAD" || name == "index" || name == "packed-refs" || name == "ORIG_HEAD")
                poke("git " + name + " changed");
            continue;
        }
        if (!relevant_name(name)) continue;
        if ((ev.mask & IN_ISDIR) && (ev.mask & (IN_CREATE | IN_MOVED_TO)))
            add_tree(w.path / name);  // new subdirectory: watch it and what it holds
        poke((w.path / name).lexically_relative(dir_).string());
    }
}

void PolicyWatcher::poke(const std::string& why) {
    last_why_ = why;
    auto deadline = debounce_.event(std::chrono::steady_clock::now());
    // expires_at cancels a pending wait (operation_aborted); re-arm always.
    timer_.expires_at(deadline);
    arm();
}

void PolicyWatcher::arm() {
    timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || stopped_) return;
        if (!debounce_.due(std::chrono::steady_clock::now())) return;
        ++fired_;
        if (on_change) on_change(last_why_);
    });
}

}  // namespace wg::cp
