#include "safety/hw_bypass.hpp"

#include <cstring>

#include <rte_ethdev.h>

#if defined(WG_HAVE_IXGBE_BYPASS)
// The 22.11 header has no extern "C" guard of its own.
extern "C" {
#include <rte_pmd_ixgbe.h>
}
#endif

namespace wg::safety {

uint32_t ixgbe_timeout_code(uint32_t ms) {
    for (uint32_t i = 0; i < std::size(kIxgbeTimeoutsMs); ++i)
        if (ms <= kIxgbeTimeoutsMs[i]) return i + 1;
    return 0;
}

#if defined(WG_HAVE_IXGBE_BYPASS)
namespace {

// 82599-based bypass boards (Silicom et al.) through the ixgbe PMD. The
// card goes to bypass on watchdog timeout, OS off and power off; it is put
// in normal (inline) mode once armed.
class IxgbeBypass final : public HwBypass {
  public:
    explicit IxgbeBypass(uint16_t port) : port_(port) {}
    const char* name() const override { return "ixgbe"; }
    bool armed() const override { return true; }
    void kick() override {
        if (rte_pmd_ixgbe_bypass_wd_reset(port_) == 0) count_kick();
    }
    void release() override {
        uint32_t st = RTE_PMD_IXGBE_BYPASS_MODE_BYPASS;
        rte_pmd_ixgbe_bypass_state_set(port_, &st);
    }
    // Returns an error message or "".
    std::string arm(uint32_t code) {
        if (rte_pmd_ixgbe_bypass_init(port_) != 0) return "not a bypass board";
        const uint32_t ev[] = {RTE_PMD_IXGBE_BYPASS_EVENT_TIMEOUT,
                               RTE_PMD_IXGBE_BYPASS_EVENT_OS_OFF,
                               RTE_PMD_IXGBE_BYPASS_EVENT_POWER_OFF};
        for (uint32_t e : ev)
            if (rte_pmd_ixgbe_bypass_event_store(port_, e, RTE_PMD_IXGBE_BYPASS_MODE_BYPASS) != 0)
                return "cannot set the bypass event actions";
        if (rte_pmd_ixgbe_bypass_wd_timeout_store(port_, code) != 0)
            return "cannot set the watchdog timeout";
        rte_pmd_ixgbe_bypass_wd_reset(port_);
        uint32_t st = RTE_PMD_IXGBE_BYPASS_MODE_NORMAL;
        if (rte_pmd_ixgbe_bypass_state_set(port_, &st) != 0) return "cannot leave bypass mode";
        return "";
    }

  private:
    uint16_t port_;
};

}  // namespace
#endif

std::unique_ptr<HwBypass> make_hw_bypass(uint16_t port, HwBypassMode mode, uint32_t timeout_ms,
                                         std::string& info, std::string& err) {
    err.clear();
    if (mode == HwBypassMode::Off) {
        info = "hardware bypass: off";
        return std::make_unique<NoHwBypass>();
    }
    rte_eth_dev_info di{};
    const bool have_info = rte_eth_dev_info_get(port, &di) == 0 && di.driver_name;
    const std::string drv = have_info ? di.driver_name : "?";
    std::string why = "driver " + drv + " has no bypass watchdog";
#if defined(WG_HAVE_IXGBE_BYPASS)
    if (drv == "net_ixgbe") {
        const uint32_t code = ixgbe_timeout_code(timeout_ms);
        if (!code) {
            err = "--hw-bypass-timeout-ms: the ixgbe watchdog allows at most 32000 ms";
            return nullptr;
        }
        auto b = std::make_unique<IxgbeBypass>(port);
        why = b->arm(code);
        if (why.empty()) {
            info = "hardware bypass: ixgbe watchdog armed on port " + std::to_string(port) +
                   ", timeout " + std::to_string(kIxgbeTimeoutsMs[code - 1]) + " ms";
            return b;
        }
        why = "ixgbe port " + std::to_string(port) + ": " + why;
    }
#else
    (void)timeout_ms;
    if (drv == "net_ixgbe") why = "this build has no ixgbe bypass support";
#endif
    if (mode == HwBypassMode::Require) {
        err = "--hw-bypass require: " + why;
        return nullptr;
    }
    info = "hardware bypass: none (" + why + ")";
    return std::make_unique<NoHwBypass>();
}

}  // namespace wg::safety
