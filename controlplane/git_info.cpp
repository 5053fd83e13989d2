#include "git_info.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

extern char** environ;

namespace wg::cp {

GitResult run_git(const std::filesystem::path& dir, const std::vector<std::string>& args) {
    // safe.directory: the control plane runs as root over a checkout owned
    // by the policy maintainers; git would otherwise refuse ("dubious
    // ownership"). We only read.
    std::vector<std::string> argv_s = {"git", "-c", "safe.directory=*", "-C", dir.string()};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);

    GitResult r;
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0) return r;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    pid_t pid = -1;
    int rc = ::posix_spawnp(&pid, "git", &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(pipefd[1]);
    if (rc != 0) {
        ::close(pipefd[0]);
        return r;
    }
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(pipefd[0], buf, sizeof(buf));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        // Bounded: a status listing of a policy dir is small; never let a
        // pathological tree exhaust memory.
        if (r.output.size() < (4u << 20)) r.output.append(buf, static_cast<size_t>(n));
    }
    ::close(pipefd[0]);
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

namespace {
std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
}
}  // namespace

std::optional<std::string> git_head(const std::filesystem::path& dir) {
    auto r = run_git(dir, {"rev-parse", "--verify", "-q", "HEAD"});
    if (r.status != 0) return std::nullopt;
    return trim(r.output);
}

std::optional<std::filesystem::path> git_dir(const std::filesystem::path& dir) {
    auto r = run_git(dir, {"rev-parse", "--absolute-git-dir"});
    if (r.status != 0) return std::nullopt;
    return std::filesystem::path(trim(r.output));
}

std::optional<std::vector<std::string>> git_uncommitted(const std::filesystem::path& dir) {
    auto inside = run_git(dir, {"rev-parse", "--is-inside-work-tree"});
    if (inside.status != 0 || trim(inside.output) != "true") return std::nullopt;
    // "--" "." limits the question to the policy directory; ignored files
    // (per .gitignore) are not policy and do not count.
    auto r = run_git(dir, {"status", "--porcelain=v1", "--untracked-files=all", "--", "."});
    if (r.status != 0) return std::nullopt;
    std::vector<std::string> out;
    std::istringstream in(r.output);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.push_back(line);
    return out;
}

}  // namespace wg::cp
