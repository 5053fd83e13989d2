#include "mgmt_server.hpp"

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>

#include <utility>  // Boost 1.74 Asio uses std::exchange without including it (C++20)
#include <boost/asio.hpp>

#include "log/log.hpp"
#include "mgmt/messages.hpp"

namespace wg::dp {

namespace asio = boost::asio;
using stream = asio::local::stream_protocol;

struct MgmtServer::Impl {
    asio::io_context io;
    std::optional<stream::acceptor> acceptor;
    std::string path;
    gid_t allowed_gid = 0;
    bool has_group = false;
    MgmtHandler handler;
    std::thread thread;

    // One connection: read frames, answer each in order.
    struct Conn : std::enable_shared_from_this<Conn> {
        Conn(Impl& i, stream::socket s, Peer p) : impl(i), sock(std::move(s)), peer(p) {}
        Impl& impl;
        stream::socket sock;
        Peer peer;
        mgmt::FrameDecoder dec;
        std::array<uint8_t, 65536> buf{};
        std::deque<std::vector<uint8_t>> out;

        void read() {
            auto self = shared_from_this();
            sock.async_read_some(asio::buffer(buf), [self](boost::system::error_code ec, size_t n) {
                if (ec) return;  // peer closed or error: drop the connection
                try {
                    self->dec.feed({self->buf.data(), n});
                    while (auto f = self->dec.next()) {
                        auto resp = self->impl.handler(*f, self->peer);
                        self->send(mgmt::encode_frame(resp.type, f->request_id, resp.payload));
                    }
                } catch (const std::exception& e) {
                    // Malformed stream: answer once with the reason, then close.
                    mgmt::ErrorResponse er{400, e.what()};
                    self->send(mgmt::encode_frame(mgmt::MsgType::Error, 0, mgmt::encode(er)), true);
                    return;
                }
                self->read();
            });
        }
        void send(std::vector<uint8_t> bytes, bool close_after = false) {
            out.push_back(std::move(bytes));
            if (out.size() == 1) write(close_after);
        }
        void write(bool close_after) {
            auto self = shared_from_this();
            asio::async_write(sock, asio::buffer(out.front()),
                              [self, close_after](boost::system::error_code ec, size_t) {
                                  if (ec) return;
                                  self->out.pop_front();
                                  if (close_after && self->out.empty()) {
                                      boost::system::error_code ig;
                                      self->sock.shutdown(stream::socket::shutdown_both, ig);
                                      return;
                                  }
                                  if (!self->out.empty()) self->write(close_after);
                              });
        }
    };

    void accept() {
        acceptor->async_accept([this](boost::system::error_code ec, stream::socket s) {
            if (ec) {
                if (ec == asio::error::operation_aborted) return;
                accept();
                return;
            }
            ucred cred{};
            socklen_t len = sizeof(cred);
            if (getsockopt(s.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
                accept();
                return;
            }
            // Defence in depth beside the 0660 mode: only root, our own uid
            // or the configured group may talk to the dataplane.
            bool ok = cred.uid == 0 || cred.uid == geteuid() || (has_group && cred.gid == allowed_gid);
            if (!ok) {
                wg::log::logf(wg::log::Level::Warning, "dataplane.mgmt",
                              "refused management peer pid %d uid %u", cred.pid, cred.uid);
            } else {
                std::make_shared<Conn>(*this, std::move(s), Peer{cred.pid, cred.uid, cred.gid})->read();
            }
            accept();
        });
    }
};

MgmtServer::MgmtServer() : impl_(std::make_unique<Impl>()) {}
MgmtServer::~MgmtServer() { stop(); }

std::optional<std::string> MgmtServer::open(const std::string& path, const std::string& group) {
    namespace fs = std::filesystem;
    impl_->path = path;
    if (!group.empty()) {
        struct group* g = getgrnam(group.c_str());
        if (!g) return "socket group '" + group + "' does not exist";
        impl_->allowed_gid = g->gr_gid;
        impl_->has_group = true;
    }
    std::error_code ec;
    fs::path parent = fs::path(path).parent_path();
    if (!parent.empty() && !fs::exists(parent, ec)) {
        fs::create_directories(parent, ec);
        if (ec) return "cannot create socket directory " + parent.string() + ": " + ec.message();
        ::chmod(parent.c_str(), 0750);
    }
    // A stale socket from a previous run is replaced; any other file is not.
    struct stat st{};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return "socket path " + path + " exists and is not a socket";
        ::unlink(path.c_str());
    }
    if (path.size() >= sizeof(sockaddr_un{}.sun_path))
        return "socket path " + path + " is too long";
    try {
        impl_->acceptor.emplace(impl_->io);
        impl_->acceptor->open(stream());
        mode_t old = ::umask(0117);  // created 0660 from the start: no window at 0777
        boost::system::error_code bec;
        impl_->acceptor->bind(stream::endpoint(path), bec);
        ::umask(old);
        if (bec) return "cannot create socket " + path + ": " + bec.message();
        impl_->acceptor->listen();
    } catch (const std::exception& e) {
        return "cannot create socket " + path + ": " + e.what();
    }
    if (impl_->has_group && ::chown(path.c_str(), static_cast<uid_t>(-1), impl_->allowed_gid) != 0)
        return "cannot give socket " + path + " to group " + group + ": " + std::strerror(errno);
    ::chmod(path.c_str(), 0660);
    return std::nullopt;
}

void MgmtServer::start(MgmtHandler handler) {
    impl_->handler = std::move(handler);
    impl_->accept();
    impl_->thread = std::thread([this] { impl_->io.run(); });
}

void MgmtServer::stop() {
    if (!impl_) return;
    impl_->io.stop();
    if (impl_->thread.joinable()) impl_->thread.join();
    if (impl_->acceptor) {
        boost::system::error_code ec;
        impl_->acceptor->close(ec);
        ::unlink(impl_->path.c_str());
        impl_->acceptor.reset();
    }
}

}  // namespace wg::dp
