// Hardware bypass watchdog (bypass NICs: relays that join the two ports into
// a plain wire when the card's watchdog is not kicked in time, or on power
// loss). The supervisor kicks it only while every worker is healthy, so a
// hung worker, a dead process or a powered-off host all end in a wire.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace wg::safety {

class HwBypass {
  public:
    virtual ~HwBypass() = default;
    virtual const char* name() const = 0;
    // Whether a real watchdog is armed (false: nothing to kick).
    virtual bool armed() const = 0;
    // Resets the watchdog timer. Called from the supervisor thread only.
    virtual void kick() = 0;
    // Planned shutdown: switch to bypass now so traffic flows while the
    // dataplane is down (a restart switches back to normal).
    virtual void release() = 0;
    uint64_t kicks() const { return __atomic_load_n(&kicks_, __ATOMIC_RELAXED); }

  protected:
    void count_kick() { __atomic_store_n(&kicks_, kicks_ + 1, __ATOMIC_RELAXED); }

  private:
    uint64_t kicks_ = 0;
};

// No bypass hardware (virtual devices, ordinary NICs): nothing to kick.
class NoHwBypass final : public HwBypass {
  public:
    const char* name() const override { return "none"; }
    bool armed() const override { return false; }
    void kick() override {}
    void release() override {}
};

enum class HwBypassMode : uint8_t { Off = 0, Auto = 1, Require = 2 };

// Watchdog timeouts the ixgbe bypass firmware offers, in milliseconds
// (RTE_PMD_IXGBE_BYPASS_TMT_1_5_SEC .. _32_SEC).
inline constexpr uint32_t kIxgbeTimeoutsMs[] = {1500, 2000, 3000, 4000, 8000, 16000, 32000};

// The ixgbe timeout code (1..7) for the shortest timeout >= ms, 0 if ms is
// above 32 s.
uint32_t ixgbe_timeout_code(uint32_t ms);

// Probes `port` for a bypass watchdog. Auto: the ixgbe bypass board if the
// port is one, else NoHwBypass. Require: an error (in `err`) unless a
// watchdog was armed. `info` gets one line for the start-up log.
std::unique_ptr<HwBypass> make_hw_bypass(uint16_t port, HwBypassMode mode, uint32_t timeout_ms,
                                         std::string& info, std::string& err);

}  // namespace wg::safety
