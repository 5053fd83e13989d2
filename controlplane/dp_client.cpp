#include "dp_client.hpp"

#include <iostream>

#include "log/log.hpp"

namespace wg::cp {

namespace asio = boost::asio;
using stream = asio::local::stream_protocol;

DpClient::DpClient(asio::io_context& io, std::string path)
    : io_(io), path_(std::move(path)), sock_(io), retry_(io) {}

void DpClient::start() {
    connect();
}

void DpClient::stop() {
    stopped_ = true;
    retry_.cancel();
    boost::system::error_code ec;
    sock_.close(ec);
    fail_all("client stopped");
}

void DpClient::connect() {
    if (stopped_) return;
    sock_ = stream::socket(io_);
    sock_.async_connect(stream::endpoint(path_), [this](boost::system::error_code ec) {
        if (ec) {
            schedule_reconnect();
            return;
        }
        connected_ = true;
        backoff_ = std::chrono::milliseconds(100);
        dec_ = mgmt::FrameDecoder();
        wg::log::Line(wg::log::Level::Notice, "controlplane.dataplane")
            << "connected to dataplane at " << path_ << "\n";
        read();
        if (on_connect) on_connect();
    });
}

void DpClient::schedule_reconnect() {
    if (stopped_) return;
    retry_.expires_after(backoff_);
    backoff_ = std::min(backoff_ * 2, std::chrono::milliseconds(5000));
    retry_.async_wait([this](boost::system::error_code ec) {
        if (!ec) connect();
    });
}

void DpClient::fail_all(const std::string& why) {
    auto pending = std::move(pending_);
    pending_.clear();
    outq_.clear();
    writing_ = false;
    for (auto& [id, p] : pending) {
        if (p.timer) p.timer->cancel();
        p.cb(false, {}, why);
    }
}

void DpClient::read() {
    sock_.async_read_some(asio::buffer(buf_), [this](boost::system::error_code ec, size_t n) {
        if (ec) {
            if (stopped_) return;
            bool was = connected_;
            connected_ = false;
            boost::system::error_code ig;
            sock_.close(ig);
            fail_all("dataplane connection lost: " + ec.message());
            if (was) {
                wg::log::Line(wg::log::Level::Warning, "controlplane.dataplane")
                    << "dataplane connection lost, reconnecting\n";
                if (on_disconnect) on_disconnect();
            }
            schedule_reconnect();
            return;
        }
        try {
            dec_.feed({buf_.data(), n});
            while (auto f = dec_.next()) {
                auto it = pending_.find(f->request_id);
                if (it == pending_.end()) continue;  // late answer to a timed-out request
                auto p = std::move(it->second);
                pending_.erase(it);
                if (p.timer) p.timer->cancel();
                p.cb(true, *f, "");
            }
        } catch (const std::exception& e) {
            boost::system::error_code ig;
            sock_.close(ig);  // triggers the error path above on the next read
            fail_all(std::string("protocol error: ") + e.what());
            return;
        }
        read();
    });
}

void DpClient::request(mgmt::MsgType type, std::vector<uint8_t> payload, Callback cb,
                       std::chrono::milliseconds timeout) {
    if (!connected_) {
        cb(false, {}, "dataplane not connected");
        return;
    }
    uint32_t id = next_id_++;
    if (next_id_ == 0) next_id_ = 1;
    std::vector<uint8_t> frame;
    try {
        frame = mgmt::encode_frame(type, id, payload);
    } catch (const std::exception& e) {
        cb(false, {}, e.what());
        return;
    }
    auto timer = std::make_unique<asio::steady_timer>(io_, timeout);
    timer->async_wait([this, id](boost::system::error_code ec) {
        if (ec) return;
        auto it = pending_.find(id);
        if (it == pending_.end()) return;
        auto p = std::move(it->second);
        pending_.erase(it);
        p.cb(false, {}, "dataplane did not answer in time");
    });
    pending_[id] = Pending{std::move(cb), std::move(timer)};
    outq_.push_back(std::move(frame));
    if (!writing_) write_next();
}

void DpClient::write_next() {
    if (outq_.empty()) {
        writing_ = false;
        return;
    }
    writing_ = true;
    auto buf = std::make_shared<std::vector<uint8_t>>(std::move(outq_.front()));
    outq_.erase(outq_.begin());
    asio::async_write(sock_, asio::buffer(*buf), [this, buf](boost::system::error_code ec, size_t) {
        if (ec) {
            writing_ = false;
            return;  // the read side notices and reconnects
        }
        write_next();
    });
}

}  // namespace wg::cp
