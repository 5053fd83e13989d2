// Allocation budget for decoder harnesses: counts the bytes a decoder
// allocates for one input and aborts (a finding, with the stack of the
// allocation that crossed the line) when it exceeds kRatio times the input
// plus a fixed allowance.
//
// Why not only -rss_limit_mb: an RSS limit only fires when an input is big
// enough to allocate hundreds of MiB, and libFuzzer grows inputs slowly; a
// 350x amplification shows just as clearly on a 200-byte input, and must be
// a finding there too, since a peer can send the 1 MiB version.
// WG_FUZZ_ALLOC_RATIO overrides the ratio (0 disables the check).
#pragma once

#include <sanitizer/allocator_interface.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>

namespace wg::fuzz {

class AllocBudget {
  public:
    // Bytes always allowed: fixed costs (OpenSSL digest contexts, exception
    // objects, vector growth) that do not scale with the input.
    static constexpr std::size_t kSlack = 1024 * 1024;

    static void install() {
        if (const char* e = std::getenv("WG_FUZZ_ALLOC_RATIO"))
            ratio_ = std::strtoul(e, nullptr, 10);
        __sanitizer_install_malloc_and_free_hooks(&on_malloc, &on_free);
    }

    // Counts allocations on this thread while alive.
    explicit AllocBudget(std::size_t input_size)
        : limit_(ratio_ ? ratio_ * input_size + kSlack : 0),
          saved_used_(used_),
          saved_limit_(cur_limit_) {
        used_ = 0;
        cur_limit_ = limit_;
    }
    ~AllocBudget() {
        used_ = saved_used_;
        cur_limit_ = saved_limit_;
    }
    AllocBudget(const AllocBudget&) = delete;
    AllocBudget& operator=(const AllocBudget&) = delete;

  private:
    static void on_malloc(const volatile void*, std::size_t size) {
        if (!cur_limit_) return;
        used_ += size;
        if (used_ > cur_limit_) {
            const std::size_t limit = cur_limit_;
            cur_limit_ = 0;  // fprintf may allocate: do not recurse
            std::fprintf(stderr,
                         "==ERROR: wardgate fuzz: decoder allocated %zu bytes, more than its "
                         "budget of %zu (%zux the input + %zu); allocation of %zu bytes:\n",
                         used_, limit, ratio_, kSlack, size);
            std::abort();  // libFuzzer prints the stack and saves the input
        }
    }
    static void on_free(const volatile void*) {}

    static inline std::size_t ratio_ = 64;
    static inline thread_local std::size_t used_ = 0, cur_limit_ = 0;
    std::size_t limit_, saved_used_, saved_limit_;
};

}  // namespace wg::fuzz
