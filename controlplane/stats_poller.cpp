#include "stats_poller.hpp"

#include <iostream>

#include "log/log.hpp"
namespace wg::cp {

void StatsPoller::tick() {
    if (dp_.connected()) poll();
    timer_.expires_after(interval_);
    timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) tick();
    });
}

void StatsPoller::poll() {
    dp_.request(mgmt::MsgType::StatusRequest, {},
                [this](bool ok, const mgmt::Frame& st, const std::string&) {
                    if (!ok || st.type != mgmt::MsgType::StatusResponse)
                        return collector_.set_down();
                    dp_.request(
                        mgmt::MsgType::StatsRequest, {},
                        [this, st](bool ok2, const mgmt::Frame& f, const std::string&) {
                            if (!ok2 || f.type != mgmt::MsgType::StatsResponse)
                                return collector_.set_down();
                            try {
                                auto status = mgmt::decode_status(st.payload);
                                collector_.update(status, mgmt::decode_stats(f.payload));
                                if (on_status) on_status(status);
                            } catch (const std::exception& e) {
                                wg::log::Line(wg::log::Level::Warning, "controlplane.dataplane")
                                    << "bad stats: " << e.what();
                                collector_.set_down();
                            }
                        });
                });
}

}  // namespace wg::cp
