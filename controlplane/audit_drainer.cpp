#include "audit_drainer.hpp"

#include <iostream>

namespace wg::cp {

void AuditDrainer::tick() {
    if (dp_.connected() && supported_) {
        dp_.request(mgmt::MsgType::AuditDrainRequest, {},
                    [this](bool ok, const mgmt::Frame& f, const std::string&) {
                        if (!ok) return;
                        if (f.type == mgmt::MsgType::Error) {
                            std::cerr << "wardgate-controlplane: dataplane does not serve audit "
                                         "events\n";
                            supported_ = false;
                            return;
                        }
                        if (f.type != mgmt::MsgType::AuditDrainResponse) return;
                        try {
                            log_.ingest(mgmt::decode_audit_batch(f.payload));
                        } catch (const std::exception& e) {
                            std::cerr << "wardgate-controlplane: bad audit batch: " << e.what()
                                      << "\n";
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
