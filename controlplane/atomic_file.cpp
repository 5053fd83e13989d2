#include "atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace wg::cp {

namespace {
std::string errno_text(const std::string& what, const std::filesystem::path& p) {
    return what + " " + p.string() + ": " + std::strerror(errno);
}

// Closes on scope exit so every early return releases the descriptor.
struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};
}  // namespace

std::optional<std::string> write_file_atomic(const std::filesystem::path& path,
                                             std::span<const uint8_t> bytes, unsigned mode) {
    std::filesystem::path dir = path.parent_path();
    if (dir.empty()) dir = ".";
    // Unique per process: two writers never share a temp file, and a stale
    // one left by a killed process is simply overwritten next time.
    std::filesystem::path tmp = path;
    tmp += ".tmp." + std::to_string(::getpid());

    Fd f;
    f.fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                  static_cast<mode_t>(mode));
    if (f.fd < 0) return errno_text("cannot create", tmp);
    if (::fchmod(f.fd, static_cast<mode_t>(mode)) != 0) {
        auto e = errno_text("cannot chmod", tmp);
        ::unlink(tmp.c_str());
        return e;
    }
    size_t off = 0;
    while (off < bytes.size()) {
        ssize_t n = ::write(f.fd, bytes.data() + off, bytes.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            auto e = errno_text("cannot write", tmp);
            ::unlink(tmp.c_str());
            return e;
        }
        off += static_cast<size_t>(n);
    }
    // Data must be on disk before the rename makes it visible; otherwise a
    // power loss could leave the new name pointing at an empty file.
    if (::fsync(f.fd) != 0) {
        auto e = errno_text("cannot fsync", tmp);
        ::unlink(tmp.c_str());
        return e;
    }
    ::close(f.fd);
    f.fd = -1;
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        auto e = errno_text("cannot rename over", path);
        ::unlink(tmp.c_str());
        return e;
    }
    // The rename itself lives in the directory: sync it too.
    Fd d;
    d.fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d.fd < 0) return errno_text("cannot open directory", dir);
    if (::fsync(d.fd) != 0) return errno_text("cannot fsync directory", dir);
    return std::nullopt;
}

std::optional<std::string> write_file_atomic(const std::filesystem::path& path,
                                             const std::string& text, unsigned mode) {
    return write_file_atomic(
        path, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()),
        mode);
}

std::optional<std::vector<uint8_t>> read_file(const std::filesystem::path& path,
                                              std::string* error) {
    Fd f;
    f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (f.fd < 0) {
        if (error) *error = errno_text("cannot open", path);
        return std::nullopt;
    }
    std::vector<uint8_t> out;
    uint8_t buf[65536];
    for (;;) {
        ssize_t n = ::read(f.fd, buf, sizeof(buf));
        if (n < 0) {
            if (errno == EINTR) continue;
            if (error) *error = errno_text("cannot read", path);
            return std::nullopt;
        }
        if (n == 0) break;
        out.insert(out.end(), buf, buf + n);
    }
    return out;
}

}  // namespace wg::cp
