#include "audit_drainer.hpp"

#include <iostream>

#include "log/log.hpp"
namespace wg::cp {

void AuditDrainer::tick() {
    if (dp_.connected() && supported_) {
        dp_.request(mgmt::MsgType::AuditDrainRequest, {},
                    [this](bool ok, const mgmt::Frame& f, const std::string&) {
                        if (!ok) return;
                        if (f.type == mgmt::MsgType::Error) {
                            wg::log::Line(wg::log::Level::Warning, "controlplane.audit")
                                << "dataplane does not serve audit events";
                            supported_ = false;
                            return;
                        }
                        if (f.type != mgmt::MsgType::AuditDrainResponse) return;
                        try {
                            const auto batch = mgmt::decode_audit_batch(f.payload);
                            log_.ingest(batch);
                            if (on_batch) on_batch(batch);
                        } catch (const std::exception& e) {
                            wg::log::Line(wg::log::Level::Warning, "controlplane.audit")
                                << "bad audit batch: " << e.what();
                        }
                    });
    }
    log_.tick();
    timer_.expires_after(interval_);
    timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) tick();
    });
}

}  // namespace wg::cp
