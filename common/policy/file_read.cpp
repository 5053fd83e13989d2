#include "policy/file_read.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "policy/limits.hpp"

namespace fs = std::filesystem;

namespace wg::policy {

namespace {

std::string file_type(mode_t m) {
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISSOCK(m)) return "a socket";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    return "a special file";
}

// Closes the descriptor on every return path.
struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

PolicyFiles::PolicyFiles(const fs::path& root) {
    std::error_code ec;
    root_ = fs::canonical(root, ec);
    if (ec) root_ = fs::absolute(root, ec).lexically_normal();
}

FileRead PolicyFiles::read(const fs::path& path) {
    FileRead r;
    auto fail = [&](ReadStatus s, std::string reason) {
        r.status = s;
        r.reason = std::move(reason);
        r.text.clear();
        return std::move(r);
    };
    // Containment is decided on the resolved path: a symlink inside the
    // directory may point anywhere.
    std::error_code ec;
    fs::path real = fs::canonical(path, ec);
    if (ec) return fail(ReadStatus::Unreadable, ec.message());
    fs::path inside = real.lexically_relative(root_);
    if (inside.empty() || *inside.begin() == "..") return fail(ReadStatus::Outside, real.string());
    // O_NONBLOCK: opening a FIFO must not wait for a writer. O_NOFOLLOW: the
    // resolved path must not have become a symlink since.
    Fd f{::open(real.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW)};
    if (f.fd < 0) return fail(ReadStatus::Unreadable, std::strerror(errno));
    struct stat st {};
    if (::fstat(f.fd, &st) != 0) return fail(ReadStatus::Unreadable, std::strerror(errno));
    if (!S_ISREG(st.st_mode)) return fail(ReadStatus::NotRegular, file_type(st.st_mode));
    uint64_t size = uint64_t(st.st_size);
    if (size > limits::kMaxFileBytes)
        return fail(ReadStatus::TooLarge, std::to_string(size) + " bytes");
    if (total_ + size > limits::kMaxPolicyBytes)
        return fail(ReadStatus::PolicyTooLarge, std::to_string(total_ + size) + " bytes");
    // Read to the end, not to st_size: a file growing while we read must
    // still hit the cap, and a short read must not pass as the whole file.
    r.text.reserve(size);
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(f.fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail(ReadStatus::Unreadable, std::strerror(errno));
        if (n == 0) break;
        r.text.append(buf, size_t(n));
        if (r.text.size() > limits::kMaxFileBytes)
            return fail(ReadStatus::TooLarge,
                        "more than " + std::to_string(limits::kMaxFileBytes) + " bytes");
        if (total_ + r.text.size() > limits::kMaxPolicyBytes)
            return fail(ReadStatus::PolicyTooLarge,
                        "more than " + std::to_string(limits::kMaxPolicyBytes) + " bytes");
    }
    total_ += r.text.size();
    return r;
}

}  // namespace wg::policy
