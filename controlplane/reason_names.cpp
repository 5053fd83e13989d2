#include "reason_names.hpp"

namespace wg::cp {

std::string reason_name(uint8_t code) {
    if (code < contract::kReasonCount) return std::string(contract::kReasonNames[code]);
    return "reason_" + std::to_string(code);
}

}  // namespace wg::cp
