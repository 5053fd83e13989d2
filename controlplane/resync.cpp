#include "resync.hpp"

#include "reloader.hpp"

namespace wg::cp {

void Resync::on_connect() {
    if (reloader_) reloader_->request("dataplane connected");
}

void Resync::on_status(const mgmt::Status& st) {
    if (!reloader_ || !first_attempt_done_ || reloader_->busy()) return;
    const auto& mine = reloader_->state();
    if (st.policy_generation == mine.generation && st.policy_hash == mine.hash) return;
    reloader_->request("dataplane policy changed under us (generation " +
                       std::to_string(st.policy_generation) + ")");
}

void Resync::on_startup_timeout() {
    if (reloader_ && !first_attempt_done_ && !reloader_->busy())
        reloader_->request("startup (dataplane not reachable yet)");
}

}  // namespace wg::cp
