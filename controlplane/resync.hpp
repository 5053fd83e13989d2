// The one owner of "the dataplane may not run what we think: re-check".
// Three events lead there: the dataplane (re)connects, the stats poll sees a
// generation or hash we did not set (another tool, a dataplane restart
// between polls), and the start-up grace period passes with no dataplane.
// Each becomes one Reloader::request(), which asks the dataplane for its
// status first and only pushes when the content differs.
#pragma once

#include <string>

#include "mgmt/messages.hpp"

namespace wg::cp {

class Reloader;

class Resync {
  public:
    // `reloader` null: metrics-only control plane, nothing to resynchronise.
    explicit Resync(Reloader* reloader) : reloader_(reloader) {}

    void on_connect();
    void on_status(const mgmt::Status& st);
    void on_startup_timeout();
    // Every finished reload attempt (Reloader::on_done).
    void on_reload_done() { first_attempt_done_ = true; }
    bool first_attempt_done() const { return first_attempt_done_; }

  private:
    Reloader* reloader_;
    // Before the first attempt the reloader's idea of the running policy is
    // empty: a mismatch then means nothing, and the connect (or start-up
    // timeout) already asks.
    bool first_attempt_done_ = false;
};

}  // namespace wg::cp
