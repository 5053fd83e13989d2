#include "mgmt_server.hpp"

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>

#include <boost/asio.hpp>
#include <utility>  // Boost 1.74 Asio uses std::exchange without including it (C++20)

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

    // Bounds (docs/architecture.md, management channel). A client that does
    // not read its responses is paused (no more requests are read from it)
    // once kOutHigh bytes wait for it, resumed below kOutLow, and closed if it
    // stays paused for kStallClose: its memory is returned and the other
    // connections never wait for it (every socket is asynchronous).
    static constexpr size_t kOutHigh = 1u << 20;
    static constexpr size_t kOutLow = 256u << 10;
    static constexpr auto kStallClose = std::chrono::seconds(10);
    static constexpr unsigned kMaxConns = 16;
    unsigned conns = 0;
    const void* big_holder = nullptr;  // the Conn receiving a large frame
    unsigned refused_conns = 0;
    // A connection without a complete request for this long is closed: a
    // peer that trickles a partial frame, or just sits on a slot, cannot keep
    // the 16 slots from the control plane (which polls every second).
    std::chrono::milliseconds idle_limit{60000};
    asio::steady_timer accept_retry{io};
    std::chrono::milliseconds accept_backoff{0};

    // Slow requests (set_slow): served in arrival order by one thread of
    // their own. The queue is bounded (each job holds its request, up to a
    // 64 MiB image); past it the request is refused with "busy" (503).
    static constexpr size_t kMaxSlowQueued = 4;
    std::map<mgmt::MsgType, SlowHandler> slow;
    std::thread slow_thread;
    std::mutex slow_mu;
    std::condition_variable slow_cv;
    std::deque<std::function<void()>> slow_jobs;  // guarded by slow_mu
    bool slow_stop = false;                       // guarded by slow_mu

    bool submit_slow(std::function<void()> job) {
        std::lock_guard lk(slow_mu);
        if (slow_jobs.size() >= kMaxSlowQueued) return false;
        slow_jobs.push_back(std::move(job));
        slow_cv.notify_one();
        return true;
    }
    void slow_loop() {
        for (;;) {
            std::function<void()> job;
            {
                std::unique_lock lk(slow_mu);
                slow_cv.wait(lk, [&] { return slow_stop || !slow_jobs.empty(); });
                if (slow_stop) return;
                job = std::move(slow_jobs.front());
                slow_jobs.pop_front();
            }
            job();
        }
    }

    // One connection: read frames, answer each in order.
    struct Conn : std::enable_shared_from_this<Conn> {
        Conn(Impl& i, stream::socket s, Peer p)
            : impl(i), sock(std::move(s)), peer(p), stall(i.io), idle(i.io) {
            ++impl.conns;
        }
        ~Conn() {
            --impl.conns;
            if (impl.big_holder == this) impl.big_holder = nullptr;
        }

        // Only one connection at a time may be receiving a frame above the
        // small limit (a policy image, up to 64 MiB): input buffers stay
        // bounded by 64 MiB + 16 x 64 KiB, whatever the peers announce. A
        // second concurrent big upload is refused with "busy" (503); the
        // control plane retries its push.
        bool claim_big() {
            const bool big = dec.pending() > mgmt::kMaxSmallPayload + mgmt::kHeaderSize;
            if (!big) {
                if (impl.big_holder == this) impl.big_holder = nullptr;
                return true;
            }
            if (impl.big_holder && impl.big_holder != this) {
                mgmt::ErrorResponse er{503, "another large frame (policy load) is being received"};
                send(mgmt::encode_frame(mgmt::MsgType::Error, 0, mgmt::encode(er)), true);
                return false;
            }
            impl.big_holder = this;
            return true;
        }
        Impl& impl;
        stream::socket sock;
        Peer peer;
        mgmt::FrameDecoder dec;
        unsigned slow_pending = 0;  // slow requests not answered yet
        std::array<uint8_t, 65536> buf{};
        std::deque<std::vector<uint8_t>> out;
        size_t out_bytes = 0;  // queued, not yet written
        bool paused = false;   // over kOutHigh: no read outstanding
        bool closing = false;
        asio::steady_timer stall;
        asio::steady_timer idle;
        std::chrono::steady_clock::time_point last_request = std::chrono::steady_clock::now();

        // Holds only a weak reference: the timer must not keep a closed
        // connection alive.
        void watch_idle() {
            idle.expires_at(last_request + impl.idle_limit);
            std::weak_ptr<Conn> weak = shared_from_this();
            idle.async_wait([weak](boost::system::error_code ec) {
                auto self = weak.lock();
                if (ec || !self || self->closing) return;
                // Waiting for a slow answer (a long table build) is not idling.
                if (self->slow_pending) self->last_request = std::chrono::steady_clock::now();
                if (std::chrono::steady_clock::now() - self->last_request < self->impl.idle_limit) {
                    self->watch_idle();  // a request came meanwhile
                    return;
                }
                wg::log::logf(wg::log::Level::Warning, "dataplane.mgmt",
                              "closed management peer pid %d: no complete request for %lld ms",
                              self->peer.pid,
                              static_cast<long long>(self->impl.idle_limit.count()));
                self->close();
            });
        }

        void read() {
            auto self = shared_from_this();
            sock.async_read_some(asio::buffer(buf), [self](boost::system::error_code ec, size_t n) {
                if (ec) return;  // peer closed or error: drop the connection
                self->dec.feed({self->buf.data(), n});
                self->pump();
            });
        }
        // Answers the frames already received while the client keeps up,
        // then reads more; pauses when responses pile up.
        void pump() {
            if (closing) return;
            try {
                while (out_bytes < kOutHigh) {
                    auto f = dec.next();
                    if (!f) {
                        if (!claim_big()) return;
                        read();
                        return;
                    }
                    last_request = std::chrono::steady_clock::now();
                    if (auto it = impl.slow.find(f->type); it != impl.slow.end()) {
                        defer(it->second, std::move(*f));
                        continue;
                    }
                    auto resp = impl.handler(*f, peer);
                    send(mgmt::encode_frame(resp.type, f->request_id, resp.payload));
                }
            } catch (const std::exception& e) {
                // Malformed stream: answer once with the reason, then close.
                mgmt::ErrorResponse er{400, e.what()};
                send(mgmt::encode_frame(mgmt::MsgType::Error, 0, mgmt::encode(er)), true);
                return;
            }
            paused = true;
            auto self = shared_from_this();
            stall.expires_after(kStallClose);
            stall.async_wait([self](boost::system::error_code ec) {
                if (ec || !self->paused) return;
                wg::log::logf(wg::log::Level::Warning, "dataplane.mgmt",
                              "closed management peer pid %d: %zu response bytes unread for %lld s",
                              self->peer.pid, self->out_bytes,
                              static_cast<long long>(kStallClose.count()));
                self->close();
            });
        }
        // Hands a slow request to the slow-request thread; its answer comes
        // back through the io_context. The finish step runs even if this
        // connection has gone meanwhile (it may update the server's state).
        void defer(const SlowHandler& h, mgmt::Frame req) {
            const uint32_t id = req.request_id;
            std::weak_ptr<Conn> weak = shared_from_this();
            Impl& im = impl;
            const bool queued = im.submit_slow([&im, h, weak, req = std::move(req), p = peer]() {
                MgmtFinish fin;
                try {
                    fin = h(req, p);
                } catch (const std::exception& e) {
                    fin = [msg = std::string(e.what())] {
                        return mgmt::Frame{mgmt::MsgType::Error, 0,
                                           mgmt::encode(mgmt::ErrorResponse{500, msg})};
                    };
                }
                asio::post(im.io, [weak, id = req.request_id, fin = std::move(fin)] {
                    mgmt::Frame resp;
                    try {
                        resp = fin();
                    } catch (const std::exception& e) {
                        resp = {mgmt::MsgType::Error, 0,
                                mgmt::encode(mgmt::ErrorResponse{500, e.what()})};
                    }
                    auto self = weak.lock();
                    if (!self) return;
                    --self->slow_pending;
                    if (!self->closing) self->send(mgmt::encode_frame(resp.type, id, resp.payload));
                });
            });
            if (queued) {
                ++slow_pending;
                return;
            }
            mgmt::ErrorResponse er{503, "busy: too many slow requests (policy loads) queued"};
            send(mgmt::encode_frame(mgmt::MsgType::Error, id, mgmt::encode(er)));
        }
        void close() {
            closing = true;
            boost::system::error_code ig;
            stall.cancel();
            idle.cancel();
            sock.close(ig);  // fails the outstanding write: the last reference goes
        }
        void send(std::vector<uint8_t> bytes, bool close_after = false) {
            out_bytes += bytes.size();
            out.push_back(std::move(bytes));
            if (close_after) closing = true;
            if (out.size() == 1) write();
        }
        void write() {
            auto self = shared_from_this();
            asio::async_write(sock, asio::buffer(out.front()),
                              [self](boost::system::error_code ec, size_t) {
                                  if (ec) {  // peer gone: the stall timer must not keep us alive
                                      self->stall.cancel();
                                      return;
                                  }
                                  self->out_bytes -= self->out.front().size();
                                  self->out.pop_front();
                                  if (!self->out.empty()) {
                                      self->write();
                                  } else if (self->closing) {
                                      boost::system::error_code ig;
                                      self->sock.shutdown(stream::socket::shutdown_both, ig);
                                      return;
                                  }
                                  if (self->paused && self->out_bytes < kOutLow) {
                                      self->paused = false;
                                      self->stall.cancel();
                                      self->pump();
                                  }
                              });
        }
    };

    // Out of descriptors (EMFILE/ENFILE) or memory: the pending connection
    // stays in the backlog, so retrying at once would spin. Wait, doubling
    // from 10 ms to 1 s; the first success resets the delay.
    void accept_later(const boost::system::error_code& ec) {
        accept_backoff = accept_backoff.count() == 0
                             ? std::chrono::milliseconds(10)
                             : std::min(accept_backoff * 2, std::chrono::milliseconds(1000));
        wg::log::logf(wg::log::Level::Warning, "dataplane.mgmt",
                      "management accept failed (%s), retry in %lld ms", ec.message().c_str(),
                      static_cast<long long>(accept_backoff.count()));
        accept_retry.expires_after(accept_backoff);
        accept_retry.async_wait([this](boost::system::error_code e) {
            if (!e) accept();
        });
    }

    void accept() {
        acceptor->async_accept([this](boost::system::error_code ec, stream::socket s) {
            if (ec) {
                if (ec == asio::error::operation_aborted) return;
                accept_later(ec);
                return;
            }
            accept_backoff = std::chrono::milliseconds(0);
            if (conns >= kMaxConns) {
                // Refused at once (closing `s`), so the descriptor is back
                // and the connected ones are served as before.
                if (refused_conns++ % 100 == 0)
                    wg::log::logf(wg::log::Level::Warning, "dataplane.mgmt",
                                  "refused management connection: %u open (limit %u; %u refused "
                                  "so far)",
                                  conns, kMaxConns, refused_conns);
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
            bool ok =
                cred.uid == 0 || cred.uid == geteuid() || (has_group && cred.gid == allowed_gid);
            if (!ok) {
                wg::log::logf(wg::log::Level::Warning, "dataplane.mgmt",
                              "refused management peer pid %d uid %u", cred.pid, cred.uid);
            } else {
                auto c =
                    std::make_shared<Conn>(*this, std::move(s), Peer{cred.pid, cred.uid, cred.gid});
                c->watch_idle();
                c->read();
            }
            accept();
        });
    }
};

MgmtServer::MgmtServer() : impl_(std::make_unique<Impl>()) {}
MgmtServer::~MgmtServer() {
    stop();
}

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
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) return "socket path " + path + " exists and is not a socket";
        ::unlink(path.c_str());
    }
    if (path.size() >= sizeof(sockaddr_un{}.sun_path))
        return "socket path " + path + " is too long";
    // bind() creates the file, listen() makes it accept: a client that sees
    // the file in between is refused (seen under load). Bound and listening
    // under a temporary name first, the socket appears at `path` by
    // rename(), ready (when the temporary name fits sun_path).
    const std::string tmp = path + ".new";
    const std::string& at = tmp.size() < sizeof(sockaddr_un{}.sun_path) ? tmp : path;
    if (::lstat(tmp.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(tmp.c_str());
    try {
        impl_->acceptor.emplace(impl_->io);
        impl_->acceptor->open(stream());
        mode_t old = ::umask(0117);  // created 0660 from the start: no window at 0777
        boost::system::error_code bec;
        impl_->acceptor->bind(stream::endpoint(at), bec);
        ::umask(old);
        if (bec) return "cannot create socket " + path + ": " + bec.message();
        impl_->acceptor->listen();
    } catch (const std::exception& e) {
        return "cannot create socket " + path + ": " + e.what();
    }
    if (impl_->has_group && ::chown(at.c_str(), static_cast<uid_t>(-1), impl_->allowed_gid) != 0)
        return "cannot give socket " + path + " to group " + group + ": " + std::strerror(errno);
    ::chmod(at.c_str(), 0660);
    if (&at != &path && ::rename(at.c_str(), path.c_str()) != 0)
        return "cannot create socket " + path + ": " + std::strerror(errno);
    return std::nullopt;
}

void MgmtServer::set_idle_limit(std::chrono::milliseconds ms) {
    impl_->idle_limit = ms;
}

void MgmtServer::set_slow(mgmt::MsgType type, SlowHandler h) {
    impl_->slow[type] = std::move(h);
}

void MgmtServer::start(MgmtHandler handler) {
    impl_->handler = std::move(handler);
    impl_->accept();
    if (!impl_->slow.empty()) impl_->slow_thread = std::thread([this] { impl_->slow_loop(); });
    impl_->thread = std::thread([this] { impl_->io.run(); });
}

void MgmtServer::stop() {
    if (!impl_) return;
    impl_->io.stop();
    if (impl_->thread.joinable()) impl_->thread.join();
    // A slow job already running finishes (a table build is not interrupted);
    // queued ones are dropped. Their answers were posted to the stopped
    // io_context and are never sent.
    {
        std::lock_guard lk(impl_->slow_mu);
        impl_->slow_stop = true;
        impl_->slow_jobs.clear();
    }
    impl_->slow_cv.notify_all();
    if (impl_->slow_thread.joinable()) impl_->slow_thread.join();
    if (impl_->acceptor) {
        boost::system::error_code ec;
        impl_->acceptor->close(ec);
        ::unlink(impl_->path.c_str());
        impl_->acceptor.reset();
    }
}

}  // namespace wg::dp
