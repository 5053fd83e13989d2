// Debounce logic, separate from any timer so it can be tested with a fake
// clock. A `git pull` or an editor's save touches several files within a few
// milliseconds; all of them must become one reload. Each event pushes the
// deadline `quiet` into the future, but never beyond `max_delay` after the
// first event of the burst, so a file rewritten continuously still gets
// reloaded.
#pragma once

#include <algorithm>
#include <chrono>

namespace wg::cp {

class Debounce {
  public:
    using Clock = std::chrono::steady_clock;
    Debounce(Clock::duration quiet, Clock::duration max_delay)
        : quiet_(quiet), max_delay_(std::max(quiet, max_delay)) {}

    // Records an event at `now`; returns the deadline to (re)arm the timer at.
    Clock::time_point event(Clock::time_point now) {
        if (!pending_) {
            pending_ = true;
            first_ = now;
        }
        deadline_ = std::min(now + quiet_, first_ + max_delay_);
        return deadline_;
    }

    // Called when the timer expires at `now`. True exactly once per burst:
    // when the deadline has passed; the burst is then closed.
    bool due(Clock::time_point now) {
        if (!pending_ || now < deadline_) return false;
        pending_ = false;
        return true;
    }

    bool pending() const { return pending_; }
    Clock::time_point deadline() const { return deadline_; }

  private:
    Clock::duration quiet_, max_delay_;
    // A plain flag rather than std::optional: GCC 12 warns (wrongly) about
    // an uninitialised optional time_point under -O2 -Werror.
    bool pending_ = false;
    Clock::time_point first_{}, deadline_{};
};

}  // namespace wg::cp
