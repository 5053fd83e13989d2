// An in-process stand-in for the dataplane's management socket, speaking the
// real framing (common/mgmt): Status, LoadPolicy, AuditDrain. Lets reloader
// tests count pushes and make the dataplane refuse, restart or vanish.
#pragma once

#include <memory>
#include <string>
#include <vector>

// Boost 1.74 Asio uses std::exchange without including <utility> (C++20); a
// separate include block keeps clang-format from sorting it after Asio.
#include <utility>

#include <boost/asio.hpp>

#include "mgmt/frame.hpp"
#include "mgmt/messages.hpp"

namespace wg::test {

class FakeDataplane {
  public:
    using stream = boost::asio::local::stream_protocol;
    // hash_of(image) must match what the fake compiler reports as the hash.
    FakeDataplane(boost::asio::io_context& io, std::string path,
                  std::function<std::string(const std::vector<uint8_t>&)> hash_of)
        : io_(io), path_(std::move(path)), acceptor_(io), hash_of_(std::move(hash_of)) {}

    void start() {
        ::unlink(path_.c_str());
        acceptor_.open();
        acceptor_.bind(stream::endpoint(path_));
        acceptor_.listen();
        accept();
    }
    // Closes every connection and the listener (the process "died").
    void stop() {
        boost::system::error_code ec;
        acceptor_.close(ec);
        for (auto& c : conns_) c->sock.close(ec);
        conns_.clear();
        ::unlink(path_.c_str());
    }

    uint64_t generation = 0;
    std::string hash, commit;
    std::vector<std::vector<uint8_t>> pushes;  // every image received
    bool refuse = false;
    bool answer = true;
    bool serves_audit = true;  // false: answer audit drains with an error (old dataplane)
    int stats_requests = 0, audit_drains = 0;
    // Staged policy (StagedPolicyRequest): images received, the staged
    // generation, and whether to refuse them.
    std::vector<std::vector<uint8_t>> staged_pushes;
    uint64_t staged_generation = 0;
    bool refuse_staged = false;
    std::function<std::string(const std::vector<uint8_t>&)>
        commit_of;  // the image's commit  // false: swallow LoadPolicy requests (no
                    // acknowledgement)

  private:
    struct Conn {
        explicit Conn(boost::asio::io_context& io) : sock(io) {}
        stream::socket sock;
        mgmt::FrameDecoder dec;
        std::array<uint8_t, 65536> buf{};
    };
    void accept() {
        auto c = std::make_shared<Conn>(io_);
        acceptor_.async_accept(c->sock, [this, c](boost::system::error_code ec) {
            if (ec) return;
            conns_.push_back(c);
            read(c);
            accept();
        });
    }
    void read(std::shared_ptr<Conn> c) {
        c->sock.async_read_some(boost::asio::buffer(c->buf),
                                [this, c](boost::system::error_code ec, size_t n) {
                                    if (ec) return;
                                    c->dec.feed({c->buf.data(), n});
                                    while (auto f = c->dec.next()) handle(c, *f);
                                    read(c);
                                });
    }
    void send(std::shared_ptr<Conn> c, mgmt::MsgType t, uint32_t id, std::vector<uint8_t> payload) {
        auto buf = std::make_shared<std::vector<uint8_t>>(mgmt::encode_frame(t, id, payload));
        boost::asio::async_write(c->sock, boost::asio::buffer(*buf), [buf](auto, auto) {});
    }
    void handle(std::shared_ptr<Conn> c, const mgmt::Frame& f) {
        switch (f.type) {
            case mgmt::MsgType::StatusRequest: {
                mgmt::Status s;
                s.version = "fake";
                s.pid = 99;
                s.policy_generation = generation;
                s.policy_hash = hash;
                s.policy_commit = commit;
                s.mode = generation ? "normal" : "no-policy";
                send(c, mgmt::MsgType::StatusResponse, f.request_id, mgmt::encode(s));
                break;
            }
            case mgmt::MsgType::LoadPolicyRequest: {
                auto req = mgmt::decode_load_policy_request(f.payload);
                pushes.push_back(req.image);
                if (!answer) break;
                mgmt::LoadPolicyResponse r;
                if (refuse) {
                    r.ok = false;
                    r.generation = generation;
                    r.error = "image schema 99 not supported";
                } else {
                    r.ok = true;
                    r.generation = ++generation;
                    hash = hash_of_(req.image);
                    commit = commit_of ? commit_of(req.image) : "";
                }
                send(c, mgmt::MsgType::LoadPolicyResponse, f.request_id, mgmt::encode(r));
                break;
            }
            case mgmt::MsgType::StagedPolicyRequest: {
                auto req = mgmt::decode_staged_policy_request(f.payload);
                mgmt::LoadPolicyResponse r;
                if (req.clear) {
                    staged_generation = 0;
                    r.ok = true;
                } else {
                    staged_pushes.push_back(req.image);
                    r.ok = !refuse_staged;
                    if (r.ok) ++staged_generation;
                    if (!r.ok) r.error = "staged image refused";
                }
                r.generation = staged_generation;
                send(c, mgmt::MsgType::StagedPolicyResponse, f.request_id, mgmt::encode(r));
                break;
            }
            case mgmt::MsgType::StatsRequest: {
                ++stats_requests;
                send(c, mgmt::MsgType::StatsResponse, f.request_id,
                     mgmt::encode(stats::Snapshot{}));
                break;
            }
            case mgmt::MsgType::AuditDrainRequest:
                ++audit_drains;
                if (serves_audit) {
                    send(c, mgmt::MsgType::AuditDrainResponse, f.request_id,
                         mgmt::encode(mgmt::AuditBatch{}));
                    break;
                }
                [[fallthrough]];
            default: {
                mgmt::ErrorResponse e{404, "unsupported"};
                send(c, mgmt::MsgType::Error, f.request_id, mgmt::encode(e));
            }
        }
    }

    boost::asio::io_context& io_;
    std::string path_;
    stream::acceptor acceptor_;
    std::function<std::string(const std::vector<uint8_t>&)> hash_of_;
    std::vector<std::shared_ptr<Conn>> conns_;
};

}  // namespace wg::test
