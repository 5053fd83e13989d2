// Cold-path helpers for `wardgate explain` and audit tooling (may allocate):
// read a payload given as hex, and render the L7 step as one line.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "l7/constraint.hpp"

namespace wg::l7 {

// Hex digits with optional whitespace, ':' or '-' between bytes, and an
// optional "0x" prefix ("01 00 00 00 00 cd", "0100:0000", "0x0b4d5348").
// nullopt (and `error` set) on an odd digit count or a non-hex character.
std::optional<std::vector<uint8_t>> parse_hex(std::string_view text, std::string* error = nullptr);

// "dicom: allowed (calling=US_CART_ICU1 called=PACS)"
// "dicom: violation dicom_calling_ae_denied value=\"EVIL_WS\" (calling=EVIL_WS called=PACS)"
// "hl7: undecided, needs at least 75 bytes (have 12)"
std::string explain_line(const Constraint& c, Bytes payload);

}  // namespace wg::l7
