// HL7 v2 over MLLP: <0x0B> message <0x1C><0x0D>. The message must start with
// an MSH segment; MSH-1 (the byte after "MSH") is the field separator and
// MSH-2 declares the encoding characters, the first of which is the
// component separator. Nothing is hard-coded: "MSH#@~\&#..." is as valid as
// the usual "MSH|^~\&|...". The parser decides as soon as MSH-9 (message
// type) is complete, so the verdict never waits for the end block of a long
// message; the fields after MSH-9 are not inspected.
#pragma once

#include "l7/result.hpp"

namespace wg::l7 {

inline constexpr uint8_t kMllpStart = 0x0B;
inline constexpr uint8_t kMllpEnd = 0x1C;
inline constexpr uint8_t kHl7SegmentEnd = 0x0D;
// Capacity of an extracted value (MSH-3.1, MSH-4.1, "MSH-9.1^MSH-9.2"): HD
// namespace IDs are 20 characters in v2.5, message types 3+3; 64 leaves room.
inline constexpr size_t kHl7FieldMax = 64;

using Hl7Text = FixedText<kHl7FieldMax>;

struct Hl7Message {
    Hl7Text sending_application;  // MSH-3, first component
    Hl7Text sending_facility;     // MSH-4, first component
    Hl7Text message_type;         // MSH-9 as "ORU^R01" (always '^', whatever the separator)
    char field_separator = 0;
    char component_separator = 0;
};

Result<Hl7Message> parse_hl7(Bytes prefix);

}  // namespace wg::l7
